"""Risks and returns tell subscribers what happened, through the same outbox as tasks."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.webhooks.models import WebhookEvent
from tests import factories


def outbox(engine: Engine) -> list[tuple[str, dict]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(WebhookEvent.type, WebhookEvent.data).order_by(WebhookEvent.id)
        ).all()
    return [(str(kind), data) for kind, data in rows]


def test_risk_and_return_changes_are_emitted(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Gangs & Knife Crime")
    risk = factories.risk(client, admin, strand["id"], ref="A13", likelihood=2, impact=3)
    tag = client.get("/api/v1/risks/A13", headers=admin).headers["etag"]
    client.patch("/api/v1/risks/A13", json={"likelihood": 4}, headers={**admin, "If-Match": tag})
    url = "/api/v1/returns/gangs-and-knife-crime/2020-21-Q2"
    client.put(
        url,
        json={"insight": "i", "delivery_achieved": "a", "delivery_scheduled": "s"},
        headers=admin,
    )
    client.post(f"{url}/submit", headers=admin)

    events = outbox(engine)
    assert [kind for kind, _ in events] == ["risk.created", "risk.updated", "return.submitted"]
    created, updated, submitted = (data for _, data in events)
    assert (created["ref"], created["strand"], created["risk"]["score"]) == (
        "A13",
        "gangs-and-knife-crime",
        risk["score"],
    )
    assert updated["changes"] == {"likelihood": {"old": 2, "new": 4}}
    assert (updated["action"], updated["risk"]["score"]) == ("updated", 12)
    assert (submitted["quarter"], submitted["return"]["status"]) == ("2020-21-Q2", "submitted")


def test_locking_a_quarter_is_emitted_with_its_published_figures(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime")
    factories.task(client, admin, plan["id"])
    locked = client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q1"}, headers=admin)
    assert locked.status_code == 201
    events = [data for kind, data in outbox(engine) if kind == "quarter.locked"]
    assert len(events) == 1
    assert (events[0]["quarter"], events[0]["locked_by"]) == ("2020-21-Q1", "admin")
    assert events[0]["figures"]["totals"]["ongoing"] == 1
