"""Issue 21's acceptance for webhooks: one bad receiver cannot stall the others. Five real
receivers on 127.0.0.1 (healthy, hanging, dripping, failing, refusing), each bad one backed off
on its own, a worker that stops at once while receivers hang, and the outbox pruned."""

import threading
import time
from collections import Counter
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.core.config import Settings
from app.core.outbox import Runner
from app.main import create_app, outbox_runner
from app.webhooks.worker import STOPPED_ERROR
from tests import factories
from tests.mail.test_mail import messages, queue
from tests.mail.test_mail import worker as mail_worker
from tests.smtp import SmtpServer
from tests.webhooks.conftest import (
    Clock,
    Receiver,
    Stalling,
    WorkerMaker,
    deliveries,
    stalling,
    subscribe,
)

DEADLINE = 4.0
"""The attempt deadline of these tests: the hanging and dripping receivers hold each attempt
to it, and the healthy receiver must have had everything before it."""
EVENTS = 12


def receiver_state(client: TestClient, headers: dict[str, str], webhook_id: int) -> dict:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/receiver", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def parsed(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def test_a_healthy_receiver_gets_every_event_in_time_while_four_others_hang_drip_or_fail(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    hanging_receiver: Stalling,
    failing_receiver: Receiver,
    refusing_url: str,
    make_worker: WorkerMaker,
) -> None:
    with stalling(drip_seconds=2.0) as dripping:
        hooks = {
            name: subscribe(client, admin, url, "task.created")["id"]
            for name, url in {
                "healthy": receiver.url,
                "hanging": hanging_receiver.url,
                "dripping": dripping.url,
                "failing": failing_receiver.url,
                "refusing": refusing_url,
            }.items()
        }
        for n in range(EVENTS):
            factories.task(client, admin, plan["id"], f"Task {n}")
        # Fewer senders than the bad receivers' backlog: without the per-webhook limit the
        # hanging and dripping receivers alone would take every one of them.
        worker = make_worker(
            webhook_timeout_seconds=DEADLINE,
            webhook_concurrency=8,
            webhook_concurrency_per_webhook=2,
            webhook_backoff_seconds=60,
        )
        runner, stop = Runner([worker], poll_seconds=0.02), threading.Event()
        started = time.monotonic()
        thread = threading.Thread(target=runner.run, args=(stop,))
        thread.start()
        try:
            while len(receiver.answered(200)) < EVENTS and time.monotonic() < started + 30:
                time.sleep(0.02)
            healthy_done = max(r.at for r in receiver.requests) - started
            # Until the bad receivers' first attempts have all ended, and a little after.
            time.sleep(max(0.0, started + DEADLINE + 1.5 - time.monotonic()))
        finally:
            stop.set()
            thread.join()
            runner.close()

    assert len(receiver.answered(200)) == EVENTS
    assert healthy_done < DEADLINE, "the healthy receiver waited for a bad one's attempt to end"
    healthy = deliveries(client, admin, hooks["healthy"])["items"]
    assert Counter((d["status"], d["attempts"]) for d in healthy) == {("delivered", 1): EVENTS}
    for delivery in healthy:
        waited = parsed(delivery["delivered_at"]) - parsed(delivery["created_at"])
        assert waited < timedelta(seconds=DEADLINE + 2)  # the tasks themselves took a moment
    assert receiver_state(client, admin, hooks["healthy"]) == {
        "webhook_id": hooks["healthy"],
        "consecutive_failures": 0,
        "backoff_until": None,
        "waiting": 0,
    }

    # Each bad receiver had one round of two attempts (the per-webhook limit), then was backed
    # off as a whole: its other deliveries wait untried, and hold no sender.
    assert len(hanging_receiver.connections) == 2
    assert len(dripping.connections) == 2
    assert len(failing_receiver.requests) == 2
    errors = {
        "hanging": f"no answer within {DEADLINE:g} s",
        "dripping": f"no answer within {DEADLINE:g} s",
        "failing": "HTTP 500: ok",
    }
    for name in ("hanging", "dripping", "failing", "refusing"):
        log = deliveries(client, admin, hooks[name])["items"]
        tried = [d for d in log if d["attempts"] == 1]
        assert Counter((d["status"], d["attempts"]) for d in log) == {
            ("pending", 1): 2,
            ("pending", 0): EVENTS - 2,
        }, name
        if name in errors:
            assert {d["last_error"] for d in tried} == {errors[name]}
        else:
            assert {d["last_error"].split(":")[0] for d in tried} == {"ConnectError"}
        state = receiver_state(client, admin, hooks[name])
        assert (state["consecutive_failures"], state["waiting"]) == (1, EVENTS), name
        # The backoff counts from the failure: the attempt's start, plus up to its deadline.
        last_try = max(parsed(d["last_attempt_at"]) for d in tried)
        backoff = parsed(state["backoff_until"]) - last_try
        assert timedelta(seconds=60) <= backoff <= timedelta(seconds=60 + DEADLINE + 1), name


