"""Reminders end to end: people linked to what they owe, one digest each on the set days, sent
through the outbox to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.audit.service import SYSTEM
from app.auth.models import Role
from app.auth.service import Actor
from app.cli import app as cli
from app.core.config import Settings, get_settings
from app.core.db import write_session
from app.mail.worker import MailWorker
from app.people import service as people
from app.reminders.worker import ReminderSchedule
from tests import factories
from tests.smtp import SmtpServer
from tests.webhooks.conftest import Clock

# 2020/21 Q4's returns are due on Friday 16 April 2021; reminders go out on 31 March, 9, 15
# and 16 April (ten, five and one working days before, over Easter, and on the day).
REMINDER_DAY = "2021-04-09"
BASE_URL = "https://tracker.example.org"


def person(engine: Engine, name: str, email: str, *aliases: str, opted_out: bool = False) -> int:
    """Someone the provider signed in, with the other ways plans write their name."""
    with write_session(engine, SYSTEM) as session:
        someone = people.record_person(
            session=session, subject=f"sub-{name}", name=name, email=email
        )
        for alias in aliases:
            people.add_alias(session=session, actor=SYSTEM, person_id=someone.id, alias=alias)
        if opted_out:
            someone.reminders_enabled = False
            session.add(someone)
        session.commit()
        return someone.id  # type: ignore[return-value]


@pytest.fixture
def world(client: TestClient, admin: dict, engine: Engine) -> dict[str, Any]:
    """Three people: an owner with two tasks not updated this quarter, a lead whose return is
    missing, and a third with nothing due (her task was updated, her strand's return is in)."""
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime", lead="Supt Cannon")
    fraud = factories.strand(
        client, admin, strategy["id"], "Digital Crime & Fraud", lead="carol.ward@example.org"
    )
    hate_plan = factories.plan(client, admin, hate["id"], "Hate Crime")
    fraud_plan = factories.plan(client, admin, fraud["id"], "Fraud")
    first = factories.task(client, admin, hate_plan["id"], "Third-party reporting", owner="PC Shah")
    second = factories.task(client, admin, hate_plan["id"], "Awareness week", owner="pc  shah")
    carols = factories.task(client, admin, fraud_plan["id"], "Banking protocol", owner="Carol Ward")
    factories.status(client, admin, carols["id"], "ongoing", "2021-02-01", "On track")
    done = factories.task(client, admin, hate_plan["id"], "Old campaign", owner="PC Shah")
    factories.status(client, admin, done["id"], "complete", "2020-12-01")
    url = "/api/v1/returns/digital-crime-and-fraud/2020-21-Q4"
    text = {"insight": "i", "delivery_achieved": "a", "delivery_scheduled": "s"}
    assert client.put(url, json=text, headers=admin).status_code == 201
    assert client.post(f"{url}/submit", headers=admin).status_code == 200
    return {
        "shah": person(engine, "Asha Shah", "asha.shah@example.org", "PC Shah"),
        "cannon": person(engine, "Ben Cannon", "ben.cannon@example.org", "Supt Cannon"),
        "ward": person(engine, "Carol Ward", "carol.ward@example.org"),
        "tasks": (first["id"], second["id"]),
    }


@pytest.fixture
def tracker(database_url: str, monkeypatch) -> Callable[..., Any]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_BASE_URL", BASE_URL)
    monkeypatch.setenv("TRACKER_MAIL_FROM", "4P tracker <tracker@example.org>")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(engine: Engine, settings: Settings, smtp_server: SmtpServer, clock: Clock) -> MailWorker:
    configured = settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_timeout_seconds": 5,
            "mail_from": "4P tracker <tracker@example.org>",
            "mail_backoff_seconds": 60,
        }
    )
    return MailWorker(engine, configured, clock=clock)


def text_of(message: EmailMessage) -> list[str]:
    return message.get_body(("plain",)).get_content().splitlines()


