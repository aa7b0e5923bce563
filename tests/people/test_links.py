"""Plan text linked to people, and the access rules at the command line."""

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings
from app.core.db import write_session
from app.people import links, service
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.people.provider import Provider

WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzé.@-", min_size=1), min_size=1)


@given(WORDS, st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0"]), min_size=1))
def test_case_and_spacing_never_matter(words: list[str], gaps: list[str]) -> None:
    written = gaps[0] + "".join(w.upper() + gaps[i % len(gaps)] for i, w in enumerate(words))
    assert service.fold(written) == " ".join(words)
    assert links.names_person(written, {" ".join(words)})


def test_owner_text_names_people_by_name_email_or_alias() -> None:
    keys = {"amy shah", "amy.shah@force.example", "dci shah"}
    for text in (
        "Amy Shah",
        "  AMY   shah ",
        "amy.shah@Force.example",
        "DCI Shah / PC Jones",
        "PC Jones, dci  SHAH",
        "PC Jones and Amy Shah",
    ):
        assert links.names_person(text, keys), text
    for text in ("Amy", "Shah", "Amy Shahid", "", "DCI Shahs"):
        assert not links.names_person(text, keys), text


def test_a_persons_tasks_and_strands_follow_the_plans_text(
    oidc_client: TestClient,
    admin: dict,
    engine: Engine,
    provider: Provider,
    make_token: TokenMaker,
) -> None:
    strategy = factories.strategy(oidc_client, admin)
    hate = factories.strand(oidc_client, admin, strategy["id"], "Hate Crime", lead="Supt Amy Shah")
    da = factories.strand(oidc_client, admin, strategy["id"], "Domestic Abuse", lead="DCI Ode")
    hate_plan = factories.plan(oidc_client, admin, hate["id"], "Hate Crime")
    da_plan = factories.plan(oidc_client, admin, da["id"], "Domestic Abuse")
    owned = factories.task(oidc_client, admin, hate_plan["id"], "Awareness week", owner="amy shah")
    shared = factories.task(
        oidc_client, admin, da_plan["id"], "Refuges", owner="DCI Ode / Supt  Amy Shah"
    )
    factories.task(oidc_client, admin, da_plan["id"], "Other", owner="Amy Shahid")
    oidc_client.put("/api/v1/access/Tracker.Viewer", json={"role": "viewer"}, headers=admin)
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Tracker.Viewer"])
    amy = bearer(provider.mint("amy"))
    assert oidc_client.get("/api/v1/me", headers=amy).status_code == 200
    person_id = oidc_client.get("/api/v1/people", headers=admin).json()["items"][0]["id"]
    url = f"/api/v1/people/{person_id}/responsibilities"

    mine = oidc_client.get(url, headers=amy).json()
    assert [t["id"] for t in mine["tasks"]] == [owned["id"]]
    assert mine["strands"] == []
    added = oidc_client.post(
        f"/api/v1/people/{person_id}/aliases", json={"alias": "Supt Amy Shah"}, headers=admin
    )
    assert added.status_code == 201
    mine = oidc_client.get(url, headers=amy).json()
    assert [t["id"] for t in mine["tasks"]] == [owned["id"], shared["id"]]
    assert [(s["slug"], s["lead"]) for s in mine["strands"]] == [("hate-crime", "Supt Amy Shah")]

    other = bearer(make_token("lead", strands=("hate-crime",)))
    assert oidc_client.get(url, headers=other).status_code == 403
    assert oidc_client.get("/api/v1/people/99/responsibilities", headers=admin).status_code == 404
    with write_session(engine) as session:
        assert links.person_named(session=session, text="supt amy  shah").id == person_id
        assert links.person_named(session=session, text="Nobody") is None


@pytest.fixture
def tracker(database_url: str, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli, list(args))
    get_settings.cache_clear()


def test_access_rules_at_the_command_line(tracker, client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    factories.strand(client, admin, strategy["id"], "Hate Crime")
    made = tracker("access", "set", "Tracker.HateLead", "--role", "lead", "--strand", "hate-crime")
    assert made.exit_code == 0, made.output
    assert "access rule 'Tracker.HateLead' created: lead for hate-crime" in made.output
    bad = tracker("access", "set", "Tracker.X", "--role", "lead", "--strand", "nowhere")
    assert bad.exit_code == 1
    assert "unknown strand: nowhere" in bad.output
    listed = tracker("access", "list")
    assert listed.exit_code == 0
    assert "Tracker.HateLead" in listed.stdout and "hate-crime" in listed.stdout
    rule = client.get("/api/v1/access/Tracker.HateLead", headers=admin).json()
    assert rule["updated_by"].startswith("cli:")
    assert tracker("access", "remove", "Tracker.HateLead").exit_code == 0
    assert tracker("access", "remove", "Tracker.HateLead").exit_code == 1
    assert client.get("/api/v1/access", headers=admin).json() == []