def test_a_receiver_that_keeps_failing_is_backed_off_on_its_own_and_recovers(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    failing_receiver: Receiver,
    make_worker: WorkerMaker,
    clock: Clock,
) -> None:
    failing = subscribe(client, admin, failing_receiver.url, "task.created")
    healthy = subscribe(client, admin, receiver.url, "task.created")
    for n in range(6):
        factories.task(client, admin, plan["id"], f"Task {n}")
    worker = make_worker(
        webhook_concurrency_per_webhook=2,
        webhook_backoff_seconds=30,
        webhook_backoff_max_seconds=3600,
    )

    # The first round: two attempts at once (the limit), both failed; the backoff starts.
    assert worker.drain() == 6 + 2
    assert len(receiver.answered(200)) == 6
    assert len(failing_receiver.requests) == 2
    state = receiver_state(client, admin, failing["id"])
    assert (state["consecutive_failures"], state["waiting"]) == (1, 6)

    # Then one attempt a backoff, doubling: 30 s, 60 s, 120 s, never one per delivery.
    for failures, wait in ((1, 30), (2, 60), (3, 120)):
        clock.advance(wait - 1)
        assert worker.drain() == 0, f"tried before its {wait} s backoff ended"
        clock.advance(1)
        assert worker.drain() == 1
        state = receiver_state(client, admin, failing["id"])
        assert state["consecutive_failures"] == failures + 1
        assert parsed(state["backoff_until"]) - clock() <= timedelta(seconds=2 * wait)
        assert parsed(state["backoff_until"]) - clock() > timedelta(seconds=2 * wait - 5)
    assert len(failing_receiver.requests) == 5
    assert receiver_state(client, admin, healthy["id"])["consecutive_failures"] == 0

    # It recovers: the attempt after the backoff succeeds, and the rest of its backlog follows.
    failing_receiver.status = 200
    clock.advance(240)
    assert worker.drain() == 6
    answered = Counter(r.headers["X-Tracker-Delivery"] for r in failing_receiver.answered(200))
    assert len(answered) == 6
    assert set(answered.values()) == {1}
    assert receiver_state(client, admin, failing["id"]) == {
        "webhook_id": failing["id"],
        "consecutive_failures": 0,
        "backoff_until": None,
        "waiting": 0,
    }
    log = deliveries(client, admin, failing["id"])["items"]
    assert {d["status"] for d in log} == {"delivered"}


def test_the_api_stops_its_worker_at_once_while_receivers_hang(
    settings: Settings,
    engine: Engine,
    admin: dict,
    plan,
    hanging_receiver: Stalling,
    receiver: Receiver,
) -> None:
    timeout = 30.0
    app = create_app(
        settings.model_copy(
            update={
                "webhook_worker": True,
                "webhook_poll_seconds": 0.02,
                "webhook_timeout_seconds": timeout,
            }
        ),
        engine=engine,
    )
    with TestClient(app) as api:
        hanging = subscribe(api, admin, hanging_receiver.url, "task.created")
        subscribe(api, admin, receiver.url, "task.created")
        for n in range(3):
            factories.task(api, admin, plan["id"], f"Task {n}")
        while len(hanging_receiver.connections) < 3 or len(receiver.answered(200)) < 3:
            time.sleep(0.02)
        stopping = time.monotonic()
    stopped_in = time.monotonic() - stopping

    assert stopped_in < timeout / 3, "shutting down waited for the hanging receiver's deadline"
    assert app.state.outbox_worker.thread.is_alive() is False
    with TestClient(create_app(settings, engine=engine)) as api:
        log = deliveries(api, admin, hanging["id"])["items"]
        # Abandoned, not failed: due again at once for the next worker, and no backoff.
        assert {(d["status"], d["attempts"], d["last_error"]) for d in log} == {
            ("pending", 1, STOPPED_ERROR)
        }
        assert all(
            parsed(d["next_attempt_at"])
            <= parsed(d["last_attempt_at"]) + timedelta(seconds=timeout / 3)
            for d in log
        )
        assert receiver_state(api, admin, hanging["id"])["consecutive_failures"] == 0