def items_of(message: EmailMessage) -> list[str]:
    """The digest's items as its plain text lists them: title, then detail."""
    lines = text_of(message)
    return [
        f"{lines[i][2:]} | {lines[i + 1].strip()}"
        for i in range(len(lines))
        if lines[i].startswith("- ")
    ]


def by_recipient(server: SmtpServer) -> dict[str, EmailMessage]:
    return {message["To"]: message for message in server.received}


def test_one_digest_each_with_exactly_what_is_owed_and_none_the_second_time(
    world: dict, tracker, sender: MailWorker, smtp_server: SmtpServer, client, admin
) -> None:
    dry = tracker("reminders", "send", "--on", REMINDER_DAY, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "2021-04-09: reminders for the 2020/21 Q4 returns, due 2021-04-16",
        "Asha Shah <asha.shah@example.org>: would send",
        "  - task_not_updated: Third-party reporting (Hate Crime: no status update or comment "
        "since Friday 1 January 2021)",
        "  - task_not_updated: Awareness week (Hate Crime: no status update or comment since "
        "Friday 1 January 2021)",
        "Ben Cannon <ben.cannon@example.org>: would send",
        "  - return_missing: Hate Crime (Hate Crime: the 2020/21 Q4 return is due Friday 16 "
        "April 2021)",
        "2 digests would be queued; nothing was sent",
    ]
    assert sender.drain() == 0
    assert smtp_server.received == []
    assert client.get("/api/v1/reminders", headers=admin).json()["total"] == 0

    sent = tracker("reminders", "send", "--on", REMINDER_DAY)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.splitlines()[-1] == (
        "2 digests queued; the worker sends them (or `tracker worker --once`)"
    )
    assert sender.drain() == 2
    got = by_recipient(smtp_server)
    assert sorted(got) == [
        "Asha Shah <asha.shah@example.org>",
        "Ben Cannon <ben.cannon@example.org>",
    ]
    shah, cannon = (
        got["Asha Shah <asha.shah@example.org>"],
        got["Ben Cannon <ben.cannon@example.org>"],
    )
    assert shah["Subject"] == ("2020/21 Q4 returns: 2 items due by Friday 16 April 2021")
    assert items_of(shah) == [
        "Third-party reporting | Hate Crime: no status update or comment since Friday 1 "
        "January 2021",
        "Awareness week | Hate Crime: no status update or comment since Friday 1 January 2021",
    ]
    first, second = world["tasks"]
    html = shah.get_body(("html",)).get_content()
    assert f'<a href="{BASE_URL}/workspace/tasks/{first}">Third-party reporting</a>' in html
    assert f'<a href="{BASE_URL}/workspace/tasks/{second}">Awareness week</a>' in html
    assert items_of(cannon) == [
        "Hate Crime | Hate Crime: the 2020/21 Q4 return is due Friday 16 April 2021"
    ]
    assert (
        f'<a href="{BASE_URL}/workspace/returns/hate-crime?quarter=2020-21-Q4">Hate Crime</a>'
        in cannon.get_body(("html",)).get_content()
    )

    again = tracker("reminders", "send", "--on", REMINDER_DAY)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1].startswith("0 digests queued")
    assert sender.drain() == 0
    assert len(smtp_server.received) == 2


