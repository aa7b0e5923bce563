"""Server-side web sessions behind an HttpOnly cookie, and CSRF protection for form writes.

The cookie holds a random session id; the database keeps only its SHA-256 digest, who signed in
(an API token or a person, with their roles claim) and a CSRF token. Every form write carries that
token in a hidden field and must come from this site's own pages (Origin, else Referer).
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session, select

from app.auth.models import ApiToken, Role
from app.auth.service import Actor
from app.core.base import utcnow
from app.core.db import SessionDep
from app.core.errors import DomainError, Forbidden, Unauthorized
from app.people import service
from app.people.models import Person, WebSession

SESSION_COOKIE = "tracker_session"
CSRF_FIELD = "csrf_token"


def _digest(clear: str) -> str:
    return hashlib.sha256(clear.encode()).hexdigest()


def start(
    *,
    session: Session,
    hours: float,
    token_id: int | None = None,
    person_id: int | None = None,
    claims: Sequence[str] = (),
    id_token: str = "",
) -> tuple[WebSession, str]:
    """A new session for a token or a person; returns it and the cookie's value (shown once)."""
    now = utcnow()
    # Sessions that ran out are of no use to anyone: sweep them as new ones begin.
    session.execute(sa.delete(WebSession).where(WebSession.expires_at <= now))  # type: ignore[arg-type]
    clear = secrets.token_urlsafe(32)
    record = WebSession(
        session_digest=_digest(clear),
        csrf_token=secrets.token_urlsafe(32),
        token_id=token_id,
        person_id=person_id,
        claims=list(claims),
        id_token=id_token,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(record)
    session.flush()
    return record, clear


def find(*, session: Session, clear: str | None) -> WebSession | None:
    """The live session a cookie names, or None."""
    if not clear or len(clear) > 100:
        return None
    record = session.exec(
        select(WebSession).where(WebSession.session_digest == _digest(clear))
    ).first()
    if record is None or record.expires_at <= utcnow():
        return None
    return record


def end(*, session: Session, clear: str | None) -> WebSession | None:
    """Forget the session a cookie names; returns what it was, for signing out at the provider."""
    record = find(session=session, clear=clear)
    if record is not None:
        session.delete(record)
        session.flush()
    return record


def actor_of(*, session: Session, record: WebSession) -> Actor:
    """Who a session is, worked out afresh: a revoked token or a changed rule applies at once."""
    if record.token_id is not None:
        token = session.get(ApiToken, record.token_id)
        now = utcnow()
        if token is None or token.revoked_at is not None:
            raise Unauthorized("the token is not valid")
        if token.expires_at is not None and token.expires_at <= now:
            raise Unauthorized("the token has expired")
        return Actor(
            token.id,  # type: ignore[arg-type]
            token.name,
            Role(token.role),
            frozenset(token.strands),
            contributors=frozenset(token.contributors or ()),
        )
    person = session.get(Person, record.person_id) if record.person_id is not None else None
    if person is None:
        raise Unauthorized("the session is not valid")
    return service.actor_for(session=session, person=person, values=record.claims)


def cookie_attributes(request: Request) -> dict[str, Any]:
    """How the session cookie is set, and so how it must be named to be deleted."""
    return {
        "path": "/",
        "secure": request.url.scheme == "https",
        "httponly": True,
        "samesite": "strict",
    }


def set_cookie(response: Response, request: Request, clear: str, hours: float) -> Response:
    response.set_cookie(
        SESSION_COOKIE, clear, max_age=int(hours * 3600), **cookie_attributes(request)
    )
    return response


def forget_cookie(response: Response, request: Request) -> Response:
    response.delete_cookie(SESSION_COOKIE, **cookie_attributes(request))
    return response


def from_this_site(request: Request) -> bool:
    """Whether the browser says the form was sent from one of this site's pages."""
    here = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() == here
    referer = urlsplit(request.headers.get("referer", ""))
    return bool(referer.netloc) and f"{referer.scheme}://{referer.netloc}".lower() == here


def current(request: Request, session: Session) -> tuple[WebSession, Actor] | None:
    """The request's signed-in session and who it is, or None; kept on `request.state`."""
    if hasattr(request.state, "web_session"):
        cached = request.state.web_session
        return (cached, request.state.actor) if cached is not None else None
    record = find(session=session, clear=request.cookies.get(SESSION_COOKIE))
    actor = None
    if record is not None:
        try:
            actor = actor_of(session=session, record=record)
        except DomainError:
            record = None
    request.state.web_session = record
    if record is None:
        return None
    request.state.actor = actor
    return record, actor  # type: ignore[return-value]


def csrf_token(request: Request) -> str:
    """The signed-in session's CSRF token, for a form's hidden `csrf_token` field."""
    record = getattr(request.state, "web_session", None)
    return record.csrf_token if record is not None else ""


def csrf_protected(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> WebSession:
    """For every form write: from this site, signed in, and carrying the session's CSRF token."""
    if not from_this_site(request):
        raise Forbidden("send this form from this site's own pages")
    found = current(request, session)
    if found is None:
        raise Unauthorized("sign in first: the session has ended")
    check_csrf(found[0], csrf_token)
    return found[0]


def check_csrf(record: WebSession, sent: str) -> None:
    """The form's `csrf_token` field is the session's own."""
    if not sent or not secrets.compare_digest(sent.encode(), record.csrf_token.encode()):
        raise Forbidden("the form is out of date: reload the page and try again")


CsrfDep = Annotated[WebSession, Depends(csrf_protected)]
