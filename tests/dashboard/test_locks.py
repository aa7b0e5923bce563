"""Past quarters stay put; locked quarters refuse back-dating and keep their published figures."""

import threading
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.auth.models import Role
from app.auth.service import Actor
from app.core.base import today
from app.core.db import write_session
from app.core.quarters import Quarter
from app.tasks import service as tasks
from app.tasks.models import Status
from app.tasks.schemas import StatusChange
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.dashboard.helpers import batch, by_strand, counts, dashboard
from tests.live import serve

LOCKS = "/api/v1/dashboard/locks"


@pytest.fixture
def plan(client: TestClient, admin: dict) -> dict[str, Any]:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Domestic Abuse")
    return factories.plan(client, admin, strand["id"], "Domestic Abuse")


def history(client: TestClient, headers: dict, task_id: int) -> list[tuple[str, str]]:
    events = client.get(f"/api/v1/tasks/{task_id}/history", headers=headers).json()
    return [(e["effective_date"], e["status"]) for e in events]


def trend(client: TestClient, headers: dict, first: str, last: str) -> dict[str, tuple]:
    body = client.get(
        "/api/v1/dashboard/trend", params={"from": first, "to": last}, headers=headers
    ).json()
    return {t["quarter"]: counts(t) for t in body["totals"]}


def test_asking_twice_for_a_past_quarter_gives_the_same_answer(
    client: TestClient, admin: dict, plan: dict
) -> None:
    first, second = (factories.task(client, admin, plan["id"]) for _ in range(2))
    batch(client, admin, [(first["id"], "complete", "2020-06-01")])
    before = client.get("/api/v1/dashboard", params={"quarter": "2020-21-Q1"}, headers=admin)
    # Whatever happens after the quarter's end leaves its figures as they were.
    batch(
        client,
        admin,
        [
            (first["id"], "at_risk", "2020-07-01"),
            (second["id"], "withdrawn", "2020-08-01"),
            (second["id"], "complete", str(today())),
        ],
    )
    factories.task(client, admin, plan["id"], added_on="2020-07-01")
    again = client.get("/api/v1/dashboard", params={"quarter": "2020-21-Q1"}, headers=admin)
    assert again.json() == before.json()
    assert counts(again.json()["totals"]) == (2, 1, 1, 0)
    assert counts(dashboard(client, admin, "2020-21-Q2")["totals"]) == (2, 0, 1, 1)


def test_a_back_dated_event_moves_only_the_quarters_it_should(
    client: TestClient, admin: dict, plan: dict
) -> None:
    task = factories.task(client, admin, plan["id"], added_on="2019-04-10")
    other = factories.task(client, admin, plan["id"], added_on="2019-04-10")
    batch(
        client,
        admin,
        [(task["id"], "complete", "2020-08-15"), (other["id"], "ongoing", "2020-02-10")],
    )
    span = ("2019-20-Q1", "2020-21-Q3")
    before = trend(client, admin, *span)

    factories.status(client, admin, task["id"], "at_risk", "2020-05-05")
    after = trend(client, admin, *span)
    assert [q for q in before if before[q] != after[q]] == ["2020-21-Q1"]
    assert (before["2020-21-Q1"], after["2020-21-Q1"]) == ((2, 0, 2, 0), (2, 0, 1, 1))

    # Withdrawn in December, ongoing again in February: only the December quarter moves.
    factories.status(client, admin, other["id"], "withdrawn", "2019-12-01")
    latest = trend(client, admin, *span)
    assert [q for q in after if after[q] != latest[q]] == ["2019-20-Q3"]
    assert latest["2019-20-Q3"] == (1, 0, 1, 0)


