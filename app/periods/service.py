"""Quarter locks, and the rule every write obeys: nothing may change a closed quarter.

Below tasks, risks and returns, so that they ask here whether a date is open rather than asking
the dashboard, which counts them.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.auth.service import Actor, ensure_admin
from app.core.base import today, utcnow
from app.core.concurrency import check_if_match
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.core.quarters import Quarter
from app.core.workdays import default_return_deadline, reminder_days
from app.periods.models import QuarterLock, QuarterTimetable
from app.periods.schemas import LockInfo, LockRead, TimetableRead, TimetableWrite
from app.strategies.models import Strand, Strategy
from app.webhooks.models import EventType
from app.webhooks.service import emit


def current_quarter() -> Quarter:
    return Quarter.of(today())


def lock_info(lock: QuarterLock | None) -> LockInfo | None:
    if lock is None:
        return None
    return LockInfo(id=lock.id, locked_at=lock.locked_at, locked_by=lock.locked_by)  # type: ignore[arg-type]


_LOCK_IN_FORCE = select(QuarterLock.id, QuarterLock.locked_at, QuarterLock.locked_by).where(
    QuarterLock.strategy_id == sa.bindparam("strategy_id", type_=sa.Integer),
    QuarterLock.quarter == sa.bindparam("quarter", type_=sa.String),
    QuarterLock.unlocked_at.is_(None),  # type: ignore[union-attr]
)


def lock_in_force(*, session: Session, strategy_id: int, quarter: Quarter) -> LockInfo | None:
    """When and by whom the quarter was locked, if it is: `lock_info(active_lock(...))` read in a
    statement built once, without loading the lock and its snapshot (every dashboard asks)."""
    found = session.execute(
        _LOCK_IN_FORCE, {"strategy_id": strategy_id, "quarter": str(quarter)}
    ).first()
    if found is None:
        return None
    lock_id, locked_at, locked_by = found
    return LockInfo(id=lock_id, locked_at=locked_at, locked_by=locked_by)


def active_lock(
    *, session: Session, strategy_id: int, quarter: Quarter, for_update: bool = False
) -> QuarterLock | None:
    statement = select(QuarterLock).where(
        QuarterLock.strategy_id == strategy_id,
        QuarterLock.quarter == str(quarter),
        QuarterLock.unlocked_at.is_(None),  # type: ignore[union-attr]
    )
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def locks_in_force(
    *, session: Session, strategy_id: int, quarters: Sequence[Quarter]
) -> dict[str, QuarterLock]:
    """The locks in force among these quarters, by quarter."""
    return {
        lock.quarter: lock
        for lock in session.exec(
            select(QuarterLock).where(
                QuarterLock.strategy_id == strategy_id,
                QuarterLock.quarter.in_([str(q) for q in quarters]),  # type: ignore[attr-defined]
                QuarterLock.unlocked_at.is_(None),  # type: ignore[union-attr]
            )
        )
    }


def latest_lock(*, session: Session, strategy_id: int, quarter: Quarter) -> QuarterLock | None:
    """The lock in force, else the last one lifted."""
    return session.exec(
        select(QuarterLock)
        .where(QuarterLock.strategy_id == strategy_id, QuarterLock.quarter == str(quarter))
        .order_by(QuarterLock.unlocked_at.is_not(None), QuarterLock.locked_at.desc())  # type: ignore[union-attr]
    ).first()


def prepare_lock(
    *,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    quarter: Quarter,
    if_locked: bool = False,
) -> None:
    """Check that an admin may lock the quarter now, and hold off events while it is counted.

    A quarter locked already is a 409 unless `if_locked` (closing quarters up to it)."""
    ensure_admin(actor)
    # Whoever writes something dated holds the strategy's quarter gate shared while checking for
    # locks (see hold_quarters_open), so this waits for those in flight, is then counted with
    # them, and holds off the next until the lock is committed.
    _close_gate(session=session, strategy_id=strategy.id)  # type: ignore[arg-type]
    if quarter.last_day >= today():
        raise Invalid(
            f"{quarter} has not ended yet: lock it once its board report is published",
            field="quarter",
        )
    existing = active_lock(session=session, strategy_id=strategy.id, quarter=quarter)  # type: ignore[arg-type]
    if existing is not None and not if_locked:
        raise Conflict(
            f"{quarter} is already locked, since {existing.locked_at:%Y-%m-%d %H:%M} UTC "
            f"by {existing.locked_by}"
        )


def record_lock(
    *,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    quarter: Quarter,
    snapshot: dict[str, Any],
) -> QuarterLock:
    """Lock a quarter (after `prepare_lock`) with the figures published for it."""
    lock = QuarterLock(
        strategy_id=strategy.id,  # type: ignore[arg-type]
        quarter=str(quarter),
        starts_on=quarter.first_day,
        ends_on=quarter.last_day,
        snapshot=snapshot,
        locked_at=utcnow(),
        locked_by=actor.name,
    )
    session.add(lock)
    session.flush()
    emit(
        session=session,
        type=EventType.quarter_locked,
        data={
            "quarter": str(quarter),
            "strategy_id": strategy.id,
            "locked_by": actor.name,
            "locked_at": lock.locked_at,
            "figures": lock.snapshot,
        },
    )
    return lock


def unlock_quarter(
    *, session: Session, actor: Actor, strategy: Strategy, quarter: Quarter
) -> QuarterLock:
    """Lift a quarter's lock; the lock stays on record, marked with who lifted it and when."""
    ensure_admin(actor)
    lock = active_lock(session=session, strategy_id=strategy.id, quarter=quarter, for_update=True)  # type: ignore[arg-type]
    if lock is None:
        raise NotFound(f"{quarter} is not locked in {strategy.name}")
    lock.unlocked_at = utcnow()
    lock.unlocked_by = actor.name
    session.add(lock)
    session.flush()
    return lock