def changes(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/v1/changes", headers=headers)
    assert response.status_code == 200, response.text
    return [item["type"] for item in response.json()["items"]]


def test_the_outbox_is_pruned_after_its_retention_pending_work_kept(
    client: TestClient,
    admin: dict,
    plan,
    engine: Engine,
    settings: Settings,
    receiver: Receiver,
    failing_receiver: Receiver,
    smtp_server: SmtpServer,
    make_worker: WorkerMaker,
    clock: Clock,
) -> None:
    delivered = subscribe(client, admin, receiver.url, "task.created")
    failed = subscribe(client, admin, failing_receiver.url, "task.created")
    paused = subscribe(client, admin, receiver.url, "task.status_changed")
    tasks = [factories.task(client, admin, plan["id"], f"Task {n}") for n in range(2)]
    factories.status(client, admin, tasks[0]["id"], "complete", "2020-06-01")
    etag = client.get(f"/api/v1/webhooks/{paused['id']}", headers=admin).headers["ETag"]
    response = client.patch(
        f"/api/v1/webhooks/{paused['id']}",
        json={"active": False},
        headers={**admin, "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    factories.risk(client, admin, plan["strand_id"])  # an event no webhook asked for
    assert make_worker(webhook_max_attempts=1).drain() == 4
    mail = mail_worker(engine, settings, smtp_server, clock)
    queue(engine)
    assert mail.drain() == 1
    [waiting_mail] = queue(engine)
    runner = outbox_runner(engine, settings.model_copy(update={"outbox_retention_days": 30}))
    runner.clock = clock
    assert changes(client, admin) == [
        "task.created",
        "task.created",
        "task.status_changed",
        "risk.created",
    ]

    assert runner.prune() == {
        "webhook_delivery": 0,
        "webhook_event": 0,
        "change_entry": 0,
        "mail_message": 0,
    }
    clock.advance(timedelta(days=30).total_seconds() - 60)
    assert runner.prune() == {
        "webhook_delivery": 0,
        "webhook_event": 0,
        "change_entry": 0,
        "mail_message": 0,
    }
    clock.advance(120)
    assert runner.prune() == {
        "webhook_delivery": 4,
        "webhook_event": 3,
        "change_entry": 3,
        "mail_message": 1,
    }

    # What was finished with is gone; what is still to be sent stays, with its event.
    assert deliveries(client, admin, delivered["id"])["total"] == 0
    assert deliveries(client, admin, failed["id"])["total"] == 0
    [kept] = deliveries(client, admin, paused["id"])["items"]
    assert (kept["status"], kept["type"]) == ("pending", "task.status_changed")
    assert changes(client, admin) == ["task.status_changed"]
    assert [(m.message_id, m.status) for m in messages(engine)] == [(waiting_mail, "pending")]
    assert runner.prune() == {
        "webhook_delivery": 0,
        "webhook_event": 0,
        "change_entry": 0,
        "mail_message": 0,
    }


def test_tracker_outbox_prune_deletes_what_the_retention_allows(
    client: TestClient,
    admin: dict,
    plan,
    receiver: Receiver,
    make_worker: WorkerMaker,
    database_url: str,
    monkeypatch,
) -> None:
    from app.cli import app as cli
    from app.core.config import get_settings

    hook = subscribe(client, admin, receiver.url, "task.created")
    factories.task(client, admin, plan["id"])
    assert make_worker().drain() == 1
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_OUTBOX_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    try:
        kept = CliRunner().invoke(cli, ["outbox", "prune"])
        time.sleep(1.1)
        monkeypatch.setenv("TRACKER_OUTBOX_RETENTION_DAYS", str(1 / 86_400))  # one second
        get_settings.cache_clear()
        pruned = CliRunner().invoke(cli, ["outbox", "prune"])
    finally:
        get_settings.cache_clear()
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.splitlines() == [
        "webhook_delivery: 0 deleted",
        "webhook_event: 0 deleted",
        "change_entry: 0 deleted",
        "mail_message: 0 deleted",
    ]
    assert pruned.exit_code == 0, pruned.output
    assert pruned.stdout.splitlines() == [
        "webhook_delivery: 1 deleted",
        "webhook_event: 1 deleted",
        "change_entry: 1 deleted",
        "mail_message: 0 deleted",
    ]
    assert deliveries(client, admin, hook["id"])["total"] == 0
    assert changes(client, admin) == []
