"""Who is signed in on a page, what they may change, and whether a form write may go ahead.

Sign-in, sessions and CSRF tokens are `app.people.sessions`'s; this module only asks it, so that
every workspace page answers alike.
"""

from fastapi import Request
from sqlmodel import Session

from app.auth.service import Actor, ensure_admin, ensure_can_write
from app.core.errors import Forbidden
from app.people import sessions


def signed_in(request: Request, session: Session) -> Actor | None:
    found = sessions.current(request, session)
    return found[1] if found is not None else None


def may_write(actor: Actor, strand_slug: str) -> bool:
    try:
        ensure_can_write(actor, strand_slug)
    except Forbidden:
        return False
    return True


def is_admin(actor: Actor) -> bool:
    """Offered what only admins may do (the board paper's writes); the services decide."""
    try:
        ensure_admin(actor)
    except Forbidden:
        return False
    return True


def form_refusal(request: Request, session: Session, csrf_token: str) -> str | None:
    """Why a form write may not go ahead (not from this site, or a wrong CSRF token), or None."""
    if not sessions.from_this_site(request):
        return "This form must be sent from this site's own pages; nothing was changed."
    found = sessions.current(request, session)
    if found is None:
        return "Your session has ended: sign in again; nothing was changed."
    try:
        sessions.check_csrf(found[0], csrf_token)
    except Forbidden:
        return "This form is out of date: reload the page and try again; nothing was changed."
    return None
