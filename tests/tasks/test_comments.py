"""Comments: a note on a task without a change of status, kept apart from its status events."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.audit.models import AuditEntry
from app.webhooks.models import WebhookEvent
from tests import factories


def test_a_comment_is_kept_without_a_status_event(
    client: TestClient, admin: dict, world, engine: Engine
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"], status="at_risk")
    response = client.post(
        f"/api/v1/tasks/{task['id']}/comments",
        json={"body": "  Venue confirmed for the October launch.  "},
        headers=world["lead"],
    )
    assert response.status_code == 201, response.text
    comment = response.json()
    assert (comment["task_id"], comment["body"], comment["recorded_by"]) == (
        task["id"],
        "Venue confirmed for the October launch.",
        "Hate lead",
    )
    comments = client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json()
    assert comments == [comment]
    history = client.get(f"/api/v1/tasks/{task['id']}/history", headers=admin).json()
    assert [e["status"] for e in history] == ["at_risk"]
    after = client.get(f"/api/v1/tasks/{task['id']}", headers=admin).json()
    assert (after["status"], after["version"]) == ("at_risk", task["version"])

    with engine.connect() as connection:
        kinds = connection.execute(sa.select(WebhookEvent.type).order_by(WebhookEvent.id)).all()
        audited = connection.execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.after).where(
                AuditEntry.entity == "task_comment"
            )
        ).all()
    assert [str(kind) for (kind,) in kinds] == ["task.created", "task.commented"]
    [(actor, action, after_values)] = audited
    assert (actor, action) == ("Hate lead", "create")
    assert (after_values["id"], after_values["body"]) == (comment["id"], comment["body"])


def test_comments_read_oldest_first_and_the_event_names_the_task(
    client: TestClient, admin: dict, world, engine: Engine
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    for body in ("First note", "Second note"):
        factories.created(
            client.post(f"/api/v1/tasks/{task['id']}/comments", json={"body": body}, headers=admin)
        )
    comments = client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json()
    assert [c["body"] for c in comments] == ["First note", "Second note"]
    with engine.connect() as connection:
        data = (
            connection.execute(
                sa.select(WebhookEvent.data)
                .where(WebhookEvent.type == "task.commented")
                .order_by(WebhookEvent.id)
            )
            .scalars()
            .all()
        )
    assert [(d["task_id"], d["strand"], d["body"]) for d in data] == [
        (task["id"], "hate-crime", "First note"),
        (task["id"], "hate-crime", "Second note"),
    ]
    assert data[0]["comment_id"] == comments[0]["id"]


def test_bad_comments_are_refused_and_change_nothing(
    client: TestClient, admin: dict, world, viewer: dict
) -> None:
    task = factories.task(client, admin, world["hate_plan"]["id"])
    url = f"/api/v1/tasks/{task['id']}/comments"
    for body, status in (
        ({"body": ""}, 422),
        ({"body": "   "}, 422),
        ({"body": "x" * 5001}, 422),
        ({"body": "nul\x00"}, 422),
        ({}, 422),
        ({"body": "ok", "status": "complete"}, 422),
    ):
        response = client.post(url, json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post(url, json={"body": "hi"}, headers=viewer).status_code == 403
    assert (
        client.post("/api/v1/tasks/999999/comments", json={"body": "hi"}, headers=admin).status_code
        == 404
    )
    assert client.get(url, headers=admin).json() == []


def test_a_lead_cannot_comment_on_another_strands_task(
    client: TestClient, admin: dict, world
) -> None:
    task = factories.task(client, admin, world["fraud_plan"]["id"])
    response = client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"body": "Not mine"}, headers=world["lead"]
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/tasks/{task['id']}/comments", headers=admin).json() == []
