"""Bearer-token authentication for every `/api/v1` route."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.service import Actor

bearer = HTTPBearer(auto_error=False, description="An API token from `tracker token create`.")


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    actor = service.authenticate(
        engine=request.app.state.engine,
        clear=credentials.credentials if credentials else None,
        touch_after=request.app.state.settings.token_touch_seconds,
    )
    request.state.actor = actor
    return actor


def admin_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    service.ensure_admin(actor)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Annotated[Actor, Depends(admin_actor)]
