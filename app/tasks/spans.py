"""Status spans: each task's history restated in quarters, kept for counting.

A task stands at a quarter's end in the status of its latest event effective by that day (of two
on one date, the one recorded later), from the quarter it was added in. So each event holds for
the quarters from the one it (or the task) starts in up to, not including, the one its successor
starts in. Those ranges are what `status_span` keeps, and `span_step` counts them as steps: by
plan, pillar and status, the spans that start in a quarter less those that end there, so that a
count at a quarter's end is the sum of the steps up to it. Both are rewritten from the events, in
the database, for the tasks a transaction changed, as it commits.

An open span (ongoing or at risk) of a task with a due date is also counted a second time, with
`overdue` set, over the part of its range in which the task is overdue at the quarter's end: from
the first quarter whose last day comes after the due date. A quarter that has ended then reads
its overdue count, like its status counts, from `span_step` alone.
"""

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from app.core.db import copy_rows
from app.core.quarters import ordinal_of
from app.tasks.models import Pillar, SpanStep, Status, StatusEvent, StatusSpan, Task

OPEN_ENDED = 2**31 - 1
"""`until_q` of a span that no later event ends."""

COLUMNS = ("task_id", "from_q", "until_q", "plan_id", "pillar", "status", "due_date")
KEYS = ("plan_id", "pillar", "status", "overdue", "from_q", "until_q")
"""What spans are counted by: a count of spans over a quarter range, as writes work them out."""
STEP_KEYS = ("plan_id", "pillar", "status", "overdue", "q")
"""The key of `span_step`, in the order steps are moved (so that writers never deadlock)."""
OPEN = (Status.ongoing, Status.at_risk)
CHUNK = 10_000
"""Tasks rewritten a statement at a time: well under either database's limit on parameters."""

_PENDING = "spans_pending"
_LOCKED = "spans_locked"
_ADDED = "spans_added"
_FIRST = "spans_first"
TASK_IDS = sa.bindparam("task_ids", expanding=True)
# A rewrite of many tasks (an import's) has their ids written into its statements as numbers:
# one short list rather than thousands of parameters, which the driver reads the statement for.
# One task's keeps its parameter, so that its statements are the same text every time.
MANY_TASK_IDS = sa.bindparam("task_ids", expanding=True, literal_execute=True)
SINCE = sa.bindparam("since", type_=sa.Date)


def _cutoff() -> sa.ColumnElement[date]:
    """For one task (`task_ids`) with an event added on `since`: the last date before it that has
    events, from which on the task's spans can differ (the events before keep their successors);
    the beginning of time if there is none."""
    before = (
        sa.select(sa.func.max(StatusEvent.effective_date))
        .where(StatusEvent.task_id.in_(TASK_IDS), StatusEvent.effective_date < SINCE)
        .scalar_subquery()
    )
    return sa.func.coalesce(before, sa.literal(date.min, sa.Date))


Executor = OrmSession | sa.Connection


def ordinal(day: sa.ColumnElement) -> sa.ColumnElement[int]:
    """`app.core.quarters.ordinal_of` in SQL, on SQLite and PostgreSQL alike."""
    year = sa.cast(sa.extract("year", day), sa.Integer)
    month = sa.cast(sa.extract("month", day), sa.Integer)
    return year * 4 + (month - 1) // 3


def overdue_from(due: sa.ColumnElement) -> sa.ColumnElement[int]:
    """The ordinal of the first quarter at whose end a task due on this day is overdue: the one
    after the due date's own if that is its quarter's last day, else the due date's own."""
    month, day = sa.extract("month", due), sa.extract("day", due)
    last_day = sa.or_(sa.and_(month.in_((3, 12)), day == 31), sa.and_(month.in_((6, 9)), day == 30))
    return ordinal(due) + sa.case((last_day, 1), else_=0)


def overdue_from_day(due: date) -> int:
    """`overdue_from` of one day, in Python."""
    last_day = (due.month in (3, 12) and due.day == 31) or (due.month in (6, 9) and due.day == 30)
    return ordinal_of(due) + last_day


