"""Issue 8's acceptance: deliveries to a real HTTP receiver on 127.0.0.1, signed, retried with the
same id, surviving a worker restart, and never holding up the request that caused them."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from typer.testing import CliRunner

from app.core.config import Settings
from app.main import create_app
from app.webhooks.models import DeliveryStatus
from tests import factories
from tests.webhooks.conftest import (
    SECRET,
    Clock,
    Received,
    Receiver,
    WorkerMaker,
    deliveries,
    stalling,
    subscribe,
)


def verify(received: Any, secret: str = SECRET) -> dict[str, Any]:
    """What a receiver does: check the signature over the raw body, then read it; both the
    Standard Webhooks signature (with its library, timestamp checked) and X-Tracker-Signature."""
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-Tracker-Signature"], expected)
    standard = Webhook(secret.encode()).verify(received.body, received.headers)
    assert received.headers["webhook-id"] == received.headers["X-Tracker-Delivery"]
    assert standard == json.loads(received.body)
    return json.loads(received.body)


def test_a_delivery_replayed_later_fails_the_standard_signature(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker
) -> None:
    subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    assert make_worker().drain() == 1
    [received] = receiver.requests
    verify(received)
    # The same bytes and headers, presented by someone who captured them, an hour on.
    stale = {**received.headers}
    stale["webhook-timestamp"] = str(int(received.headers["webhook-timestamp"]) - 3600)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET.encode()).verify(received.body, stale)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another-receivers-secret-entirely").verify(received.body, received.headers)


def test_a_status_change_arrives_signed_and_verifiable(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.status_changed")
    task = factories.task(client, admin, plan["id"])
    event = factories.status(client, admin, task["id"], "at_risk", "2020-05-01", note="Slipping.")

    assert make_worker().drain() == 1

    [received] = receiver.requests
    body = verify(received)
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Tracker-Event"] == "task.status_changed"
    assert received.headers["X-Tracker-Delivery"] == body["id"]
    assert body["type"] == "task.status_changed"
    assert body["data"] == {
        "task_id": task["id"],
        "strand": "hate-crime",
        "plan_id": plan["id"],
        "event_id": event["id"],
        "status": "at_risk",
        "old_status": "ongoing",
        "new_status": "at_risk",
        "effective_date": "2020-05-01",
        "note": "Slipping.",
        "recorded_by": "admin",
        "recorded_at": body["data"]["recorded_at"],
    }
    assert body["data"]["recorded_at"][:19] == event["recorded_at"][:19]
    tampered = Received(received.headers, received.body.replace(b"Slipping", b"On track"))
    with pytest.raises(AssertionError):
        verify(tampered)
    [logged] = deliveries(client, admin, hook["id"])["items"]
    assert logged["id"] == body["id"]
    assert body["occurred_at"] == logged["occurred_at"].replace("Z", "+00:00")
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "delivered",
        1,
        200,
    )
    assert (logged["last_error"], logged["next_attempt_at"]) == ("", None)
    assert logged["delivered_at"] is not None


def test_a_failing_receiver_that_recovers_gets_each_delivery_once_with_its_id(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    make_worker: WorkerMaker,
    clock: Clock,
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.created")
    for n in range(3):
        factories.task(client, admin, plan["id"], f"Task {n}")
    receiver.replies = [500, 503, 500, 502]
    worker = make_worker(webhook_backoff_seconds=30, webhook_backoff_max_seconds=3600)

    assert worker.drain() == 3
    log = deliveries(client, admin, hook["id"])["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("pending", 1)] * 3
    assert {d["last_status_code"] for d in log} == {500, 503}
    assert all(d["last_error"].startswith("HTTP 50") for d in log)
    assert worker.drain() == 0, "retries wait for their backoff"

    # The receiver is backed off as a whole: after 30 s one delivery is tried (a 502), and
    # after 60 s more one again, which succeeds, and the other two follow straight away.
    clock.advance(30)
    assert worker.drain() == 1
    assert worker.drain() == 0
    clock.advance(60)
    assert worker.drain() == 3

    ids = [r.headers["X-Tracker-Delivery"] for r in receiver.requests]
    succeeded = Counter(r.headers["X-Tracker-Delivery"] for r in receiver.answered(200))
    assert len(receiver.requests) == 7
    assert sorted(succeeded.values()) == [1, 1, 1]
    assert set(ids) == set(succeeded) == {d["id"] for d in log}
    for delivery_id in succeeded:
        sent = [r for r in receiver.requests if r.headers["X-Tracker-Delivery"] == delivery_id]
        assert len({r.body for r in sent}) == 1, "a retry sends the very same signed body"
        assert verify(sent[0])["id"] == delivery_id
    final = deliveries(client, admin, hook["id"])["items"]
    assert sorted(d["attempts"] for d in final) == [2, 2, 3]
    assert {(d["status"], d["last_status_code"], d["last_error"]) for d in final} == {
        ("delivered", 200, "")
    }


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker, clock
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    worker = make_worker(webhook_timeout_seconds=0.2)
    receiver.hold()
    assert worker.drain() == 1
    [pending] = deliveries(client, admin, hook["id"])["items"]
    assert (pending["status"], pending["last_status_code"]) == ("pending", None)
    assert pending["last_error"] == "no answer within 0.2 s"

    receiver.release()
    clock.advance(worker.settings.webhook_backoff_seconds)
    assert make_worker().drain() == 1
    [delivered] = deliveries(client, admin, hook["id"])["items"]
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 2)
    assert {r.headers["X-Tracker-Delivery"] for r in receiver.requests} == {delivered["id"]}


def test_a_delivery_is_given_up_after_the_last_attempt_and_can_be_replayed(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker, clock
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    receiver.replies = [500, 500, 500]
    worker = make_worker(webhook_max_attempts=3, webhook_backoff_seconds=10)
    for _ in range(3):
        assert worker.drain() == 1
        clock.advance(3600)
    assert worker.drain() == 0
    [failed] = deliveries(client, admin, hook["id"])["items"]
    assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == ("failed", 3, None)
    assert failed["last_error"] == "HTTP 500: ok"
    assert deliveries(client, admin, hook["id"], status="failed")["total"] == 1

    response = client.post(f"/api/v1/webhooks/deliveries/{failed['id']}/replay", headers=admin)
    assert response.status_code == 202, response.text
    replay = response.json()
    assert (replay["replay_of"], replay["replayed_by"], replay["status"]) == (
        failed["id"],
        "admin",
        "pending",
    )
    assert replay["id"] != failed["id"]
    assert worker.drain() == 1
    last = receiver.requests[-1]
    assert (last.answered, last.headers["X-Tracker-Delivery"]) == (200, replay["id"])
    assert verify(last)["data"] == verify(receiver.requests[0])["data"]
    log = {d["id"]: d["status"] for d in deliveries(client, admin, hook["id"])["items"]}
    assert log == {failed["id"]: "failed", replay["id"]: "delivered"}


def test_a_worker_restart_loses_nothing(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    make_worker: WorkerMaker,
    clock: Clock,
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.created")
    for n in range(6):
        factories.task(client, admin, plan["id"], f"Task {n}")

    first = make_worker(webhook_concurrency=2)
    assert first.run_once() == 2
    in_flight = first.claim(limit=1)
    first.close()  # Stopped mid-backlog, with one delivery claimed and never sent.
    assert len(receiver.requests) == 2

    second = make_worker()
    assert second.drain() == 3
    assert len(receiver.requests) == 5
    clock.advance(second.lease.total_seconds())
    assert second.drain() == 1

    got = Counter(r.headers["X-Tracker-Delivery"] for r in receiver.answered(200))
    assert len(got) == 6
    assert set(got.values()) == {1}
    assert in_flight[0].delivery_id in got
    log = deliveries(client, admin, hook["id"])["items"]
    assert {d["status"] for d in log} == {"delivered"}
    assert {d["id"] for d in log} == set(got)


def test_two_workers_never_claim_the_same_delivery(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker
) -> None:
    subscribe(client, admin, receiver.url, "task.created")
    for n in range(12):
        factories.task(client, admin, plan["id"], f"Task {n}")
    workers = [make_worker() for _ in range(3)]
    claimed: list[list[str]] = [[] for _ in workers]
    start = threading.Barrier(len(workers))

    def claim_all(index: int) -> None:
        start.wait()
        while batch := workers[index].claim(limit=2):
            claimed[index].extend(c.delivery_id for c in batch)

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [delivery_id for batch in claimed for delivery_id in batch]
    assert len(every) == 12
    assert len(set(every)) == 12


def test_the_request_is_not_held_up_by_a_slow_receiver(
    settings: Settings, engine: Engine, admin: dict, plan, receiver: Receiver
) -> None:
    app: FastAPI = create_app(
        settings.model_copy(update={"webhook_worker": True, "webhook_poll_seconds": 0.02}),
        engine=engine,
    )
    receiver.hold()
    with TestClient(app) as api:
        hook = subscribe(api, admin, receiver.url, "task.status_changed")
        task = factories.task(api, admin, plan["id"])
        response = api.post(
            f"/api/v1/tasks/{task['id']}/status",
            json={"status": "complete", "effective_date": "2020-06-01"},
            headers=admin,
        )
        answered_before_the_receiver = [r.answered for r in receiver.requests]
        assert response.status_code == 201
        assert answered_before_the_receiver in ([], [None])
        assert receiver.arrived.wait(timeout=30), "the in-process worker sent the delivery"
        receiver.release()
        for _ in range(3000):
            [delivery] = deliveries(api, admin, hook["id"])["items"]
            if delivery["status"] != "pending":
                break
            time.sleep(0.01)
    assert delivery["status"] == DeliveryStatus.delivered
    assert verify(receiver.requests[0])["data"]["status"] == "complete"
    assert app.state.outbox_worker.thread.is_alive() is False


def test_tracker_worker_once_sends_what_is_due(
    client: TestClient, admin: dict, plan, receiver: Receiver, database_url: str, monkeypatch
) -> None:
    from app.cli import app as cli
    from app.core.config import get_settings

    hook = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_WEBHOOK_HTTP_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker", "--once"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert [d["status"] for d in deliveries(client, admin, hook["id"])["items"]] == ["delivered"]
    assert len(receiver.answered(200)) == 1


def test_a_stored_http_url_no_longer_allowed_is_not_called(
    client: TestClient, admin: dict, plan, receiver: Receiver, make_worker: WorkerMaker
) -> None:
    hook = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    assert make_worker(webhook_http_hosts=[]).drain() == 1
    assert receiver.requests == []
    [delivery] = deliveries(client, admin, hook["id"])["items"]
    assert delivery["status"] == "pending"
    assert delivery["last_error"].startswith("webhooks are sent over https only; 127.0.0.1")


@pytest.fixture
def dripping_receiver() -> Iterator[str]:
    """A receiver that answers one byte of its headers every 0.2 s, for ever."""
    with stalling(0.2) as dripping:
        yield dripping.url


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    dripping_receiver: str,
    make_worker: WorkerMaker,
) -> None:
    slow = subscribe(client, admin, dripping_receiver, "task.created")
    healthy = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    started = time.monotonic()
    assert make_worker(webhook_timeout_seconds=1).drain() == 2
    took = time.monotonic() - started
    assert took < 2.5
    [cut_off] = deliveries(client, admin, slow["id"])["items"]
    assert (cut_off["status"], cut_off["last_error"]) == ("pending", "no answer within 1 s")
    [delivered] = deliveries(client, admin, healthy["id"])["items"]
    assert delivered["status"] == "delivered"


def test_a_healthy_receiver_is_served_while_another_hangs(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    dripping_receiver: str,
    make_worker: WorkerMaker,
) -> None:
    subscribe(client, admin, dripping_receiver, "task.created")
    healthy = subscribe(client, admin, receiver.url, "task.created")
    worker = make_worker(webhook_timeout_seconds=3, webhook_concurrency=4)
    started = time.monotonic()
    factories.task(client, admin, plan["id"], "First")
    assert worker.run_once() == 2
    factories.task(client, admin, plan["id"], "Second")
    for _ in range(200):
        worker.run_once()
        if len(receiver.answered(200)) == 2:
            break
        time.sleep(0.01)
    served_in = time.monotonic() - started
    assert len(receiver.answered(200)) == 2
    assert served_in < 2, "the healthy receiver waited for the hanging one"
    worker.wait()
    statuses = [d["status"] for d in deliveries(client, admin, healthy["id"])["items"]]
    assert statuses == ["delivered", "delivered"]
