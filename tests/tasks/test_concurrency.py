"""Many leads at once, against a real server: nothing lost, nothing locked, no silent overwrite."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests import factories
from tests.dbutil import assert_spans_match_events, statements_during
from tests.live import serve, together

WRITERS = 20
SECONDS = 3.0


def _for_a_while(
    app: FastAPI, admin: dict, request: Callable[[int, int], tuple[str, dict]]
) -> list[httpx.Response]:
    """WRITERS clients POSTing `request(writer, i)` for SECONDS together; every answer."""
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def work(http: httpx.Client, n: int) -> None:
        deadline = time.monotonic() + SECONDS
        i = 0
        while time.monotonic() < deadline:
            path, body = request(n, i)
            response = http.post(path, json=body)
            with lock:
                answers.append(response)
            i += 1

    together(app, admin, WRITERS, work)
    return answers


def test_concurrent_status_writers_lose_nothing(
    app: FastAPI, client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    answers = _for_a_while(
        app,
        admin,
        lambda n, i: (
            f"/api/v1/tasks/{task['id']}/status",
            {"status": ("ongoing", "at_risk", "complete")[(n + i) % 3], "note": f"writer {n} #{i}"},
        ),
    )

    codes = Counter(response.status_code for response in answers)
    assert set(codes) == {201}, codes
    accepted = [response.json()["id"] for response in answers]
    assert len(accepted) >= WRITERS
    history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
    assert sorted(e["id"] for e in history[1:]) == sorted(accepted)
    latest = max(history, key=lambda e: (e["effective_date"], e["id"]))
    current = client.get(f"/api/v1/tasks/{task['id']}", headers=admin).json()
    assert current["status"] == latest["status"]
    assert current["version"] == 1 + len(accepted)


def test_concurrent_back_dated_events_keep_the_counts_true(
    app: FastAPI, client: TestClient, admin: dict, engine: Engine, world
) -> None:
    """Writers on tasks of one plan share the counts of its quarters: none lost, none doubled."""
    tasks = [
        factories.task(client, admin, world["hate_plan"]["id"], f"Task {n}", task_no=n)
        for n in range(1, 5)
    ]
    answers = _for_a_while(
        app,
        admin,
        lambda n, i: (
            f"/api/v1/tasks/{tasks[(n + i) % len(tasks)]['id']}/status",
            {
                "status": ("ongoing", "at_risk", "complete")[(n * 7 + i) % 3],
                # Anywhere in the task's years, so that spans split and join.
                "effective_date": str(date(2020, 4, 1) + timedelta(days=(n * 97 + i * 61) % 2000)),
            },
        ),
    )

    codes = Counter(response.status_code for response in answers)
    assert set(codes) == {201}, codes
    assert_spans_match_events(engine)


def test_two_leads_patching_the_same_version_one_wins(
    app: FastAPI, client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    url = f"/api/v1/tasks/{task['id']}"
    tag = client.get(url, headers=admin).headers["etag"]
    results: dict[str, int] = {}
    start = threading.Barrier(2)

    def patch(base: str, owner: str) -> None:
        with httpx.Client(base_url=base, headers={**admin, "If-Match": tag}, timeout=30) as http:
            start.wait()
            results[owner] = http.patch(url, json={"owner": owner}).status_code

    with serve(app) as base:
        threads = [threading.Thread(target=patch, args=(base, o)) for o in ("Ann", "Bob")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(results.values()) == [200, 412]
    winner = next(owner for owner, code in results.items() if code == 200)
    final = client.get(url, headers=admin).json()
    assert (final["owner"], final["version"]) == (winner, 2)


def test_list_queries_do_not_grow_with_the_page_size(
    client: TestClient, admin: dict, world, engine: Engine
) -> None:
    for n in range(1, 61):
        factories.task(client, admin, world["hate_plan"]["id"], f"Task {n}", task_no=n)

    def queries(limit: int) -> int:
        count, response = statements_during(
            engine, lambda: client.get(f"/api/v1/tasks?limit={limit}", headers=admin)
        )
        assert len(response.json()["items"]) == limit
        return count

    assert queries(5) == queries(60)