def test_a_locked_quarter_refuses_every_event_dated_into_it(
    client: TestClient, admin: dict, plan: dict
) -> None:
    risky, waiting = (factories.task(client, admin, plan["id"]) for _ in range(2))
    factories.status(client, admin, risky["id"], "at_risk", "2020-05-01")
    response = client.post(LOCKS, json={"quarter": "2020/21 Q1"}, headers=admin)
    assert response.status_code == 201, response.text
    lock = response.json()
    assert {k: lock[k] for k in ("quarter", "starts_on", "ends_on", "in_force", "locked_by")} == {
        "quarter": "2020-21-Q1",
        "starts_on": "2020-04-01",
        "ends_on": "2020-06-30",
        "in_force": True,
        "locked_by": "admin",
    }
    assert (lock["unlocked_at"], lock["unlocked_by"]) == (None, None)

    one = client.post(
        f"/api/v1/tasks/{risky['id']}/status",
        json={"status": "complete", "effective_date": "2020-06-30"},
        headers=admin,
    )
    assert one.status_code == 409
    assert one.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in one.json()["errors"]] == ["effective_date"]
    assert "2020-21-Q1" in one.json()["detail"]

    events = [
        {"task_id": waiting["id"], "status": "complete", "effective_date": "2020-07-01"},
        {"task_id": risky["id"], "status": "complete", "effective_date": "2020-04-01"},
    ]
    many = client.post("/api/v1/tasks/status-batch", json={"events": events}, headers=admin)
    assert many.status_code == 409
    assert [e["field"] for e in many.json()["errors"]] == ["events.1.effective_date"]
    assert history(client, admin, risky["id"]) == [
        ("2020-04-01", "ongoing"),
        ("2020-05-01", "at_risk"),
    ]
    assert history(client, admin, waiting["id"]) == [("2020-04-01", "ongoing")]

    added = client.post(
        "/api/v1/tasks",
        json={"plan_id": plan["id"], "pillar": "pursue", "title": "Late", "added_on": "2020-05-01"},
        headers=admin,
    )
    assert added.status_code == 409
    assert [e["field"] for e in added.json()["errors"]] == ["added_on"]
    assert client.get("/api/v1/tasks", headers=admin).json()["total"] == 2

    # Before the quarter's end it is closed (what happened then is counted in it); after it,
    # and in another strategy, dates are open.
    before = client.post(
        "/api/v1/tasks",
        json={
            "plan_id": plan["id"],
            "pillar": "pursue",
            "title": "Early",
            "added_on": "2020-03-31",
        },
        headers=admin,
    )
    assert before.status_code == 409
    assert before.json()["detail"].startswith("2020-03-31 comes before the end of 2020-21-Q1")
    factories.status(client, admin, risky["id"], "complete", "2020-07-01")
    other = factories.strategy(client, admin, name="Police and Crime Plan")
    strand = factories.strand(client, admin, other["id"], "Roads")
    elsewhere = factories.task(
        client, admin, factories.plan(client, admin, strand["id"], "R")["id"]
    )
    factories.status(client, admin, elsewhere["id"], "complete", "2020-05-01")


