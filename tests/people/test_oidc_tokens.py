"""The provider's access tokens on the API: who they make the caller, and every bad token."""

import base64
import hashlib
import hmac
import json
import logging
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.audit.models import AuditEntry
from app.core.config import Settings
from app.main import create_app
from app.people.models import Person
from tests import factories
from tests.conftest import TokenMaker, bearer
from tests.people.conftest import oidc_settings
from tests.people.provider import Provider, new_key


@pytest.fixture
def world(oidc_client: TestClient, admin: dict, provider: Provider) -> dict:
    strategy = factories.strategy(oidc_client, admin)
    hate = factories.strand(oidc_client, admin, strategy["id"], "Hate Crime")
    da = factories.strand(oidc_client, admin, strategy["id"], "Domestic Abuse")
    for value, strand in (
        ("Tracker.HateCrimeLead", "hate-crime"),
        ("Tracker.DALead", "domestic-abuse"),
    ):
        rule = {"role": "lead", "strands": [strand]}
        assert (
            oidc_client.put(f"/api/v1/access/{value}", json=rule, headers=admin).status_code == 201
        )
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Tracker.HateCrimeLead"])
    return {
        "hate_plan": factories.plan(oidc_client, admin, hate["id"], "Hate Crime")["id"],
        "da_plan": factories.plan(oidc_client, admin, da["id"], "Domestic Abuse")["id"],
    }


def _task(client: TestClient, headers: dict, plan_id: int):
    body = {"plan_id": plan_id, "pillar": "prevent", "title": "Hate crime awareness week"}
    return client.post("/api/v1/tasks", json=body, headers=headers)


def test_a_lead_signed_in_at_the_provider_writes_only_their_strands_as_themselves(
    oidc_client: TestClient, provider: Provider, world: dict, engine: Engine
) -> None:
    amy = bearer(provider.sign_in("amy")["access_token"])
    assert oidc_client.get("/api/v1/me", headers=amy).json() == {
        "name": "Amy Shah",
        "email": "amy.shah@force.example",
        "role": "lead",
        "strands": ["hate-crime"],
        "contributors": [],
        "via": "oidc",
    }
    made = _task(oidc_client, amy, world["hate_plan"])
    assert made.status_code == 201, made.text
    outside = _task(oidc_client, amy, world["da_plan"])
    assert (outside.status_code, outside.json()["detail"]) == (
        403,
        "this token cannot change the strand 'domestic-abuse'",
    )
    history = oidc_client.get(f"/api/v1/tasks/{made.json()['id']}/history", headers=amy).json()
    assert [event["recorded_by"] for event in history] == ["Amy Shah"]
    with engine.connect() as connection:
        person_id = connection.execute(sa.select(Person.id)).scalar_one()
        entries = connection.execute(
            sa.select(
                AuditEntry.actor, AuditEntry.actor_person_id, AuditEntry.actor_token_id
            ).where(AuditEntry.entity == "task")
        ).all()
    assert entries == [("Amy Shah", person_id, None)]

    # A group change at the provider is her access on her next token.
    provider.users["amy"].claims["roles"] = ["Tracker.DALead"]
    moved = bearer(provider.sign_in("amy")["access_token"])
    assert oidc_client.get("/api/v1/me", headers=moved).json()["strands"] == ["domestic-abuse"]
    assert _task(oidc_client, moved, world["da_plan"]).status_code == 201
    assert _task(oidc_client, moved, world["hate_plan"]).status_code == 403


def test_a_person_is_recorded_when_first_seen_and_updated_when_renamed(
    oidc_client: TestClient, provider: Provider, world: dict, admin: dict
) -> None:
    token = provider.mint("amy")
    for _ in range(3):
        assert oidc_client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    provider.users["amy"].name = "Amy Shah-Khan"
    assert oidc_client.get("/api/v1/me", headers=bearer(provider.mint("amy"))).status_code == 200
    people = oidc_client.get("/api/v1/people", headers=admin).json()
    assert [(p["subject"], p["name"], p["email"]) for p in people["items"]] == [
        ("sub-amy", "Amy Shah-Khan", "amy.shah@force.example")
    ]
    trail = oidc_client.get("/api/v1/audit", params={"entity": "person"}, headers=admin).json()
    assert [(e["action"], e["actor"]) for e in reversed(trail["items"])] == [
        ("create", "Amy Shah"),
        ("update", "Amy Shah-Khan"),
    ]


def test_no_matching_rule_is_signed_in_without_access(
    oidc_client: TestClient, provider: Provider, world: dict
) -> None:
    provider.add_user("zed", "Zed Obi", "zed@force.example", roles=["Some.Other.App"])
    refused = oidc_client.get("/api/v1/tasks", headers=bearer(provider.mint("zed")))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == (
        "you are signed in, but no access rule matches your roles at the identity provider "
        "(Some.Other.App): ask an administrator for access"
    )
    provider.add_user("nil", "Nil Roles", "nil@force.example")
    assert oidc_client.get("/api/v1/me", headers=bearer(provider.mint("nil"))).status_code == 403


