"""The web page's single sign-on, step by step over HTTP against the real provider."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests import factories
from tests.people.provider import Provider

HERE = {"Origin": "http://testserver"}
CALLBACK = "http://testserver/sign-in/callback"


@pytest.fixture
def lead(oidc_client: TestClient, admin: dict, provider: Provider) -> None:
    strategy = factories.strategy(oidc_client, admin)
    factories.strand(oidc_client, admin, strategy["id"], "Hate Crime")
    rule = {"role": "lead", "strands": ["hate-crime"]}
    oidc_client.put("/api/v1/access/Tracker.HateCrimeLead", json=rule, headers=admin)
    provider.add_user("amy", "Amy Shah", "amy.shah@force.example", roles=["Tracker.HateCrimeLead"])
    provider.redirect_uris.add(CALLBACK)


def _to_provider(client: TestClient) -> str:
    started = client.post("/sign-in/oidc", headers=HERE, follow_redirects=False)
    assert started.status_code == 303, started.text
    return started.headers["location"]


def _log_in(provider: Provider, authorize_url: str, username: str) -> str:
    """The user signs in on the provider's own form; returns where it sends the browser."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    form = httpx.get(authorize_url)
    assert form.status_code == 200 and "Force sign-in" in form.text
    user = provider.users[username]
    done = httpx.post(
        f"{provider.issuer}/authorize",
        data={**query, "username": username, "password": user.password},
    )
    assert done.status_code == 303, done.text
    return done.headers["location"]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_lead_signs_in_through_the_provider_and_out_of_both(
    oidc_client: TestClient, provider: Provider, lead: None
) -> None:
    form = oidc_client.get("/sign-in")
    assert (
        '<button type="submit" id="sign-in-oidc">Sign in with Force sign-in</button>' in form.text
    )
    authorize = _to_provider(oidc_client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    assert (query["code_challenge_method"], query["redirect_uri"], query["scope"]) == (
        ["S256"],
        [CALLBACK],
        ["openid profile email"],
    )
    back = _log_in(provider, authorize, "amy")
    landed = oidc_client.get(back.removeprefix("http://testserver"), follow_redirects=False)
    assert landed.status_code == 200, landed.text
    assert '<meta http-equiv="refresh" content="0; url=/">' in landed.text
    assert "tracker_session=" in landed.headers["set-cookie"]

    page = oidc_client.get("/")
    assert "Amy Shah (lead)" in page.text
    assert oidc_client.get("/api/v1/me").json() == {
        "name": "Amy Shah",
        "email": "amy.shah@force.example",
        "role": "lead",
        "strands": ["hate-crime"],
        "contributors": [],
        "via": "oidc",
    }
    out = oidc_client.post(
        "/sign-out", data={"csrf_token": _csrf(page.text)}, headers=HERE, follow_redirects=False
    )
    assert out.status_code == 303
    end = urlsplit(out.headers["location"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{provider.issuer}/end-session"
    hint = parse_qs(end.query)
    assert hint["post_logout_redirect_uri"] == ["http://testserver/sign-in"]
    assert hint["id_token_hint"][0].count(".") == 2
    assert oidc_client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert oidc_client.get("/api/v1/me").status_code == 401


def test_a_return_that_this_browser_did_not_start_signs_nobody_in(
    oidc_client: TestClient, provider: Provider, lead: None, app, engine: Engine
) -> None:
    back = _log_in(provider, _to_provider(oidc_client), "amy").removeprefix("http://testserver")
    # Another browser (no state cookie) brought back someone else's code: refused.
    with TestClient(oidc_client.app) as stranger:
        refused = stranger.get(back)
        assert refused.status_code == 401
        assert "this sign-in was not started in this browser" in refused.text
        assert "tracker_session" not in refused.headers.get("set-cookie", "")
    assert oidc_client.get(back).status_code == 200
    # The same return twice: the first used it up.
    oidc_client.cookies.clear()
    authorize = _to_provider(oidc_client)
    back = _log_in(provider, authorize, "amy").removeprefix("http://testserver")
    state = parse_qs(urlsplit(back).query)["state"][0]
    assert oidc_client.get(back).status_code == 200
    oidc_client.cookies.set("tracker_sign_in", state, path="/sign-in/callback")
    again = oidc_client.get(back)
    assert again.status_code == 401
    assert "already been used or was never started" in again.text


def test_a_sign_in_from_another_site_or_refused_by_the_provider_goes_nowhere(
    oidc_client: TestClient, provider: Provider, lead: None
) -> None:
    forged = oidc_client.post(
        "/sign-in/oidc", headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert forged.status_code == 403
    denied = oidc_client.get(
        "/sign-in/callback", params={"error": "access_denied", "error_description": "No."}
    )
    assert denied.status_code == 401
    assert "The identity provider did not sign you in: No.." not in denied.text
    assert "The identity provider did not sign you in: No." in denied.text


def test_signed_in_without_a_matching_rule_is_told_so(
    oidc_client: TestClient, provider: Provider, lead: None
) -> None:
    provider.add_user("zed", "Zed Obi", "zed@force.example", roles=["Other.App"])
    back = _log_in(provider, _to_provider(oidc_client), "zed").removeprefix("http://testserver")
    refused = oidc_client.get(back)
    assert refused.status_code == 403
    assert (
        "Zed Obi: you are signed in, but no access rule matches your roles at the identity "
        "provider (Other.App): ask an administrator for access." in refused.text
    )
    assert "tracker_session" not in refused.headers.get("set-cookie", "")