def list_locks(
    *,
    session: Session,
    strategy: Strategy,
    page: PageParams,
    quarter: Quarter | None = None,
    in_force: bool | None = None,
) -> tuple[list[LockRead], int]:
    """Every act of locking, newest first, each with its unlocking if it was lifted."""
    statement = select(QuarterLock).where(QuarterLock.strategy_id == strategy.id)
    if quarter is not None:
        statement = statement.where(QuarterLock.quarter == str(quarter))
    if in_force is not None:
        unlocked = QuarterLock.unlocked_at.is_not(None)  # type: ignore[union-attr]
        statement = statement.where(sa.not_(unlocked) if in_force else unlocked)
    statement = statement.order_by(QuarterLock.locked_at.desc(), QuarterLock.id.desc())  # type: ignore[attr-defined]
    rows = session.exec(statement.limit(page.limit).offset(page.offset))
    return [LockRead.model_validate(lock) for lock in rows], count(session, statement)


# Closing a quarter and writing into it exclude each other through an advisory lock per strategy
# (PostgreSQL's, on this constant and the strategy's id) that nothing else takes: writers hold it
# shared, so they never wait for one another, nor for edits of the strategy's own row; closing
# takes it exclusively. On SQLite every writing transaction holds the database's write lock from
# its first statement, which already puts the two one after the other.
QUARTER_GATE = 0x51_47_41_54  # "QGAT"


def _gate_lock(strategy_id: Any, *, exclusive: bool = False) -> sa.Function:
    lock = sa.func.pg_advisory_xact_lock if exclusive else sa.func.pg_advisory_xact_lock_shared
    return lock(sa.literal(QUARTER_GATE, sa.Integer), sa.cast(strategy_id, sa.Integer))


def hold_quarters_open(*, session: Session, strategy_id: int) -> None:
    """Until this transaction ends, no quarter of the strategy can be closed."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(_gate_lock(strategy_id)))


def _close_gate(*, session: Session, strategy_id: int) -> None:
    """Wait for every write that checked the strategy's quarters to end, and hold off the next."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(_gate_lock(strategy_id, exclusive=True)))


def ensure_quarter_open(*, session: Session, strand_id: int, day: date, field: str) -> None:
    """Refuse (409) a date on or before the end of a quarter closed for the strand's strategy.

    The strategy's quarter gate is held first (in the statement that finds the strategy), so
    no quarter can close between this check and the commit of what the caller writes.
    """
    strand = strand_holding_quarters_open(session=session, strand_id=strand_id)
    refuse_if_closed(session=session, strategy_id=strand.strategy_id, day=day, field=field)


def strand_holding_quarters_open(*, session: Session, strand_id: int) -> Strand:
    """The strand, found by the statement that holds its strategy's quarter gate (PostgreSQL):
    until this transaction ends no quarter of the strategy can close, so `refuse_if_closed`
    may follow without a statement of its own for the gate."""
    statement = sa.select(Strand).where(Strand.id == strand_id)
    if session.connection().dialect.name == "postgresql":
        statement = statement.add_columns(_gate_lock(Strand.strategy_id))
    row = session.execute(statement).first()
    if row is None:
        raise NotFound(f"no strand with id {strand_id}")
    return row[0]


def closing_lock(*, session: Session, strategy_id: int, day: date) -> QuarterLock | None:
    """The first lock in force of a quarter ending on or after the day: the one a change dated
    then would alter, since a quarter's figures are the state as at its end."""
    return session.exec(
        select(QuarterLock)
        .where(
            QuarterLock.strategy_id == strategy_id,
            QuarterLock.unlocked_at.is_(None),  # type: ignore[union-attr]
            QuarterLock.ends_on >= day,
        )
        .order_by(QuarterLock.ends_on)
    ).first()


def ensure_open(*, session: Session, strategy_id: int, day: date, field: str) -> None:
    """Refuse (409) a date on or before the end of a closed quarter of the strategy, holding the
    quarter gate so that none closes before the caller's write commits."""
    hold_quarters_open(session=session, strategy_id=strategy_id)
    refuse_if_closed(session=session, strategy_id=strategy_id, day=day, field=field)


