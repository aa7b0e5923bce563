"""Issuing, checking and revoking API tokens, and the one rule for who may write where."""

import hashlib
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.auth.models import ApiToken, Role
from app.core.base import utcnow
from app.core.db import KeptPerDatabase, reader, run_core, writer
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

TOKEN_PREFIX = "tpt_"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling, an API token or a person: the one principal every rule looks at.

    `via` is `token` (an API token, `token_id` its id) or `oidc` (a person signed in through the
    identity provider, `person_id` theirs); `name` is what the trail and the history record.
    A lead writes in its `strands`, and commentary on the Police and Crime Plan for its
    `contributors`.
    """

    token_id: int
    name: str
    role: Role
    strands: frozenset[str]
    email: str | None = None
    via: str = "token"
    person_id: int | None = None
    contributors: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *,
    session: Session,
    name: str,
    role: Role,
    strands: Sequence[str] = (),
    expires_at: datetime | None = None,
    known_strands: Iterable[str] | None = None,
    contributors: Sequence[str] = (),
    known_contributors: Iterable[str] | None = None,
) -> tuple[ApiToken, str]:
    """Make a token; the clear text is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid("a token needs a name of 1 to 100 characters", field="name")
    if role is Role.lead and not strands and not contributors:
        raise Invalid("a lead token must name at least one strand or contributor", field="strands")
    if role is not Role.lead and strands:
        raise Invalid("only lead tokens are scoped to strands", field="strands")
    if role is not Role.lead and contributors:
        raise Invalid("only lead tokens are scoped to contributors", field="contributors")
    if known_strands is not None:
        unknown = sorted(set(strands) - set(known_strands))
        if unknown:
            raise Invalid(f"unknown strand: {', '.join(unknown)}", field="strands")
    if known_contributors is not None:
        unknown = sorted(set(contributors) - set(known_contributors))
        if unknown:
            raise Invalid(f"unknown contributor: {', '.join(unknown)}", field="contributors")
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first():
        raise Conflict(f"a token named {name!r} already exists")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        role=role,
        strands=sorted(set(strands)),
        contributors=sorted(set(contributors)),
        token_digest=digest(clear),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, clear


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(*, session: Session, name: str) -> ApiToken:
    token = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if token is None:
        raise NotFound(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
    return token


def authenticate(
    *, engine: Engine, clear: str | None, touch_after: int, session: Session | None = None
) -> Actor:
    """The actor behind a bearer token, read afresh; unknown, revoked and expired tokens are
    all 401.

    It reads on `session` when given, else on a connection of its own; when the token was last
    used is written in a transaction of its own, so that reads stay reads.
    """
    actor, stale = look_up(engine=engine, clear=clear, touch_after=touch_after, session=session)
    if stale:
        touch(engine=engine, token_id=actor.token_id)
    return actor


def look_up(
    *,
    engine: Engine,
    clear: str | None,
    touch_after: int,
    session: Session | None = None,
    trust_seconds: float = 0,
) -> tuple[Actor, bool]:
    """`authenticate`'s one read: the actor, and whether when its token was last used is older
    than `touch_after` seconds and wants `touch`ing. Writes nothing.

    A token read in the last `trust_seconds` is not read again (see `_Recalled`); its expiry is
    still checked against the clock at every call."""
    if not clear:
        raise Unauthorized("send a bearer token: Authorization: Bearer <token>")
    key = digest(clear)
    recalled = _recall(engine, key, trust_seconds)
    if recalled is None:
        if session is not None:
            token = run_core(session, _TOKEN_BY_DIGEST, {"digest": key}).first()
        else:
            with reader(engine).connect() as connection:
                token = connection.execute(_TOKEN_BY_DIGEST, {"digest": key}).first()
        if token is None:
            raise Unauthorized("the token is not valid")
        recalled = _Recalled(_clock(), token, token.last_used_at)
        if trust_seconds > 0:
            _RECALLED.put(engine, key, recalled)
    token = recalled.token
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthorized("the token is not valid")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("the token has expired")
    last_used = recalled.last_used_at
    stale = last_used is None or now - last_used > timedelta(seconds=touch_after)
    if stale:
        # The caller writes it now: the requests that follow within the interval need not.
        recalled.last_used_at = now
    actor = Actor(
        token.id,
        token.name,
        Role(token.role),
        frozenset(token.strands),
        contributors=frozenset(token.contributors or ()),
    )
    return actor, stale


def touch(*, engine: Engine, token_id: int | None) -> None:
    """Write down that the token was used now: on its own, briefly, so that reads stay reads and
    a busy request never waits."""
    with writer(engine).begin() as connection:
        connection.execute(
            sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
        )


@dataclass(slots=True)
class _Recalled:
    """A token as `_TOKEN_BY_DIGEST` read it, when (by `_clock`, the monotonic clock), and when
    it was last used as this process knows it.

    Every request but the web page's shows a token, and reading it was one of a task read's two
    round trips to the database. A token read in the last `token_trust_seconds` is trusted as
    read: its revocation in this process (any change to a token through the ORM) forgets every
    token at once; one revoked by another process (the command line, another worker) is refused
    by this one at most `token_trust_seconds` later. Unknown tokens are never kept.
    """

    at: float
    token: Any
    last_used_at: datetime | None


_clock = time.monotonic
_RECALLED: KeptPerDatabase[str, _Recalled] = KeptPerDatabase(most=1024)
"""Per database, the tokens last read, by digest."""


def _recall(engine: Engine, key: str, trust_seconds: float) -> _Recalled | None:
    if trust_seconds <= 0:
        return None
    recalled = _RECALLED.get(engine, key)
    if recalled is None or _clock() - recalled.at >= trust_seconds:
        return None
    return recalled


def forget_tokens(*_: Any) -> None:
    """Forget every token read: one was changed (revoked, most likely) in this process."""
    _RECALLED.clear()


sa.event.listen(ApiToken, "after_update", forget_tokens)
sa.event.listen(ApiToken, "after_delete", forget_tokens)


# Every request runs it, so it is a plain statement, built once, read without the ORM.
_columns = ApiToken.__table__.c  # type: ignore[attr-defined]
_TOKEN_BY_DIGEST = sa.select(
    _columns.id,
    _columns.name,
    _columns.role,
    _columns.strands,
    _columns.contributors,
    _columns.last_used_at,
    _columns.expires_at,
    _columns.revoked_at,
).where(_columns.token_digest == sa.bindparam("digest"))


def ensure_can_write(actor: Actor, strand_slug: str | None = None) -> None:
    """The one rule for writes: admins anywhere, leads only in their strands, viewers never."""
    if actor.role is Role.admin:
        return
    if actor.role is Role.viewer:
        raise Forbidden("a viewer token can only read")
    if strand_slug is None:
        raise Forbidden("only an admin can do this")
    if strand_slug not in actor.strands:
        raise Forbidden(f"this token cannot change the strand {strand_slug!r}")


def ensure_can_write_for_contributor(actor: Actor, contributor_slug: str) -> None:
    """Commentary is written by admins, or by leads for the contributors their token names."""
    if actor.role is Role.admin:
        return
    if actor.role is Role.viewer:
        raise Forbidden("a viewer token can only read")
    if contributor_slug not in actor.contributors:
        raise Forbidden(f"this token cannot write for the contributor {contributor_slug!r}")


def ensure_admin(actor: Actor) -> None:
    if actor.role is not Role.admin:
        raise Forbidden("only an admin can do this")