def test_published_figures_stay_as_locked_while_live_ones_drift(
    client: TestClient, admin: dict, plan: dict
) -> None:
    waiting = factories.task(client, admin, plan["id"])
    done = factories.task(client, admin, plan["id"])
    factories.status(client, admin, done["id"], "complete", "2020-08-01")
    assert client.post(LOCKS, json={"quarter": "2020-21-Q2"}, headers=admin).status_code == 201
    url = f"{LOCKS}/2020-21-Q2/drift"
    assert client.get(url, headers=admin).json()["drifted"] is False

    published = dashboard(client, admin, "2020-21-Q2", published="true")
    assert (published["published"], published["locked"]) == (True, True)
    assert published["lock"]["locked_by"] == "admin"
    assert counts(published["totals"]) == (2, 1, 1, 0)
    # The live figures of the locked quarter say it is locked, by the same lock.
    while_locked = dashboard(client, admin, "2020-21-Q2")
    assert (while_locked["published"], while_locked["locked"]) == (False, True)
    assert while_locked["lock"] == published["lock"]
    csv_text = client.get(
        "/api/v1/dashboard",
        params={"quarter": "2020-21-Q2", "published": "true", "format": "csv"},
        headers=admin,
    ).text
    assert csv_text.splitlines()[-1] == "Total,2,1 (50%),1 (50%),0 (0%)"

    # An event dated in Q1, before the locked Q2 ends, would carry into Q2: refused.
    at_risk = {"status": "at_risk", "effective_date": "2020-06-10"}
    refused = client.post(f"/api/v1/tasks/{waiting['id']}/status", json=at_risk, headers=admin)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("2020-06-10 comes before the end of 2020-21-Q2")
    assert client.get(url, headers=admin).json()["drifted"] is False

    # With the lock lifted the change goes in, and the drift is against what was published.
    assert client.delete(f"{LOCKS}/2020-21-Q2", headers=admin).status_code == 200
    factories.status(client, admin, waiting["id"], "at_risk", "2020-06-10")
    drift = client.get(url, headers=admin).json()
    assert drift["drifted"] is True
    assert (drift["lock"]["quarter"], drift["lock"]["in_force"]) == ("2020-21-Q2", False)
    plan_id = plan["id"]
    assert [
        (d["strand"], d["plan_id"], d["plan"], d["field"], d["published"], d["live"])
        for d in drift["differences"]
    ] == [
        ("domestic-abuse", None, None, "ongoing", 1, 0),
        ("domestic-abuse", None, None, "at_risk", 0, 1),
        ("domestic-abuse", None, None, "prevent.ongoing", 1, 0),
        ("domestic-abuse", None, None, "prevent.at_risk", 0, 1),
        ("domestic-abuse", plan_id, "Domestic Abuse", "ongoing", 1, 0),
        ("domestic-abuse", plan_id, "Domestic Abuse", "at_risk", 0, 1),
        ("domestic-abuse", plan_id, "Domestic Abuse", "prevent.ongoing", 1, 0),
        ("domestic-abuse", plan_id, "Domestic Abuse", "prevent.at_risk", 0, 1),
        (None, None, None, "ongoing", 1, 0),
        (None, None, None, "at_risk", 0, 1),
        (None, None, None, "ongoing_pct", 50, 0),
        (None, None, None, "at_risk_pct", 0, 50),
        (None, None, None, "prevent.ongoing", 1, 0),
        (None, None, None, "prevent.at_risk", 0, 1),
    ]
    live = dashboard(client, admin, "2020-21-Q2")
    assert (live["published"], live["locked"], live["lock"]) == (False, False, None)
    assert counts(live["totals"]) == (2, 1, 0, 1)


def test_unlocking_is_recorded_and_relocking_publishes_afresh(
    client: TestClient, admin: dict, plan: dict
) -> None:
    task = factories.task(client, admin, plan["id"])
    first = client.post(LOCKS, json={"quarter": "2020-21-Q2"}, headers=admin).json()
    unlocked = client.delete(f"{LOCKS}/2020-21-Q2", headers=admin)
    assert unlocked.status_code == 200
    assert (unlocked.json()["in_force"], unlocked.json()["unlocked_by"]) == (False, "admin")

    # Between unlocking and relocking, the quarter takes events again.
    factories.status(client, admin, task["id"], "complete", "2020-09-01")
    missing = client.get(
        "/api/v1/dashboard", params={"quarter": "2020-21-Q2", "published": "true"}, headers=admin
    )
    assert missing.status_code == 404
    drift = client.get(f"{LOCKS}/2020-21-Q2/drift", headers=admin).json()
    assert (drift["lock"]["id"], drift["lock"]["in_force"]) == (first["id"], False)
    assert [(d["field"], d["published"], d["live"]) for d in drift["differences"][:2]] == [
        ("complete", 0, 1),
        ("ongoing", 1, 0),
    ]

    second = client.post(LOCKS, json={"quarter": "2020-21-Q2"}, headers=admin).json()
    listed = client.get(LOCKS, headers=admin).json()
    assert listed["total"] == 2
    assert [(lock["id"], lock["in_force"]) for lock in listed["items"]] == [
        (second["id"], True),
        (first["id"], False),
    ]
    assert listed["items"][1]["unlocked_at"] == unlocked.json()["unlocked_at"]
    in_force = client.get(
        LOCKS, params={"in_force": "true", "quarter": "2020-21-Q2"}, headers=admin
    )
    assert [lock["id"] for lock in in_force.json()["items"]] == [second["id"]]
    assert client.get(f"{LOCKS}/2020-21-Q2/drift", headers=admin).json()["drifted"] is False
    republished = dashboard(client, admin, "2020-21-Q2", published="true")
    assert by_strand(republished) == {"domestic-abuse": (1, 1, 0, 0)}