def counted(span: sa.FromClause, n: int) -> tuple[sa.Select, sa.Select]:
    """What the spans of `span` (rows with `COLUMNS`) add to the counts (by `KEYS`): each span
    once by status, and an open span once more over the quarters in which it is overdue; `n` a
    row. Two selects, to be joined in one flat UNION ALL (SQLite takes no nested ones)."""
    c = span.c
    overdue_q = overdue_from(c.due_date)
    return (
        sa.select(
            c.plan_id,
            c.pillar,
            c.status,
            sa.literal(False, sa.Boolean).label("overdue"),
            c.from_q,
            c.until_q,
            sa.literal(n).label("n"),
        ),
        sa.select(
            c.plan_id,
            c.pillar,
            c.status,
            sa.literal(True, sa.Boolean).label("overdue"),
            sa.case((overdue_q > c.from_q, overdue_q), else_=c.from_q).label("from_q"),
            c.until_q,
            sa.literal(n).label("n"),
        ).where(
            c.status.in_([status.value for status in OPEN]),
            c.due_date.is_not(None),
            overdue_q < c.until_q,
        ),
    )


def spans_of(
    listed: bool = False, since: bool = False, task_ids: sa.BindParameter = TASK_IDS
) -> sa.Select:
    """The spans of every task, or with `listed` of the tasks bound to `task_ids`, as rows in
    `COLUMNS` order; with `since` too, of the one task's spans only those from `_cutoff()` on."""
    events = sa.select(
        StatusEvent.task_id,
        StatusEvent.status,
        StatusEvent.effective_date,
        sa.func.lead(StatusEvent.effective_date)
        .over(
            partition_by=StatusEvent.task_id,
            order_by=(StatusEvent.effective_date, StatusEvent.id),
        )
        .label("next_on"),
    )
    if listed:
        events = events.where(StatusEvent.task_id.in_(task_ids))
    if since:
        events = events.where(StatusEvent.effective_date >= _cutoff())
    event = events.subquery("event")
    starts_on = sa.case(
        (Task.added_on > event.c.effective_date, Task.added_on), else_=event.c.effective_date
    )
    span = (
        sa.select(
            event.c.task_id,
            ordinal(starts_on).label("from_q"),
            sa.case((event.c.next_on.is_(None), OPEN_ENDED), else_=ordinal(event.c.next_on)).label(
                "until_q"
            ),
            Task.plan_id,
            Task.pillar,
            event.c.status,
            Task.due_date,
        )
        .join(Task, Task.id == event.c.task_id)
        .where(event.c.status != Status.withdrawn)
        .subquery("span")
    )
    return sa.select(*(span.c[name] for name in COLUMNS)).where(span.c.from_q < span.c.until_q)


def tasks_in(*, status: Status, quarter_ordinal: int, plan_ids: sa.Select) -> sa.Select:
    """The ids of the tasks of these plans that stand in `status` at the end of a quarter, read
    from the spans by the counting index (plan, pillar, status, range): every pillar is named so
    that the index is sought by status too, not read for whole plans. Withdrawn is never kept."""
    span = StatusSpan.__table__  # type: ignore[attr-defined]
    return sa.select(span.c.task_id).where(
        span.c.plan_id.in_(plan_ids),
        span.c.pillar.in_([pillar.value for pillar in Pillar]),
        span.c.status == status.value,
        span.c.from_q <= quarter_ordinal,
        span.c.until_q > quarter_ordinal,
    )


def changed(session: OrmSession, task_ids: Iterable[int], since: date | None = None) -> None:
    """Note tasks whose events, pillar or due date changed: their spans are rewritten on commit.

    `since`: all that changed is an event added on that date, so only the spans from the last
    date with events before it need rewriting (a status change costs the same however long the
    task's history).
    """
    pending: dict[int, date | None] = session.info.setdefault(_PENDING, {})
    first: dict[int, dict] = session.info.get(_FIRST, {})
    for task_id in task_ids:
        first.pop(task_id, None)  # more than its first event now: its spans are read
        earlier = pending.get(task_id, since)
        pending[task_id] = None if earlier is None or since is None else min(earlier, since)


