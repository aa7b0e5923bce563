"""Authentication for every `/api/v1` route: an API token, a provider's token, or the web page's
session cookie (for reading only)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: SessionDep,
) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    clear = credentials.credentials if credentials else None
    # The signed-in web page's cookie serves for reading (its download links) and never for
    # writing: a browser sends it with any request, whoever's page made it (CSRF). The page's
    # own forms carry a CSRF token and go to its own routes.
    if clear is None and request.method in COOKIE_METHODS and SESSION_COOKIE in request.cookies:
        found = sessions.current(request, session)
        if found is None:
            raise Unauthorized("the session has ended: sign in again")
        return found[1]
    provider = request.app.state.oidc
    if clear and provider is not None and oidc.looks_like_jwt(clear):
        claims = provider.verify(clear)
        actor = principal.actor_from_claims(
            request=request,
            session=session if request.method in READ_METHODS else None,
            claims=claims,
            seen=request.app.state.people_seen,
        )
        request.state.actor = actor
        idempotency.claim(request)
        return actor
    actor = service.authenticate(
        engine=request.app.state.engine,
        clear=clear,
        touch_after=request.app.state.settings.token_touch_seconds,
        # A read looks the token up on the request's own connection; a write on one of its own,
        # so that its transaction does not take SQLite's write lock before it is needed.
        session=session if request.method in READ_METHODS else None,
    )
    request.state.actor = actor
    # Only now, with the token known good, may the request's Idempotency-Key be written.
    idempotency.claim(request)
    return actor


@raises(403)
async def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    service.ensure_admin(actor)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(admin_actor)]
