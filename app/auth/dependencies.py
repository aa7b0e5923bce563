"""Authentication for every `/api/v1` route: an API token, a provider's token, or the web page's
session cookie (for reading only)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.service import Actor
from app.core import idempotency
from app.core.db import READ_METHODS, SessionDep
from app.core.errors import Unauthorized
from app.core.openapi import raises
from app.people import oidc, principal, sessions

bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `tracker token create`, or the identity provider's token.",
)

SESSION_COOKIE = sessions.SESSION_COOKIE
COOKIE_METHODS = frozenset({"GET", "HEAD"})


@raises(401, writes=(403,))
async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: SessionDep,
) -> Actor:
    """Who calls. An API token, the most common caller, is one indexed read done here on the
    event loop, as the session's first statement: every request is spared a trip to a worker
    thread and back, which under load cost as much as the rest of a task's read. What may wait
    (a write of when the token was last used, or of an Idempotency-Key; a session cookie, an
    identity provider's keys) is done on a worker thread."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    clear = credentials.credentials if credentials else None
    provider = request.app.state.oidc
    from_cookie = (
        clear is None and request.method in COOKIE_METHODS and SESSION_COOKIE in request.cookies
    )
    if from_cookie or (clear and provider is not None and oidc.looks_like_jwt(clear)):
        return await run_in_threadpool(_signed_in_actor, request, clear, session)
    engine = request.app.state.engine
    settings = request.app.state.settings
    actor, stale = service.look_up(
        engine=engine,
        clear=clear,
        touch_after=settings.token_touch_seconds,
        trust_seconds=settings.token_trust_seconds,
        # A read looks the token up on the request's own connection; a write on one of its own,
        # so that its transaction does not take SQLite's write lock before it is needed.
        session=session if request.method in READ_METHODS else None,
    )
    if stale:
        await run_in_threadpool(service.touch, engine=engine, token_id=actor.token_id)
    request.state.actor = actor
    # Only now, with the token known good, may the request's Idempotency-Key be written.
    if idempotency.pending(request):
        await run_in_threadpool(idempotency.claim, request)
    return actor


def _signed_in_actor(request: Request, clear: str | None, session: Session) -> Actor:
    """A person: by the web page's session cookie, or by the identity provider's token."""
    # The signed-in web page's cookie serves for reading (its download links) and never for
    # writing: a browser sends it with any request, whoever's page made it (CSRF). The page's
    # own forms carry a CSRF token and go to its own routes.
    if clear is None:
        found = sessions.current(request, session)
        if found is None:
            raise Unauthorized("the session has ended: sign in again")
        return found[1]
    claims = request.app.state.oidc.verify(clear)
    actor = principal.actor_from_claims(
        request=request,
        session=session if request.method in READ_METHODS else None,
        claims=claims,
        seen=request.app.state.people_seen,
    )
    request.state.actor = actor
    idempotency.claim(request)
    return actor


@raises(403)
async def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    service.ensure_admin(actor)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(admin_actor)]