def refuse_if_closed(*, session: Session, strategy_id: int, day: date, field: str) -> None:
    """Refuse (409) a date on or before the end of a closed quarter of the strategy; the caller
    holds the quarter gate already."""
    lock = closing_lock(session=session, strategy_id=strategy_id, day=day)
    if lock is None:
        return
    where = "falls in" if lock.starts_on <= day else "comes before the end of"
    message = (
        f"{day} {where} {lock.quarter}, closed by {lock.locked_by} on "
        f"{lock.locked_at:%Y-%m-%d} when its figures were published: an admin must restate "
        "(or unlock) the quarter first"
    )
    raise Conflict(message, errors=[{"field": field, "message": message}])


def ensure_quarter_writable(
    *, session: Session, strategy_id: int, quarter: Quarter, what: str
) -> None:
    """Refuse (409) a change to a record of a closed quarter (its return, its paper)."""
    hold_quarters_open(session=session, strategy_id=strategy_id)
    lock = closing_lock(session=session, strategy_id=strategy_id, day=quarter.last_day)
    if lock is not None:
        raise Conflict(
            f"{quarter} is closed (published by {lock.locked_by} on {lock.locked_at:%Y-%m-%d}"
            + ("" if lock.quarter == str(quarter) else f" with {lock.quarter}")
            + f"): {what} cannot change until an admin restates it"
        )


# The quarter's timetable


def timetable_etag(strategy_id: int, quarter: Quarter, row: QuarterTimetable | None) -> str:
    return f'"timetable-{strategy_id}-{quarter}-v{row.version if row else 0}"'


def _timetable_row(
    *, session: Session, strategy_id: int, quarter: Quarter, for_update: bool = False
) -> QuarterTimetable | None:
    statement = select(QuarterTimetable).where(
        QuarterTimetable.strategy_id == strategy_id, QuarterTimetable.quarter == str(quarter)
    )
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def _timetable_read(
    *,
    strategy_id: int,
    quarter: Quarter,
    row: QuarterTimetable | None,
    working_days: int,
    reminder_offsets: Sequence[int],
) -> TimetableRead:
    deadline = row.return_deadline if row else default_return_deadline(quarter, working_days)
    return TimetableRead(
        strategy_id=strategy_id,
        quarter=str(quarter),
        return_deadline=deadline,
        return_deadline_is_default=row is None,
        board_date=row.board_date if row else None,
        reminder_days=reminder_days(deadline, reminder_offsets),
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


def get_timetable(
    *,
    session: Session,
    strategy_id: int,
    quarter: Quarter,
    working_days: int,
    reminder_offsets: Sequence[int],
) -> tuple[TimetableRead, str]:
    """The quarter's deadline and board date (the defaults where none was set), and its ETag."""
    row = _timetable_row(session=session, strategy_id=strategy_id, quarter=quarter)
    read = _timetable_read(
        strategy_id=strategy_id,
        quarter=quarter,
        row=row,
        working_days=working_days,
        reminder_offsets=reminder_offsets,
    )
    return read, timetable_etag(strategy_id, quarter, row)


def set_timetable(
    *,
    session: Session,
    actor: Actor,
    strategy_id: int,
    quarter: Quarter,
    data: TimetableWrite,
    if_match: str | None,
    working_days: int,
    reminder_offsets: Sequence[int],
) -> tuple[TimetableRead, str, bool]:
    """Set the quarter's deadline and board date (admin); whether a timetable was created.

    A null deadline sets the default. Changing a timetable already set needs If-Match.
    """
    ensure_admin(actor)
    row = _timetable_row(session=session, strategy_id=strategy_id, quarter=quarter, for_update=True)
    current_etag = timetable_etag(strategy_id, quarter, row)
    if row is not None or if_match:
        check_if_match(if_match, current_etag, what="timetable")
    deadline = data.return_deadline or default_return_deadline(quarter, working_days)
    for field, day in (("return_deadline", deadline), ("board_date", data.board_date)):
        if day is not None and day <= quarter.last_day:
            raise Invalid(
                f"{field} must come after the quarter's last day, {quarter.last_day}", field=field
            )
    created = row is None
    if row is None:
        row = QuarterTimetable(
            strategy_id=strategy_id,
            quarter=str(quarter),
            return_deadline=deadline,
            board_date=data.board_date,
            updated_by=actor.name,
        )
    elif (row.return_deadline, row.board_date) != (deadline, data.board_date):
        row.return_deadline, row.board_date = deadline, data.board_date
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor.name
    session.add(row)
    session.flush()
    read = _timetable_read(
        strategy_id=strategy_id,
        quarter=quarter,
        row=row,
        working_days=working_days,
        reminder_offsets=reminder_offsets,
    )
    return read, timetable_etag(strategy_id, quarter, row), created
