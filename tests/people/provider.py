"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests.

It serves discovery, its JWKS, an authorization endpoint with a login form, a token endpoint
(authorization code with PKCE, client secret basic or post) and an end-session endpoint, over
HTTP from a uvicorn server, and signs with RSA keys made by joserfc. Tests change a user's claims,
rotate its keys and stop it, as a force's provider would.
"""

import base64
import secrets
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import unquote, urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.live import serve

CLIENT_ID = "tracker-web"
CLIENT_SECRET = "tracker-web-secret"
AUDIENCE = "api://tracker"


def new_key() -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": secrets.token_hex(8), "alg": "RS256", "use": "sig"}
    )


@dataclass
class User:
    sub: str
    name: str
    email: str
    password: str
    claims: dict[str, Any] = field(default_factory=dict)


class Provider:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.keys = [new_key()]
        self.redirect_uris: set[str] = set()
        self.codes: dict[str, dict[str, Any]] = {}
        self.ended: list[dict[str, str]] = []
        self.jwks_requests = 0
        self.issuer = ""
        self._running: AbstractContextManager[str] | None = None
        self.app = self._build()

    # Set-up by the tests

    def add_user(self, username: str, name: str, email: str, **claims: Any) -> User:
        user = User(f"sub-{username}", name, email, f"{username}-password", dict(claims))
        self.users[username] = user
        return user

    def rotate(self) -> RSAKey:
        """A new signing key; the old ones are no longer published."""
        self.keys = [new_key()]
        return self.keys[0]

    def start(self) -> str:
        self._running = serve(self.app)  # type: ignore[arg-type]
        self.issuer = self._running.__enter__()
        return self.issuer

    def stop(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)
            self._running = None

    # Tokens

    def claims_for(self, username: str, audience: str, **extra: Any) -> dict[str, Any]:
        user = self.users[username]
        now = int(time.time())
        return {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "name": user.name,
            "email": user.email,
            **user.claims,
            **extra,
        }

    def mint(
        self,
        username: str,
        *,
        key: Any = None,
        header: dict[str, Any] | None = None,
        audience: str = AUDIENCE,
        **claims: Any,
    ) -> str:
        """An access token for the API, as the token endpoint would issue it (or altered)."""
        key = key or self.keys[0]
        header = header or {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
        body = {k: v for k, v in self.claims_for(username, audience, **claims).items() if v != ...}
        return jwt.encode(header, body, key)

    def sign_in(self, username: str, redirect_uri: str = "http://127.0.0.1/callback") -> dict:
        """Tokens for a user, got through the authorization endpoint and the token endpoint."""
        self.redirect_uris.add(redirect_uri)
        verifier = secrets.token_urlsafe(48)
        query = {
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid profile email",
            "state": "s",
            "nonce": "n",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        user = self.users[username]
        with httpx.Client(base_url=self.issuer) as http:
            login = http.post(
                "/authorize", data={**query, "username": username, "password": user.password}
            )
            assert login.status_code == 303, login.text
            code = httpx.URL(login.headers["location"]).params["code"]
            tokens = http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(CLIENT_ID, CLIENT_SECRET),
            )
            assert tokens.status_code == 200, tokens.text
            return tokens.json()

    # The provider's HTTP side

    def _build(self) -> FastAPI:
        app = FastAPI(openapi_url=None)

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "end_session_endpoint": f"{self.issuer}/end-session",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "profile", "email"],
            }

        @app.get("/jwks")
        def jwks() -> dict:
            self.jwks_requests += 1
            return {"keys": [key.as_dict(private=False) for key in self.keys]}

        def refused(reason: str, status: int = 400) -> JSONResponse:
            return JSONResponse({"error": reason}, status_code=status)

        def valid_request(query: dict[str, str]) -> str | None:
            if query.get("client_id") != CLIENT_ID:
                return "unauthorized_client"
            if query.get("redirect_uri") not in self.redirect_uris:
                return "invalid_redirect_uri"
            if query.get("response_type") != "code" or "openid" not in query.get("scope", ""):
                return "invalid_request"
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return "invalid_request: PKCE is required"
            return None

        @app.get("/authorize", response_class=HTMLResponse)
        def authorize_form(request: Request) -> Any:
            query = dict(request.query_params)
            if error := valid_request(query):
                return refused(error)
            hidden = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in query.items()
            )
            return HTMLResponse(
                "<!doctype html><title>Force sign-in</title><h1>Force sign-in</h1>"
                f'<form method="post" action="/authorize">{hidden}'
                '<label>User name <input id="username" name="username"></label>'
                '<label>Password <input id="password" name="password" type="password"></label>'
                '<button id="login" type="submit">Sign in</button></form>'
            )

        @app.post("/authorize")
        async def authorize(request: Request) -> Any:
            query = {k: str(v) for k, v in (await request.form()).items()}
            if error := valid_request(query):
                return refused(error)
            user = self.users.get(query.pop("username", ""))
            if user is None or query.pop("password", "") != user.password:
                return HTMLResponse("<p>Wrong user name or password.</p>", status_code=401)
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"user": user, **query}
            back = {"code": code, "state": query.get("state", "")}
            return RedirectResponse(f"{query['redirect_uri']}?{urlencode(back)}", status_code=303)

        @app.post("/token")
        async def token(request: Request) -> Any:
            form = {k: str(v) for k, v in (await request.form()).items()}
            client = (form.get("client_id"), form.get("client_secret"))
            if request.headers.get("authorization", "").startswith("Basic "):
                raw = base64.b64decode(request.headers["authorization"][6:]).decode()
                client = tuple(unquote(part) for part in raw.split(":", 1))  # type: ignore[assignment]
            if client != (CLIENT_ID, CLIENT_SECRET):
                return refused("invalid_client", 401)
            grant = self.codes.pop(form.get("code", ""), None)
            if form.get("grant_type") != "authorization_code" or grant is None:
                return refused("invalid_grant")
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return refused("invalid_grant: redirect_uri")
            if create_s256_code_challenge(form.get("code_verifier", "")) != grant["code_challenge"]:
                return refused("invalid_grant: PKCE")
            username = next(n for n, u in self.users.items() if u is grant["user"])
            key = self.keys[0]
            header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
            id_claims = self.claims_for(username, CLIENT_ID, nonce=grant.get("nonce"))
            return {
                "token_type": "Bearer",
                "expires_in": 600,
                "access_token": jwt.encode(header, self.claims_for(username, AUDIENCE), key),
                "id_token": jwt.encode(header, id_claims, key),
            }

        @app.get("/end-session")
        def end_session(request: Request) -> Any:
            query = dict(request.query_params)
            self.ended.append(query)
            back = query.get("post_logout_redirect_uri")
            if back:
                return RedirectResponse(back, status_code=303)
            return HTMLResponse("<p>You are signed out of the force.</p>")

        return app


def running() -> Iterator[Provider]:
    provider = Provider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