def added(session: OrmSession, tasks: Sequence[Mapping]) -> None:
    """Note tasks this transaction created, each with only its first event, effective on the
    day the task was added: their spans are written on commit. They have none yet to read or
    remove, and no other transaction sees their rows to lock them.

    Each of `tasks` gives `task_id`, `plan_id`, `pillar`, `status` (its first event's),
    `added_on` and `due_date`. Such a task has one span, open-ended from the quarter it was
    added in, so it is written as it is and counted here, not worked out from the events, unless
    the task changes again before the commit.
    """
    task_ids = [task["task_id"] for task in tasks]
    changed(session, task_ids)
    session.info.setdefault(_ADDED, set()).update(task_ids)
    first: dict[int, dict] = session.info.setdefault(_FIRST, {})
    for task in tasks:
        first[task["task_id"]] = {
            "task_id": task["task_id"],
            "from_q": ordinal_of(task["added_on"]),
            "until_q": OPEN_ENDED,
            "plan_id": task["plan_id"],
            "pillar": Pillar(task["pillar"]),
            "status": Status(task["status"]),
            "due_date": task["due_date"],
        }


def locked(session: OrmSession, task_ids: Iterable[int]) -> None:
    """Note tasks whose rows the session's transaction has locked (`FOR UPDATE`): rewriting
    their spans need not lock them again."""
    session.info.setdefault(_LOCKED, set()).update(task_ids)


def rebuild_pending(session: OrmSession) -> None:
    """Rewrite now the spans of the tasks noted since the last commit."""
    if not session.info.get(_PENDING):
        return
    session.flush()
    pending: dict[int, date | None] = session.info.pop(_PENDING)
    new = session.info.pop(_ADDED, set())
    first: dict[int, dict] = session.info.pop(_FIRST, {})
    # SQLite lets one writer in at a time: its write transaction holds every row already.
    held = session.get_bind().dialect.name == "sqlite"
    if len(pending) == 1 and not new:
        ((task_id, since),) = pending.items()
        lock = not held and task_id not in session.info.get(_LOCKED, ())
        rebuild(session, [task_id], since=since, lock=lock)
        return
    moves: Counter[tuple] = Counter()
    if first:
        moves.update(_write_first(session, [first[task_id] for task_id in sorted(first)]))
    created, others = sorted(new - first.keys()), sorted(pending.keys() - new)
    for start in range(0, len(created), CHUNK):
        moves.update(_write_new(session, created[start : start + CHUNK]))
    for start in range(0, len(others), CHUNK):
        moves.update(_rewrite(session, others[start : start + CHUNK], lock=not held))
    _move_counts(session, moves)


def rebuild(
    executor: Executor, task_ids: Sequence[int], since: date | None = None, lock: bool = True
) -> None:
    """Rewrite the spans of these tasks from their events, and move their counts to match; with
    `since` (one task, to which an event dated then was added), only its spans from the last
    date with events before then.

    The tasks are locked first (in id order), so that two transactions never rewrite one task's
    spans at once: the second waits, then reads what the first committed. The counts move next,
    by the net change of each count the database works out, applied in key order, so that two
    transactions never wait on each other's counts the other way round. Without `lock` the
    caller's transaction holds the tasks' rows already.
    """
    _move_counts(executor, _rewrite(executor, task_ids, since=since, lock=lock))


def _rewrite(
    executor: Executor, task_ids: Sequence[int], since: date | None = None, lock: bool = True
) -> Counter[tuple]:
    """`rebuild`'s spans rewritten; returns the net change of each count, by key."""
    params: dict = {"task_ids": list(task_ids)}
    if since is not None:
        if len(task_ids) != 1:
            raise ValueError("a rewrite from a date is of one task")
        params["since"] = since
        return _rewrite_since(executor, params, lock)
    lock_tasks, moves, delete, insert = _REBUILD if len(task_ids) == 1 else _REBUILD_MANY
    if lock:
        executor.execute(lock_tasks, params)
    changes = _by_key(executor.execute(moves, params))
    executor.execute(delete, params)
    executor.execute(insert, params)
    return changes


def _rewrite_since(executor: Executor, params: dict, lock: bool) -> Counter[tuple]:
    """`_rewrite` of one task from a date (a status change): its spans from then on, new and
    kept, read in one statement; the new ones are worked out from the events once, counted here
    (a few rows), and written as read."""
    lock_tasks, read, delete, insert = _REWRITE_SINCE
    if lock:
        executor.execute(lock_tasks, params)
    new: list[dict] = []
    changes: Counter[tuple] = Counter()
    for *values, side in executor.execute(read, params):
        row = dict(zip(COLUMNS, values, strict=True))
        if side > 0:
            new.append(row)
        _count_row(changes, row, side)
    executor.execute(delete, params)
    if new:
        executor.execute(insert, new)
    return changes


