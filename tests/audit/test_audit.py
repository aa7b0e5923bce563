"""Every write is attributable: who, when, what, and the fields before and after."""

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests import factories
from tests.conftest import TokenMaker, bearer


def trail(client: TestClient, headers: dict, **params) -> list[dict]:
    response = client.get("/api/v1/audit", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_each_kind_of_write_is_recorded_with_its_actor_and_values(
    client: TestClient, admin: dict, make_token: TokenMaker
) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime", lead="Supt Cannon")
    plan = factories.plan(client, admin, strand["id"], "Hate Crime")
    lead = bearer(make_token("lead", strands=("hate-crime",), name="Hate lead"))
    task = factories.task(client, lead, plan["id"], "Promote awareness week", owner="PC Shah")
    factories.status(client, lead, task["id"], "at_risk", "2020-06-01", "funding cut")
    tag = client.get(f"/api/v1/tasks/{task['id']}", headers=lead).headers["etag"]
    client.patch(
        f"/api/v1/tasks/{task['id']}", json={"owner": "Sgt Lowe"}, headers={**lead, "If-Match": tag}
    )
    client.put("/api/v1/returns/hate-crime/2020-21-Q1", json={"insight": "Up 11%"}, headers=lead)

    entries = trail(client, admin)
    kinds = {(e["entity"], e["action"], e["actor"]) for e in entries}
    assert {
        ("strategy", "create", "admin"),
        ("strand", "create", "admin"),
        ("delivery_plan", "create", "admin"),
        ("task", "create", "Hate lead"),
        ("status_event", "create", "Hate lead"),
        ("task", "update", "Hate lead"),
        ("quarterly_return", "create", "Hate lead"),
    } <= kinds

    edits = trail(client, admin, entity="task", entity_id=str(task["id"]))
    owner_edit = next(e for e in edits if e["after"] and "owner" in e["after"])
    assert (owner_edit["before"]["owner"], owner_edit["after"]["owner"]) == ("PC Shah", "Sgt Lowe")
    assert owner_edit["strand_id"] == strand["id"]
    event = trail(client, admin, entity="status_event")[0]
    assert (event["after"]["status"], event["after"]["note"], event["strand_id"]) == (
        "at_risk",
        "funding cut",
        strand["id"],
    )
    assert event["before"] is None


def test_nothing_is_recorded_for_a_refused_write(
    client: TestClient, admin: dict, viewer: dict
) -> None:
    before = len(trail(client, admin))
    client.post("/api/v1/strategies", json=factories.STRATEGY, headers=viewer)
    client.post(
        "/api/v1/strategies", json={**factories.STRATEGY, "ends_on": "2000-01-01"}, headers=admin
    )
    assert len(trail(client, admin)) == before


def test_leads_read_their_strands_trail_and_viewers_none(
    client: TestClient, admin: dict, viewer: dict, make_token: TokenMaker
) -> None:
    strategy = factories.strategy(client, admin)
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    fraud = factories.strand(client, admin, strategy["id"], "Digital Crime & Fraud")
    factories.plan(client, admin, hate["id"], "Hate Crime")
    factories.plan(client, admin, fraud["id"], "Fraud")
    lead = bearer(make_token("lead", strands=("hate-crime",)))
    seen = trail(client, lead)
    assert {e["strand_id"] for e in seen} == {hate["id"]}
    assert {e["entity"] for e in seen} == {"strand", "delivery_plan"}
    assert client.get("/api/v1/audit", headers=viewer).status_code == 403


def test_tokens_issued_and_revoked_at_the_command_line_are_recorded(
    client: TestClient, admin: dict, database_url: str, monkeypatch
) -> None:
    from app.cli import app as cli
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert (
            runner.invoke(
                cli, ["token", "create", "--name", "intranet", "--role", "viewer"]
            ).exit_code
            == 0
        )
        assert runner.invoke(cli, ["token", "revoke", "intranet"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    entries = [e for e in trail(client, admin, entity="api_token") if e["actor"].startswith("cli:")]
    assert [e["action"] for e in entries] == ["update", "create"]
    created = entries[1]["after"]
    assert (created["name"], created["role"], created["token_digest"]) == (
        "intranet",
        "viewer",
        "[redacted]",
    )
    assert entries[0]["after"]["revoked_at"] is not None
