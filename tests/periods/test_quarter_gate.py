"""Closing a quarter while leads write into it: nothing slips in after the figures are frozen,
nobody deadlocks, and writers never wait on the strategy's row."""

import threading
import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.dashboard.helpers import by_plan, dashboard
from tests.live import serve

LOCKS = "/api/v1/dashboard/locks"
QUARTER = "2020-21-Q1"
# The quarter's last day: every event dated then changes the quarter's figures.
LAST_DAY = "2020-06-30"
STRANDS = ("Domestic Abuse", "Hate Crime", "Night Time Economy")
WRITERS_PER_STRAND = 3
SECONDS = 3.0


def test_a_quarter_closed_under_concurrent_writers_counts_exactly_what_got_in(
    app: FastAPI, client: TestClient, admin: dict, make_token: TokenMaker
) -> None:
    strategy = factories.strategy(client, admin)
    leads, plans, tasks = {}, {}, {}
    for name in STRANDS:
        strand = factories.strand(client, admin, strategy["id"], name)
        plans[name] = factories.plan(client, admin, strand["id"], name)["id"]
        tasks[name] = [factories.task(client, admin, plans[name])["id"] for _ in range(4)]
        leads[name] = bearer(make_token("lead", strands=(strand["slug"],)))
    answers: list[tuple[str, httpx.Response]] = []
    record = threading.Lock()
    start = threading.Barrier(len(STRANDS) * WRITERS_PER_STRAND + 1)
    locked = threading.Event()

    def write(base: str, name: str, n: int) -> None:
        with httpx.Client(base_url=base, headers=leads[name], timeout=30) as http:
            start.wait()
            deadline = time.monotonic() + SECONDS
            i, added_after_lock = 0, False
            # Each writer goes on until it has also tried to add a task once the lock is in
            # place, however slowly a loaded machine serves it.
            while time.monotonic() < deadline or not added_after_lock:
                task_id = tasks[name][(n + i) % len(tasks[name])]
                status = ("ongoing", "at_risk", "complete")[(n + i) % 3]
                if i % 5 == 4:
                    added_after_lock = locked.is_set()
                    answer = http.post(
                        "/api/v1/tasks",
                        json={
                            "plan_id": plans[name],
                            "pillar": "protect",
                            "title": f"Added by writer {n} #{i}",
                            "added_on": LAST_DAY,
                        },
                    )
                else:
                    answer = http.post(
                        f"/api/v1/tasks/{task_id}/status",
                        json={"status": status, "effective_date": LAST_DAY},
                    )
                with record:
                    answers.append(("write", answer))
                i += 1

    def close(base: str) -> None:
        with httpx.Client(base_url=base, headers=admin, timeout=30) as http:
            start.wait()
            time.sleep(SECONDS / 3)
            try:
                with record:
                    answers.append(("lock", http.post(LOCKS, json={"quarter": QUARTER})))
            finally:
                locked.set()  # the writers wait for it: never leave them waiting forever

    with serve(app) as base:
        threads = [
            threading.Thread(target=write, args=(base, name, n))
            for name in STRANDS
            for n in range(WRITERS_PER_STRAND)
        ]
        threads.append(threading.Thread(target=close, args=(base,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    codes = Counter((kind, answer.status_code) for kind, answer in answers)
    assert codes[("lock", 201)] == 1, codes
    assert set(codes) <= {("lock", 201), ("write", 201), ("write", 409)}, codes
    assert codes[("write", 201)] > 0 and codes[("write", 409)] > 0, codes
    refused = {
        answer.json()["errors"][0]["field"]
        for kind, answer in answers
        if (kind, answer.status_code) == ("write", 409)
    }
    assert refused == {"effective_date", "added_on"}
    # Whatever was accepted was counted when the figures were frozen; whatever was not was
    # refused: the live figures as at the quarter's end are the published ones.
    live = dashboard(client, admin, QUARTER)
    published = dashboard(client, admin, QUARTER, published="true")
    assert by_plan(live) == by_plan(published)
    assert live["totals"] == published["totals"]
    drift = client.get(f"{LOCKS}/{QUARTER}/drift", headers=admin)
    assert drift.status_code == 200
    assert (drift.json()["drifted"], drift.json()["differences"]) == (False, [])


def test_a_status_event_does_not_wait_for_an_edit_of_the_strategy(
    app: FastAPI, client: TestClient, admin: dict, engine: Engine, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: on SQLite every writer waits for the one writing")
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"])
    with engine.connect() as editing:
        # Someone holds the strategy's row as an edit of it would, for longer than any wait.
        editing.execute(
            sa.text("SELECT id FROM strategy WHERE id = :id FOR UPDATE"), {"id": strategy["id"]}
        )
        event = client.post(
            f"/api/v1/tasks/{task['id']}/status",
            json={"status": "at_risk", "effective_date": LAST_DAY},
            headers=admin,
        )
        added = client.post(
            "/api/v1/tasks",
            json={"plan_id": plan["id"], "pillar": "pursue", "title": "Another"},
            headers=admin,
        )
        editing.rollback()
    # Waiting on the row would have ended in the lock timeout's 503.
    assert (event.status_code, added.status_code) == (201, 201), (event.text, added.text)