def _count_row(changes: Counter[tuple], row: Mapping, n: int) -> None:
    """Add `n` times what one span (a row with `COLUMNS`) adds to the counts, as `counted`
    works it out in the database: once by status, and an open span once more over the quarters
    in which its task is overdue."""
    key = row["plan_id"], row["pillar"], row["status"]
    changes[*key, False, row["from_q"], row["until_q"]] += n
    if row["status"] in OPEN and row["due_date"] is not None:
        overdue_q = max(overdue_from_day(row["due_date"]), row["from_q"])
        if overdue_q < row["until_q"]:
            changes[*key, True, overdue_q, row["until_q"]] += n


def _write_new(executor: Executor, task_ids: Sequence[int]) -> Counter[tuple]:
    """The spans of tasks that have none yet (created in this transaction) written, worked out
    from their events once and then counted as written; returns what they add to the counts.
    No other transaction sees these rows, so none are locked."""
    params = {"task_ids": list(task_ids)}
    executor.execute(_WRITE_NEW, params)
    return _by_key(executor.execute(_COUNT_NEW, params))


def _write_first(session: OrmSession, rows: Sequence[dict]) -> Counter[tuple]:
    """The spans of new tasks that have their first event only (see `added`) written as given;
    returns what they add to the counts, as `counted` would."""
    kept = [row for row in rows if row["status"] != Status.withdrawn]
    copy_rows(session.connection(), StatusSpan.__table__, kept)  # type: ignore[attr-defined]
    changes: Counter[tuple] = Counter()
    for row in kept:
        _count_row(changes, row, 1)
    return changes


def _by_key(rows: Iterable[sa.Row]) -> Counter[tuple]:
    changes: Counter[tuple] = Counter()
    for *key, n in rows:
        changes[tuple(key)] += n
    return changes


def steps(moves: Counter[tuple]) -> Counter[tuple]:
    """Counts of spans over quarter ranges (by `KEYS`) as the steps they take (by `STEP_KEYS`):
    up where each range starts, down where it ends (an open-ended one never does)."""
    stepped: Counter[tuple] = Counter()
    for (*key, from_q, until_q), n in moves.items():
        stepped[*key, from_q] += n
        if until_q != OPEN_ENDED:
            stepped[*key, until_q] -= n
    return stepped


def _move_counts(executor: Executor, moves: Counter[tuple]) -> None:
    """Apply the net changes to the counts as steps, in key order (so that writers never
    deadlock)."""
    rows = [
        {**dict(zip(STEP_KEYS, key, strict=True)), "n": n}
        for key, n in sorted(steps(moves).items())
        if n
    ]
    if rows:
        bind = executor.get_bind() if isinstance(executor, OrmSession) else executor
        executor.execute(_add_counts(bind.dialect.name), rows)


def _rebuild_statements(task_ids: sa.BindParameter = TASK_IDS) -> tuple[sa.Executable, ...]:
    """The statements of `rebuild` of whole histories, built once."""
    task, span = Task.__table__, StatusSpan.__table__  # type: ignore[attr-defined]
    rewritten = span.c.task_id.in_(task_ids)
    new = spans_of(listed=True, task_ids=task_ids).cte("new")
    old = sa.select(*(span.c[name] for name in COLUMNS)).where(rewritten).cte("old")
    moves = sa.union_all(*counted(new, 1), *counted(old, -1)).subquery("moves")
    keys = [moves.c[k] for k in KEYS]
    # Core tables, not the models: the session would take parameters to an ORM insert as rows.
    return (
        sa.select(task.c.id).where(task.c.id.in_(task_ids)).order_by(task.c.id).with_for_update(),
        sa.select(*keys, sa.func.sum(moves.c.n).label("n"))
        .group_by(*keys)
        .having(sa.func.sum(moves.c.n) != 0)
        .order_by(*keys),
        sa.delete(span).where(rewritten),
        sa.insert(span).from_select(COLUMNS, spans_of(listed=True, task_ids=task_ids)),
    )


_REBUILD = _rebuild_statements()
_REBUILD_MANY = _rebuild_statements(task_ids=MANY_TASK_IDS)


