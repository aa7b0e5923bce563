"""Who am I, access rules, people and their aliases, and the web page's sessions."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.auth.models import Role
from app.core.base import utcnow
from app.core.db import write_session
from app.core.errors import Forbidden
from app.people import service
from app.people.models import AccessRule, WebSession
from tests import factories
from tests.conftest import TokenMaker, bearer

HERE = {"Origin": "http://testserver"}


@pytest.fixture
def strands(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    for name in ("Hate Crime", "Domestic Abuse", "Night Time Economy"):
        factories.strand(client, admin, strategy["id"], name)


def test_me_answers_for_every_kind_of_token(client: TestClient, make_token: TokenMaker) -> None:
    lead = make_token("lead", strands=("night-time-economy", "hate-crime"), name="NTE lead")
    assert client.get("/api/v1/me", headers=bearer(lead)).json() == {
        "name": "NTE lead",
        "email": None,
        "role": "lead",
        "strands": ["hate-crime", "night-time-economy"],
        "contributors": [],
        "via": "token",
    }
    viewer = client.get("/api/v1/me", headers=bearer(make_token("viewer", name="intranet")))
    assert viewer.json() == {
        "name": "intranet",
        "email": None,
        "role": "viewer",
        "strands": [],
        "contributors": [],
        "via": "token",
    }
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_admins_keep_the_access_rules(client: TestClient, admin: dict, strands: None) -> None:
    url = "/api/v1/access/Tracker.HateCrimeLead"
    made = client.put(url, json={"role": "lead", "strands": ["hate-crime"]}, headers=admin)
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("claim_value", "role", "strands", "updated_by")} == {
        "claim_value": "Tracker.HateCrimeLead",
        "role": "lead",
        "strands": ["hate-crime"],
        "updated_by": "admin",
    }
    again = client.put(
        url, json={"role": "lead", "strands": ["hate-crime", "domestic-abuse"]}, headers=admin
    )
    assert again.status_code == 200
    assert again.json()["strands"] == ["domestic-abuse", "hate-crime"]
    client.put("/api/v1/access/Tracker.Board", json={"role": "viewer"}, headers=admin)
    listed = client.get("/api/v1/access", headers=admin).json()
    assert [(r["claim_value"], r["role"]) for r in listed] == [
        ("Tracker.Board", "viewer"),
        ("Tracker.HateCrimeLead", "lead"),
    ]
    assert client.get(url, headers=admin).json()["role"] == "lead"
    assert client.delete(url, headers=admin).status_code == 204
    missing = client.delete(url, headers=admin)
    assert (missing.status_code, missing.json()["detail"]) == (
        404,
        "no access rule for 'Tracker.HateCrimeLead'",
    )
    assert client.get(url, headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"role": "lead"}, "a lead rule must name at least one strand or contributor"),
        ({"role": "viewer", "strands": ["hate-crime"]}, "only lead rules are scoped to strands"),
        ({"role": "lead", "strands": ["no-such-strand"]}, "unknown strand: no-such-strand"),
    ],
)
def test_bad_access_rules_are_refused_and_change_nothing(
    client: TestClient, admin: dict, strands: None, engine: Engine, body: dict, detail: str
) -> None:
    refused = client.put("/api/v1/access/Tracker.Lead", json=body, headers=admin)
    assert (refused.status_code, refused.json()["detail"]) == (422, detail)
    assert refused.headers["content-type"] == "application/problem+json"
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(AccessRule)) == 0


def test_bad_rule_bodies_are_422s(client: TestClient, admin: dict) -> None:
    for body in ({"role": "owner"}, {"role": "viewer", "extra": 1}, {"strands": "x"}):
        assert client.put("/api/v1/access/x", json=body, headers=admin).status_code == 422


def test_the_highest_role_wins_and_leads_strands_join(engine: Engine) -> None:
    with write_session(engine) as session:
        for value, role, slugs in (
            ("viewers", Role.viewer, []),
            ("hate", Role.lead, ["hate-crime"]),
            ("da", Role.lead, ["domestic-abuse"]),
            ("admins", Role.admin, []),
        ):
            session.add(AccessRule(claim_value=value, role=role, strands=slugs))
        session.flush()
        assert service.access_for(session=session, values=["viewers"]) == (
            Role.viewer,
            frozenset(),
        )
        assert service.access_for(session=session, values=["viewers", "hate", "da"]) == (
            Role.lead,
            frozenset({"hate-crime", "domestic-abuse"}),
        )
        assert service.access_for(session=session, values=["hate", "admins"]) == (
            Role.admin,
            frozenset(),
        )
        for values in ([], ["strangers"]):
            with pytest.raises(Forbidden) as refused:
                service.access_for(session=session, values=values)
            assert "no access rule matches your roles" in refused.value.detail


def test_claims_come_as_lists_or_strings() -> None:
    assert service.claim_values({"roles": ["b", "a", "a", 3]}, "roles") == ["a", "b"]
    assert service.claim_values({"groups": "x y"}, "groups") == ["x", "y"]
    assert service.claim_values({"roles": {"a": 1}}, "roles") == []
    assert service.claim_values({}, "roles") == []


def test_admins_list_people_and_give_them_aliases(
    client: TestClient, admin: dict, engine: Engine, make_token: TokenMaker
) -> None:
    with write_session(engine) as session:
        amy = service.record_person(
            session=session, subject="s-1", name="Amy Shah", email="amy.shah@force.example"
        )
        service.record_person(session=session, subject="s-2", name="Ben Ode", email="")
        again = service.record_person(
            session=session, subject="s-1", name="Amy Shah-Ode", email="amy.shah@force.example"
        )
        assert again.id == amy.id
        session.commit()
    alias = client.post(
        f"/api/v1/people/{amy.id}/aliases", json={"alias": "  DCI   Shah "}, headers=admin
    )
    assert alias.status_code == 201, alias.text
    assert alias.json()["aliases"] == ["DCI Shah"]
    taken = client.post("/api/v1/people/2/aliases", json={"alias": "dci shah"}, headers=admin)
    assert (taken.status_code, taken.json()["detail"]) == (
        422,
        "the alias 'dci shah' is already another person's",
    )
    listed = client.get("/api/v1/people", headers=admin).json()
    assert [(p["name"], p["email"], p["aliases"]) for p in listed["items"]] == [
        ("Amy Shah-Ode", "amy.shah@force.example", ["DCI Shah"]),
        ("Ben Ode", "", []),
    ]
    assert listed["total"] == 2
    assert listed["items"][0]["reminders_enabled"] is True
    lead = bearer(make_token("lead", strands=("hate-crime",)))
    assert client.get("/api/v1/people", headers=lead).status_code == 403
    assert (
        client.post("/api/v1/people/9/aliases", json={"alias": "x"}, headers=admin).status_code
        == 404
    )
    gone = client.delete(f"/api/v1/people/{amy.id}/aliases/dci shah", headers=admin)
    assert gone.status_code == 204
    assert client.get("/api/v1/people", headers=admin).json()["items"][0]["aliases"] == []


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_web_session_answers_me_and_ends_on_time_or_on_sign_out(
    client: TestClient, make_token: TokenMaker, engine: Engine
) -> None:
    token = make_token("lead", strands=("hate-crime",), name="HC lead")
    signed_in = client.post("/sign-in", data={"token": token}, headers=HERE, follow_redirects=False)
    assert signed_in.status_code == 303
    assert "Max-Age=28800" in signed_in.headers["set-cookie"]
    assert client.get("/api/v1/me").json() == {
        "name": "HC lead",
        "email": None,
        "role": "lead",
        "strands": ["hate-crime"],
        "contributors": [],
        "via": "token",
    }
    with engine.begin() as connection:
        stored = connection.execute(sa.select(WebSession.session_digest)).scalar_one()
    assert token not in stored and client.cookies["tracker_session"] not in stored

    page = client.get("/")
    # A forged form, a wrong token or none: the session stays.
    for data, headers in (
        ({"csrf_token": _csrf(page.text)}, {"Origin": "https://evil.example"}),
        ({"csrf_token": "guess"}, HERE),
        ({}, HERE),
    ):
        assert client.post("/sign-out", data=data, headers=headers).status_code == 403
    assert client.get("/api/v1/me").status_code == 200

    with engine.begin() as connection:
        connection.execute(sa.update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    ended = client.get("/api/v1/me")
    assert (ended.status_code, ended.json()["detail"]) == (
        401,
        "the session has ended: sign in again",
    )
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
