"""A person signed in at the identity provider turns their reminders off from /me."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings
from tests import factories
from tests.conftest import bearer
from tests.people.provider import Provider


@pytest.fixture
def tracker(database_url: str, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


def test_a_person_turns_reminders_off_and_on_from_me(
    oidc_client: TestClient, provider: Provider, admin: dict, engine: Engine, tracker
) -> None:
    strategy = factories.strategy(oidc_client, admin)
    strand = factories.strand(oidc_client, admin, strategy["id"], "Hate Crime", lead="Amy Shah")
    viewer = {"role": "viewer", "strands": []}
    assert oidc_client.put("/api/v1/access/Staff", json=viewer, headers=admin).status_code == 201
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Staff"])
    amy = bearer(provider.sign_in("amy")["access_token"])

    off = oidc_client.patch("/api/v1/me", json={"reminders": False}, headers=amy)
    assert (off.status_code, off.json()) == (200, {"reminders": False})
    [person] = oidc_client.get("/api/v1/people", headers=admin).json()["items"]
    assert (person["name"], person["reminders_enabled"]) == ("Amy Shah", False)
    trail = oidc_client.get("/api/v1/audit", params={"entity": "person"}, headers=admin).json()
    [change] = [
        e for e in trail["items"] if e["action"] == "update" and "reminders_enabled" in e["after"]
    ]
    assert (change["actor"], change["after"]["reminders_enabled"]) == ("Amy Shah", False)

    dry = tracker("reminders", "send", "--on", "2021-04-09", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Amy Shah <amy.shah@force.example>: skipped (turned reminders off)" in dry.stdout
    assert strand["lead"] == "Amy Shah"

    on = oidc_client.patch("/api/v1/me", json={"reminders": True}, headers=amy)
    assert (on.status_code, on.json()) == (200, {"reminders": True})
    dry = tracker("reminders", "send", "--on", "2021-04-09", "--dry-run")
    assert "Amy Shah <amy.shah@force.example>: would send" in dry.stdout
