"""The web page: signed in with a token kept in a cookie, it shows a quarter's dashboard."""

import re
from http.cookies import SimpleCookie

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.auth import service as auth
from app.core.config import Settings
from app.core.db import write_session
from app.main import create_app
from app.periods.service import current_quarter
from tests.conftest import TokenMaker
from tests.live import serve
from tests.reports.helpers import SUMMARY_HEADER, SUMMARY_Q2, URL, html_tables

HERE = {"Origin": "http://testserver"}


def sign_in(client: TestClient, token: str, headers: dict | None = None) -> httpx.Response:
    return client.post(
        "/sign-in",
        data={"token": token},
        headers=HERE if headers is None else headers,
        follow_redirects=False,
    )


def cookie(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_the_page_sends_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
    form = client.get("/sign-in")
    assert form.status_code == 200
    assert form.headers["referrer-policy"] == "same-origin"
    assert '<form method="post" action="/sign-in">' in form.text


def test_signing_in_sets_a_strict_http_only_cookie_that_the_page_and_reads_accept(
    client: TestClient, make_token: TokenMaker, board: dict
) -> None:
    token = make_token("viewer", name="board secretary")
    signed_in = sign_in(client, token)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    morsel = cookie(signed_in)["tracker_session"]
    # The cookie names a session kept on the server, not the token.
    assert morsel.value != token and len(morsel.value) == 43
    assert (morsel["httponly"], morsel["samesite"].lower(), morsel["path"]) == (True, "strict", "/")
    assert morsel["secure"] == ""

    page = client.get("/", params={"quarter": "2020-21-Q2"})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "board secretary (viewer)" in page.text
    tables, images = html_tables(page.text)
    assert tables == [[SUMMARY_HEADER, *SUMMARY_Q2]]
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    assert '<option value="2020-21-Q2" selected>2020/21 Q2</option>' in page.text
    link = f"{URL}?quarter=2020-21-Q2&amp;strategy_id={board['strategy']['id']}&amp;format=docx"
    assert f'<a href="{link}">Word (.docx)</a>' in page.text

    # The cookie serves the download links, and nothing that writes.
    download = client.get(link.replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith(
        'filename="board-report-2020-21-Q2.docx"'
    )
    write = client.post("/api/v1/strategies", json={"name": "x"}, headers=HERE)
    assert write.status_code == 401

    # Signing out is a form write like any other: it carries the page's CSRF token.
    assert client.post("/sign-out", headers=HERE).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    signed_out = client.post(
        "/sign-out", data={"csrf_token": csrf(page.text)}, headers=HERE, follow_redirects=False
    )
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/sign-in")
    assert 'tracker_session=""' in signed_out.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get(URL, params={"format": "md"}).status_code == 401


def test_the_page_defaults_to_this_quarter_and_explains_bad_ones(
    client: TestClient, make_token: TokenMaker, board: dict
) -> None:
    sign_in(client, make_token("lead", strands=("domestic-abuse",)))
    page = client.get("/")
    assert f"<h2>Dashboard, {current_quarter().board_label}</h2>" in page.text
    bad = client.get("/", params={"quarter": "2020-21-Q7"})
    assert bad.status_code == 422
    assert "is not a quarter" in bad.text


def test_sign_in_refuses_wrong_tokens_and_forms_from_other_sites(
    client: TestClient, make_token: TokenMaker
) -> None:
    token = make_token("admin")
    wrong = sign_in(client, "tpt_guess")
    assert wrong.status_code == 401
    assert "That token was refused: the token is not valid." in wrong.text
    assert "set-cookie" not in wrong.headers
    assert sign_in(client, "").status_code == 401
    # Login CSRF: another site's form, or one whose origin the browser hid, signs nobody in.
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/form"},
        {},
    ):
        refused = sign_in(client, token, headers)
        assert refused.status_code == 403, headers
        assert "set-cookie" not in refused.headers
    assert sign_in(client, token, {"Referer": "http://testserver/sign-in"}).status_code == 303
    assert client.post("/sign-out", headers={"Origin": "https://evil.example"}).status_code == 403


def test_a_revoked_tokens_cookie_no_longer_opens_the_page(
    client: TestClient, make_token: TokenMaker, engine: Engine, board: dict
) -> None:
    sign_in(client, make_token("viewer", name="leaver"))
    assert client.get("/", follow_redirects=False).status_code == 200
    with write_session(engine) as session:
        auth.revoke_token(session=session, name="leaver")
        session.commit()
    refused = client.get("/", follow_redirects=False)
    assert (refused.status_code, refused.headers["location"]) == (303, "/sign-in")
    assert 'tracker_session=""' in refused.headers["set-cookie"]


def test_guessing_tokens_at_the_sign_in_form_is_rate_limited(
    settings: Settings, engine: Engine, make_token: TokenMaker
) -> None:
    limited = settings.model_copy(update={"write_rate_per_minute": 6, "write_burst": 2})
    with TestClient(create_app(limited, engine=engine)) as client:
        codes = [sign_in(client, f"tpt_guess{n}").status_code for n in range(3)]
        assert codes == [401, 401, 429]
        assert sign_in(client, make_token("viewer")).status_code == 429


def test_the_cookie_is_secure_over_https_and_behind_a_tls_proxy(
    app: FastAPI, make_token: TokenMaker
) -> None:
    token = make_token("viewer")
    with TestClient(app, base_url="https://tracker.example") as client:
        direct = client.post(
            "/sign-in",
            data={"token": token},
            headers={"Origin": "https://tracker.example"},
            follow_redirects=False,
        )
    assert cookie(direct)["tracker_session"]["secure"] is True
    # uvicorn takes the scheme from X-Forwarded-Proto when the proxy is trusted (loopback here).
    with serve(app) as base:
        proxied = httpx.post(
            f"{base}/sign-in",
            data={"token": token},
            headers={
                "X-Forwarded-Proto": "https",
                "Origin": base.replace("http://", "https://"),
            },
        )
    assert proxied.status_code == 303
    assert cookie(proxied)["tracker_session"]["secure"] is True