def test_a_refusing_server_gets_the_same_two_digests_once_when_it_accepts(
    world: dict, tracker, sender: MailWorker, smtp_server: SmtpServer, clock: Clock, client, admin
) -> None:
    assert tracker("reminders", "send", "--on", REMINDER_DAY).exit_code == 0
    smtp_server.refuse("451 4.7.1 Greylisted, try again later", "drop")
    assert sender.drain() == 2
    assert smtp_server.received == []
    log = client.get("/api/v1/reminders", headers=admin).json()
    assert [(r["name"], r["state"], r["attempts"]) for r in log["items"]] == [
        ("Asha Shah", "pending", 1),
        ("Ben Cannon", "pending", 1),
    ]

    assert tracker("reminders", "send", "--on", REMINDER_DAY).exit_code == 0
    clock.advance(60)
    assert sender.drain() == 2
    clock.advance(3600)
    assert sender.drain() == 0
    assert sorted(by_recipient(smtp_server)) == [
        "Asha Shah <asha.shah@example.org>",
        "Ben Cannon <ben.cannon@example.org>",
    ]
    log = client.get("/api/v1/reminders", headers=admin).json()
    assert [(r["name"], r["state"], r["attempts"]) for r in log["items"]] == [
        ("Asha Shah", "sent", 2),
        ("Ben Cannon", "sent", 2),
    ]
    assert sorted(r["message_id"] for r in log["items"]) == sorted(
        m["Message-ID"] for m in smtp_server.received
    )


