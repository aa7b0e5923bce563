"""The change feed's order, and reading it from a cursor.

Outbox events get their ids when they are inserted, which on PostgreSQL is not the order in which
their transactions commit: a reader who had seen event 7 could later find event 6 committed. So
each transaction's events enter the feed in `before_commit`, after all its other work, with the
feed's ids taken under a transaction-level advisory lock that PostgreSQL releases only once the
commit is visible. Entries therefore become visible in id order, and `id > cursor` never skips
one. The lock is held for one insert and the commit, never while other rows are locked.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from app.changes.models import ChangeEntry
from app.core.errors import Invalid
from app.webhooks.models import EventType, WebhookEvent

PENDING = "change_feed_pending_events"
RANGE = "change_feed_event_id_range"
LISTENING = "change_feed_listening"
# Any constant will do, as long as nothing else takes this advisory lock.
FEED_LOCK = 0x4C_43_48_46  # "LCHF"
MAX_LIMIT = 1_000


def enter_at_commit(session: Session, events: int, *, lowest: int, highest: int) -> None:
    """Put the session's `events` newest outbox events, whose ids lie between `lowest` and
    `highest`, in the feed when its transaction commits."""
    if not session.info.get(LISTENING):
        event.listen(session, "before_commit", _enter_feed)
        event.listen(session, "after_rollback", _forget)
        session.info[LISTENING] = True
    session.info[PENDING] = session.info.get(PENDING, 0) + events
    low, high = session.info.get(RANGE, (lowest, highest))
    session.info[RANGE] = (min(low, lowest), max(high, highest))


def _enter_feed(session: Session) -> None:
    session.flush()
    pending = session.info.pop(PENDING, 0)
    lowest, highest = session.info.pop(RANGE, (0, 0))
    if not pending:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    # Every committed transaction has entered its events, and others' uncommitted ones cannot be
    # seen: the newest events not in the feed are this transaction's own (fewer, if a rolled-back
    # savepoint took some away). They are looked for between its lowest id and its highest: a
    # bounded range of the key, which the planner probes row by row rather than hashing every
    # entry, so that the search costs the same however many events the outbox keeps.
    connection.execute(_ENTER_OWN, {"lowest": lowest, "highest": highest, "pending": pending})


def _enter_own() -> sa.Insert:
    events, entries = WebhookEvent.__table__, ChangeEntry.__table__  # type: ignore[attr-defined]
    own = (
        sa.select(events.c.id)
        .where(
            events.c.id.between(sa.bindparam("lowest"), sa.bindparam("highest")),
            ~sa.exists().where(entries.c.event_id == events.c.id),
        )
        .order_by(events.c.id.desc())
        .limit(sa.bindparam("pending"))
        .subquery()
    )
    return sa.insert(entries).from_select(["event_id"], sa.select(own.c.id).order_by(own.c.id))


_ENTER_OWN = _enter_own()


def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(RANGE, None)


def parse_cursor(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise Invalid("a cursor is what a previous answer gave as `cursor`", field="after")
    return int(after)


def changes_after(
    *,
    session: Session,
    after: int,
    limit: int,
    types: tuple[EventType, ...] = (),
) -> tuple[list[tuple[int, WebhookEvent]], bool]:
    """Up to `limit` changes after the cursor, oldest first, and whether more are waiting."""
    statement = (
        sa.select(ChangeEntry.id, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == ChangeEntry.event_id)
        .where(ChangeEntry.id > after)
        .order_by(ChangeEntry.id)
        .limit(limit + 1)
    )
    if types:
        statement = statement.where(WebhookEvent.type.in_(types))  # type: ignore[attr-defined]
    rows = [(entry_id, found) for entry_id, found in session.execute(statement).all()]
    return rows[:limit], len(rows) > limit
