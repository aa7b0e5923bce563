"""Recording every write in the transaction that makes it, and reading the trail back.

One listener on the ORM session sees each flush: the records it inserts, updates and deletes, with
their column values before and after. So every write through a service is recorded without the
service having to remember, and the entry commits or rolls back with the change itself. The actor
is the session's (`session.info["actor"]`), or the request's for the API's sessions.
"""

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.auth.service import Actor, ensure_admin
from app.core.base import utcnow
from app.core.db import insert_rows
from app.core.errors import Forbidden
from app.core.pagination import PageParams, count
from app.strategies.models import Strand

REDACTED = "[redacted]"
SECRET_WORDS = ("secret", "digest", "password")
SYSTEM = Actor(token_id=0, name="system", role=Role.admin, strands=frozenset())


def set_actor(session: Session, actor: Actor) -> Session:
    session.info["actor"] = actor
    return session


def _actor(session: OrmSession) -> Actor:
    actor = session.info.get("actor")
    if actor is None and (state := session.info.get("request_state")) is not None:
        actor = getattr(state, "actor", None)
    return actor or SYSTEM


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _secret(key: str) -> bool:
    return any(word in key for word in SECRET_WORDS)


def _value(key: str, value: Any) -> Any:
    return REDACTED if _secret(key) else _jsonable(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types whose values JSON takes as they are (an enum's value is a str, but its type is not)."""


def _columns(obj: Any) -> Iterable[str]:
    return [column.key for column in sa.inspect(obj).mapper.column_attrs]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: _value(key, getattr(obj, key)) for key in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = sa.inspect(obj)
    before, after = {}, {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[key], after[key] = _value(key, old), _value(key, new)
    return before, after


def _strand_id(session: OrmSession, obj: Any) -> int | None:
    if isinstance(obj, Strand):
        return obj.id
    if (strand_id := getattr(obj, "strand_id", None)) is not None:
        return strand_id
    task_id = getattr(obj, "task_id", None)
    if task_id is not None:
        from app.tasks.models import Task

        task = session.get(Task, task_id)
        return task.strand_id if task else None
    return None


def _audited(obj: Any) -> bool:
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__table__")


def _entry(
    session: OrmSession,
    obj: Any,
    action: str,
    before: Any,
    after: Any,
    strand_id: int | None = None,
) -> dict:
    actor = _actor(session)
    # Read from the record itself: a row just inserted has its key but no identity until the
    # flush is over, and its entry must still say which row it is.
    identity = sa.inspect(obj).mapper.primary_key_from_instance(obj)
    return {
        "at": utcnow(),
        "actor_token_id": actor.token_id or None,
        "actor_person_id": actor.person_id,
        "actor": actor.name,
        "action": action,
        "entity": type(obj).__tablename__,
        "entity_id": "-".join(str(part) for part in identity if part is not None),
        "strand_id": strand_id if strand_id is not None else _strand_id(session, obj),
        "before": before,
        "after": after,
    }


def _after_flush(session: OrmSession, _context: Any) -> None:
    entries = []
    for obj in session.new:
        if _audited(obj):
            entries.append(_entry(session, obj, "create", None, _snapshot(obj)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                entries.append(_entry(session, obj, "update", before, after))
    for obj in session.deleted:
        if _audited(obj):
            entries.append(_entry(session, obj, "delete", _snapshot(obj), None))
    if entries:
        session.connection().execute(sa.insert(AuditEntry.__table__), entries)


def record(
    *,
    session: Session,
    action: str,
    entity: str,
    entity_id: str,
    strand_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record an act bigger than one row's change (an import, a lock), in the same transaction."""
    actor = _actor(session)
    session.add(
        AuditEntry(
            actor_token_id=actor.token_id or None,
            actor_person_id=actor.person_id,
            actor=actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            strand_id=strand_id,
            before=_jsonable(before),
            after=_jsonable(after),
        )
    )


def _row_snapshot(
    row: dict[str, Any], keys: list[str], secret: list[str], written: dict[int, tuple[Any, Any]]
) -> dict[str, Any]:
    """`_snapshot` of a row given as its columns' values; `written` keeps each value object
    already made JSON's (with the object, so that its id stays its own), since rows written
    in bulk share most of theirs: the moment, the day added, the pillar."""
    snapshot = {}
    for key in keys:
        value = row[key]
        if type(value) in _PLAIN:
            snapshot[key] = value
            continue
        known = written.get(id(value))
        if known is None:
            known = written[id(value)] = (value, _jsonable(value))
        snapshot[key] = known[1]
    for key in secret:
        snapshot[key] = REDACTED
    return snapshot


def record_created(
    *, session: Session, table: sa.Table, rows: Iterable[dict[str, Any]], strand_id: int | None
) -> None:
    """Record rows of `table` written in bulk (each with every column, its key included), which
    the ORM, and so the listener, never saw: one create entry per row, as the listener writes.

    No record is made of a row, so that an import of 10,000 tasks costs little more than their
    insert. `strand_id` is the strand of every row, when they have no `strand_id` of their own.
    """
    actor = _actor(session)
    now = utcnow()
    keys = [column.key for column in table.columns]
    secret = [key for key in keys if _secret(key)]
    identity = [column.key for column in table.primary_key.columns]
    common = {
        "at": now,
        "actor_token_id": actor.token_id or None,
        "actor_person_id": actor.person_id,
        "actor": actor.name,
        "action": "create",
        "entity": table.name,
        "before": None,
    }
    written: dict[int, tuple[Any, Any]] = {}
    entries = [
        {
            **common,
            "entity_id": "-".join(str(row[key]) for key in identity if row[key] is not None),
            "strand_id": row.get("strand_id", strand_id),
            "after": _row_snapshot(row, keys, secret, written),
        }
        for row in rows
    ]
    insert_rows(session, AuditEntry.__table__, entries)  # type: ignore[attr-defined]


sa.event.listen(OrmSession, "after_flush", _after_flush)


def list_entries(
    *,
    session: Session,
    actor: Actor,
    page: PageParams,
    entity: str | None = None,
    entity_id: str | None = None,
    by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], int]:
    """The trail, newest first: all of it for admins, their strands' for leads."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
    if actor.role is Role.lead:
        strand_ids = select(Strand.id).where(Strand.slug.in_(sorted(actor.strands)))  # type: ignore[attr-defined]
        statement = statement.where(AuditEntry.strand_id.in_(strand_ids))  # type: ignore[union-attr]
    elif actor.role is not Role.admin:
        raise Forbidden("only admins and strand leads can read the audit trail")
    else:
        ensure_admin(actor)
    if entity:
        statement = statement.where(AuditEntry.entity == entity)
    if entity_id:
        statement = statement.where(AuditEntry.entity_id == entity_id)
    if by:
        statement = statement.where(AuditEntry.actor == by)
    if since:
        statement = statement.where(AuditEntry.at >= since)
    if until:
        statement = statement.where(AuditEntry.at < until)
    entries = list(session.exec(statement.limit(page.limit).offset(page.offset)))
    return entries, count(session, statement)