def test_only_admins_lock_and_unlock_quarters_that_have_ended(
    client: TestClient, admin: dict, viewer: dict, plan: dict, make_token: TokenMaker
) -> None:
    lead = bearer(make_token("lead", strands=("domestic-abuse",)))
    for who in (viewer, lead):
        assert client.post(LOCKS, json={"quarter": "2020-21-Q1"}, headers=who).status_code == 403
    current = str(Quarter.of(today()))
    for body, field in (
        ({"quarter": current}, "quarter"),
        ({"quarter": "2020-21-Q9"}, "quarter"),
        ({"quarter": "2020-21-Q1", "note": "x"}, "note"),
    ):
        refused = client.post(LOCKS, json=body, headers=admin)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    unknown = client.post(LOCKS, json={"quarter": "2020-21-Q1", "strategy_id": 99}, headers=admin)
    assert unknown.status_code == 404
    assert client.post(LOCKS, json={"quarter": "2020-21-Q1"}, headers=admin).status_code == 201
    again = client.post(LOCKS, json={"quarter": "2020-21-Q1"}, headers=admin)
    assert again.status_code == 409
    assert client.delete(f"{LOCKS}/2020-21-Q1", headers=lead).status_code == 403
    assert client.delete(f"{LOCKS}/2020-21-Q2", headers=admin).status_code == 404
    assert client.get(f"{LOCKS}/2020-21-Q2/drift", headers=viewer).status_code == 404
    assert client.get(LOCKS, headers=viewer).json()["total"] == 1
    assert client.get(f"{LOCKS}/2020-21-Q1/drift", headers=viewer).status_code == 200


def test_a_lock_waits_for_an_event_being_recorded_and_counts_it(
    app: FastAPI, client: TestClient, admin: dict, plan: dict, engine: Engine
) -> None:
    task = factories.task(client, admin, plan["id"])
    actor = Actor(token_id=0, name="admin", role=Role.admin, strands=frozenset())
    answers: list[httpx.Response] = []
    with serve(app) as base:

        def lock() -> None:
            with httpx.Client(base_url=base, headers=admin, timeout=30) as http:
                answers.append(http.post(LOCKS, json={"quarter": "2020-21-Q1"}))

        locker = threading.Thread(target=lock)
        with write_session(engine) as session:
            tasks.record_status(
                session=session,
                actor=actor,
                task=tasks.get_task(session=session, task_id=task["id"], for_update=True),
                change=StatusChange(status=Status.complete, effective_date=date(2020, 5, 1)),
            )
            locker.start()
            # The lock cannot be taken while the event is being recorded; give it every chance
            # to (wrongly) go ahead before the event commits.
            locker.join(timeout=1)
            session.commit()
        locker.join(timeout=30)
    assert [answer.status_code for answer in answers] == [201]
    published = dashboard(client, admin, "2020-21-Q1", published="true")
    assert counts(published["totals"]) == (1, 1, 0, 0)
