"""A provider's token turned into the caller: the person recorded, their access from the rules."""

import threading
from collections import OrderedDict

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.auth.models import Role
from app.auth.service import Actor
from app.core.db import read_session, write_session
from app.people import service
from app.people.models import Person
from app.people.oidc import person_fields


class SeenPeople:
    """Who this process has recorded lately, so that a person is written when first seen or when
    the provider renames them, not on every request."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[tuple[str, str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> int | None:
        with self._lock:
            person_id = self._seen.get(key)
            if person_id is not None:
                self._seen.move_to_end(key)
            return person_id

    def put(self, key: tuple[str, str, str], person_id: int) -> None:
        with self._lock:
            self._seen[key] = person_id
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)


def record(*, engine: Engine, subject: str, name: str, email: str) -> Person:
    """Make or update the person in a transaction of their own, recorded in the trail as them."""
    as_themselves = Actor(0, name, Role.viewer, frozenset(), email or None, "oidc")
    with write_session(engine, as_themselves) as session:
        person = service.record_person(session=session, subject=subject, name=name, email=email)
        session.commit()
    return person


def actor_from_claims(
    *, request: Request, session: Session | None, claims: dict, seen: SeenPeople
) -> Actor:
    """The caller a verified token's claims describe; 403 when no access rule matches them."""
    engine = request.app.state.engine
    key = person_fields(claims)
    person_id = seen.get(key)
    if person_id is None:
        subject, name, email = key
        person_id = record(engine=engine, subject=subject, name=name, email=email).id
        seen.put(key, person_id)  # type: ignore[arg-type]
    values = service.claim_values(claims, request.app.state.settings.oidc_roles_claim)
    _, name, email = key
    if session is not None:
        grant = service.grant_for(session=session, values=values)
    else:
        with read_session(engine) as own:
            grant = service.grant_for(session=own, values=values)
    return Actor(
        0,
        name,
        grant.role,
        grant.strands,
        email or None,
        "oidc",
        person_id,
        contributors=grant.contributors,
    )