def _rewrite_since_statements() -> tuple[sa.Executable, ...]:
    """The statements of `_rewrite_since`, built once: they run on every status change. The
    task's new spans from the cutoff on (`side` 1) and those kept (`side` -1), in one read."""
    span = StatusSpan.__table__  # type: ignore[attr-defined]
    rewritten = sa.and_(span.c.task_id.in_(TASK_IDS), span.c.from_q >= ordinal(_cutoff()))
    new = spans_of(listed=True, since=True).add_columns(sa.literal(1).label("side"))
    kept = sa.select(*(span.c[name] for name in COLUMNS), sa.literal(-1)).where(rewritten)
    lock_tasks = _REBUILD[0]
    return lock_tasks, sa.union_all(new, kept), sa.delete(span).where(rewritten), sa.insert(span)


_REWRITE_SINCE = _rewrite_since_statements()
_WRITE_NEW = _REBUILD_MANY[3]


def _count_new() -> sa.Select:
    span = StatusSpan.__table__  # type: ignore[attr-defined]
    rows = sa.union_all(
        *counted(sa.select(span).where(span.c.task_id.in_(MANY_TASK_IDS)).subquery("new"), 1)
    ).subquery("moves")
    keys = [rows.c[k] for k in KEYS]
    return sa.select(*keys, sa.func.sum(rows.c.n).label("n")).group_by(*keys).order_by(*keys)


_COUNT_NEW = _count_new()


@functools.cache
def _add_counts(dialect: str) -> sa.Executable:
    """Add to a step, making it if need be. The dialects' upserts are never cached by
    SQLAlchemy, so this one is kept small (its rows come as parameters)."""
    step = SpanStep.__table__  # type: ignore[attr-defined]
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(step)
    return insert.on_conflict_do_update(
        index_elements=list(STEP_KEYS), set_={"n": step.c.n + insert.excluded.n}
    )


def rebuild_all(executor: Executor) -> None:
    """Rewrite every span and count: after data written in bulk, or by a migration."""
    executor.execute(sa.delete(SpanStep))
    executor.execute(sa.delete(StatusSpan))
    executor.execute(sa.insert(StatusSpan).from_select(COLUMNS, spans_of()))
    executor.execute(sa.insert(SpanStep).from_select([*STEP_KEYS, "n"], steps_of_spans()))


def steps_of_spans(span: sa.FromClause | None = None) -> sa.Select:
    """`span_step` as the spans kept (or the rows of `span`, with `COLUMNS`) give it: columns
    `STEP_KEYS` and then `n`, the steps that come to 0 left out."""
    if span is None:
        span = StatusSpan.__table__  # type: ignore[attr-defined]
    rows = sa.union_all(*counted(span, 1)).subquery("counted")
    ranges = (
        sa.select(*(rows.c[k] for k in KEYS), sa.func.count().label("n"))
        .group_by(*(rows.c[k] for k in KEYS))
        .subquery("ranges")
    )
    key = [ranges.c[k] for k in STEP_KEYS[:-1]]
    stepped = sa.union_all(
        sa.select(*key, ranges.c.from_q.label("q"), ranges.c.n),
        sa.select(*key, ranges.c.until_q.label("q"), (-ranges.c.n).label("n")).where(
            ranges.c.until_q != OPEN_ENDED
        ),
    ).subquery("stepped")
    keys = [stepped.c[k] for k in STEP_KEYS]
    total = sa.func.sum(stepped.c.n)
    return sa.select(*keys, total).group_by(*keys).having(total != 0)


def _after_rollback(session: OrmSession) -> None:
    """A transaction rolled back wrote nothing whose spans need rewriting. A savepoint rolled
    back (this event fires for one too) may have taken away some of what was noted, but not
    what came before it: every task noted is then rewritten from the events that remain, and
    a new task's span too, which may have lost its task or first event."""
    session.info.pop(_FIRST, None)
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_ADDED, None)


def _forget_locks(session: OrmSession, *_: object) -> None:
    """Locks end with the transaction, and may end with a savepoint rolled back: lock again."""
    session.info.pop(_LOCKED, None)


sa.event.listen(OrmSession, "before_commit", rebuild_pending)
sa.event.listen(OrmSession, "after_rollback", _after_rollback)
sa.event.listen(OrmSession, "after_commit", _forget_locks)
sa.event.listen(OrmSession, "after_soft_rollback", _forget_locks)
