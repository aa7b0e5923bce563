"""Every audit entry names the record it is about, created records included, in every table."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table)
from tests import factories
from tests.audit.test_audit import trail


def _audited_tables() -> dict[str, sa.Table]:
    tables = {}
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        model = mapper.class_
        if getattr(model, "__audit__", True) and hasattr(model, "__table__"):
            tables[model.__tablename__] = model.__table__
    return tables


def _keys(engine: Engine, table: sa.Table) -> set[str]:
    columns = list(table.primary_key.columns)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*columns)).all()
    return {"-".join(str(part) for part in row) for row in rows}


def test_every_created_record_is_in_the_trail_under_its_id(
    client: TestClient, admin: dict, engine: Engine
) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime", lead="Supt Cannon")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime")
    first = factories.task(client, admin, plan["id"], "Third-party reporting", task_no=1)
    factories.task(client, admin, plan["id"], "Awareness week", task_no=2)
    factories.status(client, admin, first["id"], "at_risk", "2020-06-01", "funding cut")
    factories.risk(client, admin, strand["id"], task_id=first["id"])
    saved = client.put(
        "/api/v1/returns/hate-crime/2020-21-Q1", json={"insight": "Up"}, headers=admin
    )
    assert saved.status_code == 201, saved.text
    locked = client.post("/api/v1/dashboard/locks", json={"quarter": "2019-20-Q4"}, headers=admin)
    assert locked.status_code == 201, locked.text
    hook = client.post(
        "/api/v1/webhooks",
        json={
            "url": "https://example.org/hook",
            "events": ["task.created"],
            "secret": "s" * 40,
        },
        headers=admin,
    )
    assert hook.status_code == 201, hook.text

    entries = trail(client, admin)
    assert [e for e in entries if not e["entity_id"]] == []
    missing = {}
    exercised = set()
    for name, table in sorted(_audited_tables().items()):
        rows = _keys(engine, table)
        if rows:
            exercised.add(name)
        created = {
            e["entity_id"] for e in entries if e["entity"] == name and e["action"] == "create"
        }
        if rows - created:
            missing[name] = sorted(rows - created)
    assert missing == {}, "records whose creation the trail does not name by id"
    assert {
        "strategy",
        "strand",
        "delivery_plan",
        "task",
        "status_event",
        "risk",
        "quarterly_return",
        "quarter_lock",
        "webhook_subscription",
    } <= exercised

    by_id = trail(client, admin, entity="risk", entity_id="1")
    assert [(e["action"], e["after"]["ref"]) for e in by_id] == [("create", "A1")]