def test_people_without_an_email_or_who_opted_out_are_skipped_and_listed(
    world: dict,
    engine: Engine,
    tracker,
    sender: MailWorker,
    smtp_server: SmtpServer,
    client: TestClient,
    admin: dict,
    viewer: dict,
) -> None:
    strand = client.get("/api/v1/strands/hate-crime", headers=admin).json()
    plan = strand["plans"][0]["id"]
    factories.task(client, admin, plan, "Late", owner="Dan Price", due_date="2021-03-01")
    factories.task(client, admin, plan, "Later", owner="Eve Quinn", due_date="2021-03-02")
    factories.task(client, admin, plan, "Nobody's", owner="A. N. Other", due_date="2021-03-03")
    person(engine, "Dan Price", "")
    person(engine, "Eve Quinn", "eve.quinn@example.org", opted_out=True)

    dry = tracker("reminders", "send", "--on", REMINDER_DAY, "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert "Dan Price <>: skipped (no e-mail address)" in lines
    assert "Eve Quinn <eve.quinn@example.org>: skipped (turned reminders off)" in lines
    assert "not linked to anyone: A. N. Other" in lines
    assert lines[-1] == "2 digests would be queued; nothing was sent"

    assert tracker("reminders", "send", "--on", REMINDER_DAY).exit_code == 0
    assert sender.drain() == 2
    assert len(smtp_server.received) == 2
    skipped = client.get("/api/v1/reminders", params={"state": "skipped"}, headers=admin).json()
    assert [(r["name"], r["reason"], r["message_id"]) for r in skipped["items"]] == [
        ("Dan Price", "no e-mail address", None),
        ("Eve Quinn", "turned reminders off", None),
    ]
    assert [(i["kind"], i["title"]) for i in skipped["items"][0]["items"]] == [
        ("task_overdue", "Late"),
        ("task_not_updated", "Late"),
    ]
    assert client.get("/api/v1/reminders", headers=viewer).status_code == 403


def test_nothing_goes_out_on_other_days_and_an_item_done_drops_out(
    world: dict, tracker, sender: MailWorker, smtp_server: SmtpServer, client, admin
) -> None:
    quiet = tracker("reminders", "send", "--on", "2021-04-08")
    assert quiet.stdout.splitlines() == ["2021-04-08: not a reminder day; nothing to send"]
    first, _ = world["tasks"]
    factories.status(client, admin, first, "ongoing", "2021-03-15", "Still going")
    url = "/api/v1/returns/hate-crime/2020-21-Q4"
    text = {"insight": "i", "delivery_achieved": "a", "delivery_scheduled": "s"}
    assert client.put(url, json=text, headers=admin).status_code == 201
    assert client.post(f"{url}/submit", headers=admin).status_code == 200

    assert tracker("reminders", "send", "--on", "2021-04-15").exit_code == 0
    assert sender.drain() == 1
    [only] = smtp_server.received
    assert only["To"] == "Asha Shah <asha.shah@example.org>"
    assert items_of(only) == [
        "Awareness week | Hate Crime: no status update or comment since Friday 1 January 2021"
    ]


def test_the_worker_runs_the_pass_once_a_day_at_the_set_time(
    world: dict, engine: Engine, settings: Settings, client, admin
) -> None:
    moments = iter(
        [
            datetime(2021, 4, 9, 5, 59, tzinfo=UTC),  # 06:59 in London (summer time)
            datetime(2021, 4, 9, 6, 0, tzinfo=UTC),
            datetime(2021, 4, 9, 12, 0, tzinfo=UTC),
        ]
    )
    schedule = ReminderSchedule(engine, settings, clock=lambda: next(moments))
    schedule.run_once()
    assert client.get("/api/v1/reminders", headers=admin).json()["total"] == 0
    schedule.run_once()
    log = client.get("/api/v1/reminders", headers=admin).json()
    assert [(r["day"], r["name"]) for r in log["items"]] == [
        ("2021-04-09", "Asha Shah"),
        ("2021-04-09", "Ben Cannon"),
    ]
    schedule.run_once()
    assert client.get("/api/v1/reminders", headers=admin).json()["total"] == 2
    assert date(2021, 4, 9).isoformat() == REMINDER_DAY


def test_a_person_turns_reminders_off_from_me_and_is_skipped(
    world: dict, engine: Engine, tracker, client: TestClient, admin: dict
) -> None:
    # People write as themselves once the provider signs them in; here, as the service sees it.
    asha = Actor(
        token_id=0,
        name="Asha Shah",
        role=Role.lead,
        strands=frozenset({"hate-crime"}),
        email="asha.shah@example.org",
        via="oidc",
        person_id=world["shah"],
    )
    with write_session(engine, asha) as session:
        assert people.set_reminders(session=session, actor=asha, enabled=False).id == world["shah"]
        session.commit()
    dry = tracker("reminders", "send", "--on", REMINDER_DAY, "--dry-run")
    assert "Asha Shah <asha.shah@example.org>: skipped (turned reminders off)" in dry.stdout
    trail = client.get("/api/v1/audit", params={"entity": "person"}, headers=admin).json()
    [change] = [e for e in trail["items"] if e["action"] == "update"]
    assert (change["actor"], change["before"], change["after"]) == (
        "Asha Shah",
        {"reminders_enabled": True, "updated_at": change["before"]["updated_at"]},
        {"reminders_enabled": False, "updated_at": change["after"]["updated_at"]},
    )


def test_me_refuses_a_token_and_bad_bodies(client: TestClient, admin: dict) -> None:
    token = client.patch("/api/v1/me", json={"reminders": False}, headers=admin)
    assert token.status_code == 409
    assert token.headers["content-type"] == "application/problem+json"
    assert "an API token has none" in token.json()["detail"]
    assert client.patch("/api/v1/me", json={"reminders": False}).status_code == 401
    for body in ({}, {"reminders": "no"}, {"reminders": 0}, {"reminders": False, "x": 1}):
        response = client.patch("/api/v1/me", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)


def test_a_digest_shows_hostile_text_as_text_and_reaches_everyone_a_shared_owner_names(
    world: dict,
    engine: Engine,
    tracker,
    sender: MailWorker,
    smtp_server: SmtpServer,
    client: TestClient,
    admin: dict,
) -> None:
    strand = client.get("/api/v1/strands/hate-crime", headers=admin).json()
    title = '<script>alert("x")</script> & <b>co</b>'
    factories.task(
        client,
        admin,
        strand["plans"][0]["id"],
        title,
        owner="PC Shah / Carol Ward",
        due_date="2021-03-01",
    )
    assert tracker("reminders", "send", "--on", REMINDER_DAY).exit_code == 0
    assert sender.drain() == 3
    ward = by_recipient(smtp_server)["Carol Ward <carol.ward@example.org>"]
    assert [line.split(" | ")[0] for line in items_of(ward)] == [title, title]
    html = ward.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;" in html
    assert "<script>" not in html
