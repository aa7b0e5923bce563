"""Signing a browser in through the provider: the authorization-code flow with PKCE.

The browser is sent to the provider with a random `state` (also kept in a short-lived cookie, so
that only the browser that set out may come back with it), a `nonce` that the ID token must
carry, and an S256 code challenge whose verifier never leaves the server. The code it returns
with is exchanged at the token endpoint, and the ID token checked like any of the provider's
tokens, with this site's client id as its audience.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.auth.service import Actor
from app.core.base import utcnow
from app.core.config import Settings
from app.core.db import write_session
from app.core.errors import Forbidden, Unauthorized, Unavailable
from app.people import principal, service, sessions
from app.people.models import Person, SignInAttempt, WebSession
from app.people.oidc import Provider, person_fields

ATTEMPT_MINUTES = 10
SCOPE = "openid profile email"


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor | None
    """None when no access rule matches the person: signed in, but with no access."""
    person: Person
    cookie: str | None
    refusal: str | None = None


def begin(
    *, engine: Engine, provider: Provider, settings: Settings, redirect_uri: str
) -> tuple[str, str]:
    """Where to send the browser, and the state to keep in its cookie."""
    metadata = provider.metadata()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    with write_session(engine) as session:
        stale = utcnow() - timedelta(minutes=ATTEMPT_MINUTES)
        session.execute(sa.delete(SignInAttempt).where(SignInAttempt.created_at < stale))  # type: ignore[arg-type]
        session.add(SignInAttempt(state=state, nonce=nonce, code_verifier=verifier))
        session.commit()
    url = prepare_grant_uri(
        str(metadata["authorization_endpoint"]),
        settings.oidc_client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url, state


def _take_attempt(engine: Engine, state: str) -> SignInAttempt:
    with write_session(engine) as session:
        attempt = session.exec(select(SignInAttempt).where(SignInAttempt.state == state)).first()
        if attempt is None:
            raise Unauthorized("this sign-in has already been used or was never started")
        session.delete(attempt)
        session.commit()
    if attempt.created_at < utcnow() - timedelta(minutes=ATTEMPT_MINUTES):
        raise Unauthorized("this sign-in took too long: start again")
    return attempt


def _exchange(
    *, provider: Provider, settings: Settings, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    endpoint = str(provider.metadata()["token_endpoint"])
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=verifier
    )
    # Imported here: a server that signs no one in never holds httpx (and the CLI it loads).
    import httpx

    try:
        response = httpx.post(
            endpoint,
            content=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            auth=(settings.oidc_client_id, settings.oidc_client_secret),
            timeout=10,
        )
    except httpx.HTTPError as error:
        raise Unavailable(f"the identity provider does not answer: {error}") from error
    if response.status_code != 200:
        raise Unauthorized(f"the identity provider refused the sign-in ({response.status_code})")
    tokens = response.json()
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise Unauthorized("the identity provider sent no ID token")
    return tokens


def finish(
    *,
    engine: Engine,
    provider: Provider,
    settings: Settings,
    code: str,
    state: str,
    kept_state: str | None,
    redirect_uri: str,
) -> SignedIn:
    """Check the browser's return, exchange its code, record the person and open a session."""
    if not kept_state or not secrets.compare_digest(state.encode(), kept_state.encode()):
        raise Unauthorized("this sign-in was not started in this browser: start again")
    attempt = _take_attempt(engine, state)
    tokens = _exchange(
        provider=provider,
        settings=settings,
        code=code,
        verifier=attempt.code_verifier,
        redirect_uri=redirect_uri,
    )
    claims = provider.verify(
        tokens["id_token"], audience=settings.oidc_client_id, nonce=attempt.nonce
    )
    subject, name, email = person_fields(claims)
    person = principal.record(engine=engine, subject=subject, name=name, email=email)
    values = service.claim_values(claims, settings.oidc_roles_claim)
    with write_session(engine) as session:
        try:
            actor = service.actor_for(session=session, person=person, values=values)
        except Forbidden as refusal:
            return SignedIn(None, person, None, refusal.detail)
        session.info["actor"] = actor
        _, clear = sessions.start(
            session=session,
            hours=settings.session_hours,
            person_id=person.id,
            claims=values,
            id_token=tokens["id_token"],
        )
        session.commit()
    return SignedIn(actor, person, clear)


def end_session_url(
    *, provider: Provider, settings: Settings, record: WebSession, back: str
) -> str | None:
    """Where to send a person signing out so that the provider signs them out too, if it can."""
    if record.person_id is None:
        return None
    try:
        endpoint = provider.metadata().get("end_session_endpoint")
    except Unavailable:
        return None
    if not endpoint:
        return None
    query = {"post_logout_redirect_uri": back, "client_id": settings.oidc_client_id}
    if record.id_token:
        query["id_token_hint"] = record.id_token
    return f"{endpoint}{'&' if '?' in str(endpoint) else '?'}{urlencode(query)}"
