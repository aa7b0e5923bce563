"""The change feed: what changed, in commit order, resumable from a cursor, nothing missed or
repeated, even under many concurrent writers."""

import threading
import time

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.webhooks.models import WebhookEvent
from tests import factories
from tests.live import together


def test_the_feed_lists_changes_in_order_and_resumes_from_its_cursor(
    client: TestClient, admin: dict
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"], task_no=1)
    factories.status(client, admin, task["id"], "at_risk", "2020-06-01")
    factories.risk(client, admin, hate["id"], ref="A1")

    start = client.get("/api/v1/changes", params={"limit": 2}, headers=admin).json()
    assert [(c["type"], c["data"].get("task_id")) for c in start["items"]] == [
        ("task.created", task["id"]),
        ("task.status_changed", task["id"]),
    ]
    assert start["has_more"] is True
    assert start["cursor"] == start["items"][-1]["cursor"]
    rest = client.get("/api/v1/changes", params={"after": start["cursor"]}, headers=admin).json()
    assert [(c["type"], c["data"]["ref"]) for c in rest["items"]] == [("risk.created", "A1")]
    assert rest["has_more"] is False
    idle = client.get("/api/v1/changes", params={"after": rest["cursor"]}, headers=admin).json()
    assert idle == {"items": [], "cursor": rest["cursor"], "has_more": False}

    factories.status(client, admin, task["id"], "complete", "2020-07-01")
    new = client.get("/api/v1/changes", params={"after": rest["cursor"]}, headers=admin).json()
    assert [(c["type"], c["data"]["status"]) for c in new["items"]] == [
        ("task.status_changed", "complete")
    ]
    only = client.get(
        "/api/v1/changes", params={"type": ["risk.created", "task.created"]}, headers=admin
    ).json()
    assert [c["type"] for c in only["items"]] == ["task.created", "risk.created"]
    bad = client.get("/api/v1/changes", params={"after": "abc"}, headers=admin)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "after")


def test_a_refused_change_never_enters_the_feed(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    task = factories.task(client, admin, plan["id"], task_no=1)
    batch = {
        "events": [
            {"task_id": task["id"], "status": "at_risk", "effective_date": "2020-06-01"},
            {"task_id": 999_999, "status": "at_risk", "effective_date": "2020-06-01"},
        ]
    }
    assert client.post("/api/v1/tasks/status-batch", json=batch, headers=admin).status_code == 422
    feed = client.get("/api/v1/changes", headers=admin).json()
    assert [c["type"] for c in feed["items"]] == ["task.created"]


def test_a_reader_misses_nothing_and_sees_nothing_twice_across_1000_concurrent_changes(
    app: FastAPI, client: TestClient, admin: dict, engine: Engine
) -> None:
    writers, batches, per_batch = 10, 10, 10
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    tasks = [
        [factories.task(client, admin, plan["id"], task_no=w * per_batch + n + 1)["id"]
         for n in range(per_batch)]
        for w in range(writers)
    ]  # fmt: skip
    seen: list[tuple[int, int]] = []
    writing_done = threading.Event()
    done_writers: list[int] = []
    failures: list[str] = []

    def read(http: httpx.Client) -> None:
        cursor = ""
        while True:
            done = writing_done.is_set()
            page = http.get("/api/v1/changes", params={"after": cursor, "limit": 1000}).json()
            seen.extend((int(c["cursor"]), c["event_id"]) for c in page["items"])
            cursor = page["cursor"]
            if done and not page["has_more"]:
                return
            if not page["items"]:
                time.sleep(0.01)

    def work(http: httpx.Client, n: int) -> None:
        if n == writers:
            read(http)
            return
        for round_ in range(batches):
            status = "at_risk" if round_ % 2 == 0 else "ongoing"
            body = {"events": [{"task_id": t, "status": status} for t in tasks[n]]}
            answer = http.post("/api/v1/tasks/status-batch", json=body)
            if answer.status_code != 201:
                failures.append(answer.text)
        done_writers.append(n)
        if len(done_writers) == writers:
            writing_done.set()

    together(app, admin, writers + 1, work)

    assert failures == []
    with engine.connect() as connection:
        kinds = dict(
            connection.execute(
                sa.select(WebhookEvent.type, sa.func.count()).group_by(WebhookEvent.type)
            ).all()
        )
        every_event = connection.execute(
            sa.select(WebhookEvent.id).order_by(WebhookEvent.id)
        ).scalars().all()  # fmt: skip
    assert kinds == {"task.created": 100, "task.status_changed": writers * batches * per_batch}
    cursors = [cursor for cursor, _ in seen]
    assert cursors == sorted(set(cursors)), "a change was repeated or came out of order"
    assert sorted(event_id for _, event_id in seen) == list(every_event)