def test_the_groups_claim_can_carry_access(
    settings: Settings, engine: Engine, provider: Provider, admin: dict
) -> None:
    app = create_app(oidc_settings(settings, provider, oidc_roles_claim="groups"), engine=engine)
    with TestClient(app) as client:
        factories.strategy(client, admin)
        client.put("/api/v1/access/board-authors", json={"role": "viewer"}, headers=admin)
        provider.add_user(
            "bo", "Bo Lee", "bo@force.example", groups=["board-authors"], roles=["ignored"]
        )
        me = client.get("/api/v1/me", headers=bearer(provider.mint("bo")))
        assert (me.status_code, me.json()["role"]) == (200, "viewer")


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256(secret: bytes, header: dict, claims: dict) -> str:
    """The classic attack: the provider's public key used as an HMAC secret (which joserfc,
    rightly, will not do for us)."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _bad_tokens(provider: Provider) -> dict[str, tuple[str, str]]:
    now = int(time.time())
    claims = provider.claims_for("amy", "api://tracker")
    public = provider.keys[0].as_bytes(private=False)
    stranger = new_key()
    return {
        "expired": (
            provider.mint("amy", exp=now - 120, iat=now - 900, nbf=now - 900),
            "the token has expired",
        ),
        "not yet valid": (provider.mint("amy", nbf=now + 600), "the token is not valid yet"),
        "wrong audience": (
            provider.mint("amy", audience="api://payroll"),
            "the token is for another audience",
        ),
        "wrong issuer": (
            provider.mint("amy", iss="https://evil.example"),
            "the token is from another issuer",
        ),
        "no expiry": (provider.mint("amy", exp=...), "the token has no 'exp' claim"),
        "unknown key": (
            provider.mint("amy", key=stranger),
            "the token was signed with an unknown key",
        ),
        "forged with a published kid": (
            provider.mint(
                "amy", key=stranger, header={"alg": "RS256", "kid": provider.keys[0].kid}
            ),
            "the token's signature does not verify (bad_signature)",
        ),
        "alg none": (
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
            "the token's algorithm 'none' is not accepted",
        ),
        "HS256 with the public key": (
            _hs256(public, {"alg": "HS256", "kid": provider.keys[0].kid}, claims),
            "the token's algorithm 'HS256' is not accepted",
        ),
        "malformed": ("not.a.jwt", "the token is not a well-formed JWT"),
        "garbage header": (
            f"{_b64(b'{{{')}.{_b64(claims)}.c2ln",
            "the token is not a well-formed JWT",
        ),
        "two parts": (f"{_b64({'alg': 'RS256'})}.{_b64(claims)}", None),
    }


def test_every_bad_token_is_a_401_that_logs_only_the_reason(
    oidc_client: TestClient, provider: Provider, world: dict, caplog: pytest.LogCaptureFixture
) -> None:
    assert oidc_client.get("/api/v1/me", headers=bearer(provider.mint("amy"))).status_code == 200
    # Clocks differ a little: within the minute's leeway, a token is still good.
    now = int(time.time())
    skewed = provider.mint("amy", exp=now - 30, nbf=now + 30)
    assert oidc_client.get("/api/v1/me", headers=bearer(skewed)).status_code == 200
    for case, (token, reason) in _bad_tokens(provider).items():
        caplog.clear()
        with caplog.at_level(logging.INFO):
            refused = oidc_client.get("/api/v1/me", headers=bearer(token))
        assert refused.status_code == 401, (case, refused.text)
        assert refused.headers["content-type"] == "application/problem+json", case
        assert refused.headers["www-authenticate"] == "Bearer"
        if reason is not None:
            assert refused.json()["detail"] == reason, case
            assert f"provider token refused: {reason}" in caplog.messages, case
        assert all(token not in record.getMessage() for record in caplog.records), case
        assert token not in caplog.text, case


def test_intranet_tokens_work_beside_the_provider(
    oidc_client: TestClient, make_token: TokenMaker, world: dict
) -> None:
    intranet = bearer(make_token("viewer", name="intranet"))
    assert oidc_client.get("/api/v1/me", headers=intranet).json()["via"] == "token"
    assert oidc_client.get("/api/v1/tasks", headers=intranet).status_code == 200
    assert oidc_client.get("/api/v1/me", headers=bearer("tpt_unknown")).status_code == 401


def test_a_rotated_key_is_fetched_once_and_unknown_keys_do_not_hammer_the_provider(
    oidc_client: TestClient, oidc_app, provider: Provider, world: dict
) -> None:
    clock = [1000.0]
    oidc_app.state.oidc.clock = lambda: clock[0]
    assert oidc_client.get("/api/v1/me", headers=bearer(provider.mint("amy"))).status_code == 200
    fetched = provider.jwks_requests
    provider.rotate()
    clock[0] += 61
    rotated = bearer(provider.mint("amy"))
    assert oidc_client.get("/api/v1/me", headers=rotated).status_code == 200
    assert provider.jwks_requests == fetched + 1
    # Within the minute, tokens with keys nobody published cost the provider nothing.
    for _ in range(3):
        stranger = bearer(provider.mint("amy", key=new_key()))
        assert oidc_client.get("/api/v1/me", headers=stranger).status_code == 401
    assert oidc_client.get("/api/v1/me", headers=rotated).status_code == 200
    assert provider.jwks_requests == fetched + 1


def test_a_provider_that_is_down_keeps_kept_keys_working_and_fails_new_ones_closed(
    oidc_client: TestClient, oidc_app, provider: Provider, world: dict
) -> None:
    clock = [1000.0]
    oidc_app.state.oidc.clock = lambda: clock[0]
    known = bearer(provider.mint("amy"))
    assert oidc_client.get("/api/v1/me", headers=known).status_code == 200
    rotated_key = new_key()
    later = bearer(provider.mint("amy", key=rotated_key))
    provider.stop()
    clock[0] += 61
    unavailable = oidc_client.get("/api/v1/me", headers=later)
    assert unavailable.status_code == 503
    assert unavailable.headers["content-type"] == "application/problem+json"
    assert unavailable.json()["detail"].startswith(
        f"the token's key cannot be checked now: the identity provider at {provider.issuer} "
        "does not answer"
    )
    assert oidc_client.get("/api/v1/me", headers=known).status_code == 200
    ready = oidc_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["identity_provider"].startswith(
        f"the identity provider at {provider.issuer} does not answer"
    )


def test_readyz_is_503_while_the_provider_was_never_reached(
    settings: Settings, engine: Engine, provider: Provider
) -> None:
    issuer = provider.issuer
    provider.stop()
    app = create_app(oidc_settings(settings, provider), engine=engine)
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["detail"].startswith(
            f"the identity provider at {issuer} does not answer"
        )
        token = f"{_b64({'alg': 'RS256', 'kid': 'k'})}.{_b64({'sub': 'x'})}.c2ln"
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 503


def test_an_access_rule_names_the_plan_contributors_a_person_writes_for(
    oidc_client: TestClient, provider: Provider, admin: dict
) -> None:
    plan = factories.pcp_plan(oidc_client, admin)
    rule = {"role": "lead", "contributors": ["north-lpa"]}
    set_rule = oidc_client.put("/api/v1/access/Tracker.NorthLPA", json=rule, headers=admin)
    assert set_rule.status_code == 201
    assert (set_rule.json()["strands"], set_rule.json()["contributors"]) == ([], ["north-lpa"])
    provider.add_user("nia", "Nia Cole", "nia.cole@force.example", roles=["Tracker.NorthLPA"])
    nia = bearer(provider.sign_in("nia")["access_token"])
    me = oidc_client.get("/api/v1/me", headers=nia).json()
    assert (me["role"], me["strands"], me["contributors"]) == ("lead", [], ["north-lpa"])
    commitment = plan["priorities"][0]["commitments"][0]["id"]

    def write(contributor: str) -> int:
        body = {
            "plan": plan["slug"],
            "quarter": "2022-23-Q1",
            "contributor": contributor,
            "commitment_id": commitment,
            "body": "- Colchester.",
        }
        return oidc_client.post("/api/v1/pcp/commentary", json=body, headers=nia).status_code

    assert (write("north-lpa"), write("south-lpa")) == (201, 403)
    viewer_rule = {"role": "viewer", "contributors": ["north-lpa"]}
    refused = oidc_client.put("/api/v1/access/Tracker.Viewer", json=viewer_rule, headers=admin)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["contributors"]


def test_returns_and_risk_changes_name_the_person(
    oidc_client: TestClient, provider: Provider, world: dict
) -> None:
    amy = bearer(provider.sign_in("amy")["access_token"])
    url = "/api/v1/returns/hate-crime/2020-21-Q1"
    body = {"insight": "i", "delivery_achieved": "a", "delivery_scheduled": "s"}
    assert oidc_client.put(url, json=body, headers=amy).status_code in (200, 201)
    submitted = oidc_client.post(f"{url}/submit", headers=amy)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_by"] == "Amy Shah"

    strand_id = oidc_client.get("/api/v1/strands/hate-crime", headers=amy).json()["id"]
    risk = factories.risk(oidc_client, amy, strand_id, ref="A1")
    etag = oidc_client.get("/api/v1/risks/A1", headers=amy).headers["etag"]
    changed = oidc_client.patch(
        "/api/v1/risks/A1", json={"owner": "DS Lowe"}, headers={**amy, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    history = oidc_client.get("/api/v1/risks/A1/history", headers=amy).json()
    assert {event["recorded_by"] for event in history} == {"Amy Shah"}
    assert risk["ref"] == "A1"
