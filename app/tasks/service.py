"""Rules for tasks and their dated status events, shared by the API, the CLI and the importer."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit import service as audit
from app.auth.service import Actor, ensure_can_write
from app.core.base import UK, today, utcnow
from app.core.concurrency import check_if_match, etag
from app.core.db import insert_rows, run_core
from app.core.errors import Conflict, DomainError, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.core.when import parse_when
from app.periods import service as periods
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand
from app.tasks import spans
from app.tasks.models import Pillar, Status, StatusEvent, Task, TaskComment, TaskLink
from app.tasks.schemas import (
    CommentCreate,
    StatusBatch,
    StatusChange,
    TaskCreate,
    TaskRead,
    TaskSort,
    TaskUpdate,
)
from app.webhooks.models import EventType
from app.webhooks.service import emit, emit_many

CLOSED = (Status.complete, Status.withdrawn)
PILLAR_ORDER = sa.case({p.value: i for i, p in enumerate(Pillar)}, value=Task.pillar)


@dataclass(frozen=True, slots=True)
class TaskFilters:
    """What to list; each tuple keeps a task matching any of its values (empty: no filter)."""

    strand: tuple[str, ...] = ()
    strategy_id: int | None = None
    plan_id: tuple[int, ...] = ()
    pillar: tuple[Pillar, ...] = ()
    status: tuple[Status, ...] = ()
    owner: str | None = None
    overdue: bool | None = None
    q: str | None = None
    updated_since: datetime | None = None


def task_etag(task: Task | TaskRead) -> str:
    return etag("task", task.id, task.version)


def overdue(due_date: date | None, status: Status, on: date | None = None) -> bool:
    """Due before the day (today by default) and neither complete nor withdrawn."""
    return due_date is not None and due_date < (on or today()) and status not in CLOSED


def to_read(task: Task, strand_slug: str, linked_task_ids: Sequence[int] = ()) -> TaskRead:
    return _as_read(task.model_dump(), strand_slug, linked_task_ids)


def _as_read(fields: dict[str, Any], strand_slug: str, linked_task_ids: Sequence[int]) -> TaskRead:
    """A task's columns as it reads, with what is worked out from them."""
    return TaskRead.model_validate(
        {
            **fields,
            "strand": strand_slug,
            "overdue": overdue(fields["due_date"], Status(fields["status"])),
            "linked_task_ids": list(linked_task_ids),
        }
    )


def links_of(*, session: Session, task_ids: Sequence[int]) -> dict[int, list[int]]:
    """The tasks each of these tasks is linked to, in one query however many there are."""
    linked: dict[int, list[int]] = {task_id: [] for task_id in task_ids}
    if task_ids:
        rows = session.execute(
            sa.select(TaskLink.task_id, TaskLink.linked_task_id)
            .where(TaskLink.task_id.in_(task_ids))  # type: ignore[attr-defined]
            .order_by(TaskLink.task_id, TaskLink.linked_task_id)
        )
        for task_id, linked_task_id in rows:
            linked[task_id].append(linked_task_id)
    return linked


def read_one(*, session: Session, task: Task) -> TaskRead:
    strand = strategies.get_strand_by_id(session=session, strand_id=task.strand_id)
    links = links_of(session=session, task_ids=[task.id])  # type: ignore[list-item]
    return to_read(task, strand.slug, links[task.id])  # type: ignore[index]


def read_task(*, session: Session, task_id: int) -> TaskRead:
    """A task as it reads, in one plain statement: the task, its strand's slug and a row per link.

    The most requested read of all, so it skips the ORM's objects (a GET changes nothing).
    """
    rows = run_core(session, _TASK_TO_READ, {"task_id": task_id}).mappings().all()
    if not rows:
        raise NotFound(f"no task with id {task_id}")
    task = dict(rows[0])
    slug, linked = task.pop("strand"), task.pop("linked_task_id")
    return _as_read(task, slug, [row["linked_task_id"] for row in rows] if linked else [])


_task, _strand, _link = (
    Task.__table__,  # type: ignore[attr-defined]
    Strand.__table__,  # type: ignore[attr-defined]
    TaskLink.__table__,  # type: ignore[attr-defined]
)
_TASK_TO_READ = (
    sa.select(_task, _strand.c.slug.label("strand"), _link.c.linked_task_id)
    .join(_strand, _strand.c.id == _task.c.strand_id)
    .outerjoin(_link, _link.c.task_id == _task.c.id)
    .where(_task.c.id == sa.bindparam("task_id"))
    .order_by(_link.c.linked_task_id)
)


def get_task(*, session: Session, task_id: int, for_update: bool = False) -> Task:
    statement = select(Task).where(Task.id == task_id)
    if for_update:
        statement = statement.with_for_update()
    task = session.exec(statement).first()
    if task is None:
        raise NotFound(f"no task with id {task_id}")
    if for_update:
        spans.locked(session, [task_id])
    return task


def _due_date(due_date: date | None, due_text: str) -> date | None:
    """An explicit due date wins; otherwise the one the text pins, if it pins one."""
    if due_date is not None or not due_text:
        return due_date
    return parse_when(due_text).due_date


def _ensure_task_no_free(
    session: Session, *, plan_id: int, pillar: Pillar, task_no: int | None, task_id: int | None
) -> None:
    if task_no is None:
        return
    statement = select(Task.id).where(
        Task.plan_id == plan_id, Task.pillar == pillar, Task.task_no == task_no
    )
    if task_id is not None:
        statement = statement.where(Task.id != task_id)
    if session.exec(statement).first() is not None:
        raise Conflict(f"the plan already has a {pillar.value} task number {task_no}")


def check_event_date(
    *,
    session: Session,
    task: Task,
    effective_date: date,
    field: str,
    held_strand: Strand | None = None,
) -> None:
    """An event may not predate its task, lie in the future, or fall in a locked quarter.

    `held_strand` is the task's strand when `periods.strand_holding_quarters_open` found it, its
    quarter gate held already."""
    if effective_date < task.added_on:
        raise Invalid(
            f"{effective_date} is before the task was added ({task.added_on})", field=field
        )
    if effective_date > today():
        raise Invalid(f"{effective_date} is in the future", field=field)
    if held_strand is not None:
        periods.refuse_if_closed(
            session=session, strategy_id=held_strand.strategy_id, day=effective_date, field=field
        )
        return
    periods.ensure_quarter_open(
        session=session, strand_id=task.strand_id, day=effective_date, field=field
    )


def create_task(
    *, session: Session, actor: Actor, data: TaskCreate, plan: DeliveryPlan | None = None
) -> Task:
    """Add a task to a plan, with its first status event effective on the day it was added."""
    plan = plan or strategies.get_plan(session=session, plan_id=data.plan_id)
    [task_id] = create_tasks(session=session, actor=actor, plan=plan, items=[data])
    return get_task(session=session, task_id=task_id)


def _ensure_task_nos_free(session: Session, *, plan_id: int, items: Sequence[TaskCreate]) -> None:
    """New task numbers must be free in their plan's pillar, and not repeated among themselves."""
    wanted: set[tuple[Pillar, int]] = set()
    for data in items:
        if data.task_no is None:
            continue
        if (data.pillar, data.task_no) in wanted:
            raise Conflict(f"the plan would have two {data.pillar.value} tasks {data.task_no}")
        wanted.add((data.pillar, data.task_no))
    if not wanted:
        return
    numbers: dict[Pillar, list[int]] = defaultdict(list)
    for pillar, number in wanted:
        numbers[pillar].append(number)
    # A range in each pillar rather than a list of numbers: one short statement however many
    # tasks come, which reads no more than the numbers it could clash with (an import's batches
    # follow one another through a pillar's numbers).
    in_ranges = [
        sa.and_(Task.pillar == pillar, Task.task_no.between(min(given), max(given)))  # type: ignore[union-attr]
        for pillar, given in sorted(numbers.items())
    ]
    taken = session.execute(
        sa.select(Task.pillar, Task.task_no).where(Task.plan_id == plan_id, sa.or_(*in_ranges))
    ).all()
    clashes = sorted((Pillar(p), n) for p, n in taken if (Pillar(p), n) in wanted)
    if clashes:
        pillar, number = clashes[0]
        raise Conflict(f"the plan already has a {pillar.value} task number {number}")


def create_tasks(
    *, session: Session, actor: Actor, plan: DeliveryPlan, items: Sequence[TaskCreate]
) -> list[int]:
    """Add tasks to one plan, each with its first status event effective on its `added_on`.

    All of them or none. The rows are written in bulk and only their ids (in the order of
    `items`) come back, so that an import of a large plan costs little more than a few creates.
    """
    strand = strategies.strand_of_plan(session=session, plan=plan)
    ensure_can_write(actor, strand.slug)
    for data in items:
        if data.plan_id != plan.id:
            raise Invalid(f"task for plan {data.plan_id} given for plan {plan.id}", field="plan_id")
        if data.added_on is not None and data.added_on > today():
            raise Invalid(f"{data.added_on} is in the future", field="added_on")
    if not items:
        return []
    # Each first event is effective on its added_on, so none may fall in a locked quarter.
    for day in sorted({data.added_on or today() for data in items}):
        periods.ensure_quarter_open(session=session, strand_id=strand.id, day=day, field="added_on")
    _ensure_task_nos_free(session, plan_id=plan.id, items=items)
    now = utcnow()
    added_on = today()
    rows = [
        {
            **data.model_dump(exclude={"plan_id", "added_on", "due_date"}),
            "plan_id": plan.id,
            "strand_id": strand.id,
            "added_on": data.added_on or added_on,
            "due_date": _due_date(data.due_date, data.due_text),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": actor.name,
            "updated_by": actor.name,
        }
        for data in items
    ]
    insert_rows(session, Task.__table__, rows)  # type: ignore[attr-defined]
    # The rows are inserted one after another, so their ids rise in the order given;
    # reading them back is far cheaper than RETURNING them in order (a sentinel query per batch).
    ids = list(
        session.scalars(
            sa.select(Task.id)
            .where(
                Task.plan_id == plan.id,
                Task.created_at == now,
                Task.created_by == actor.name,
            )
            .order_by(Task.id)
        )
    )
    if len(ids) != len(rows):
        raise Conflict("another change to the plan was made at the same moment: try again")
    first_events = [
        {
            "task_id": task_id,
            "status": row["status"],
            "effective_date": row["added_on"],
            "note": "Task added to the plan.",
            "recorded_by": actor.name,
            "recorded_at": now,
        }
        for task_id, row in zip(ids, rows, strict=True)
    ]
    insert_rows(session, StatusEvent.__table__, first_events)  # type: ignore[attr-defined]
    # The ids written into the statement as numbers, as `spans.MANY_TASK_IDS` are.
    listed = sa.bindparam("ids", ids, expanding=True, literal_execute=True)
    event_ids = list(
        session.scalars(
            sa.select(StatusEvent.id)
            .where(StatusEvent.task_id.in_(listed))  # type: ignore[attr-defined]
            .order_by(StatusEvent.task_id)
        )
    )
    spans.added(session, [{**row, "task_id": id_} for id_, row in zip(ids, rows, strict=True)])
    # Written in bulk, so the audit trail and the outbox are told here rather than by the ORM.
    created = [{**row, "id": task_id} for task_id, row in zip(ids, rows, strict=True)]
    audit.record_created(session=session, table=Task.__table__, rows=created, strand_id=strand.id)  # type: ignore[attr-defined]
    audit.record_created(
        session=session,
        table=StatusEvent.__table__,  # type: ignore[attr-defined]
        rows=(
            {**event, "id": event_id}
            for event_id, event in zip(event_ids, first_events, strict=True)
        ),
        strand_id=strand.id,
    )
    emit_many(
        session=session,
        type=EventType.task_created,
        data=[
            {
                "task_id": row["id"],
                "strand": strand.slug,
                "plan_id": plan.id,
                "task": _as_read(row, strand.slug, ()),
            }
            for row in created
        ],
    )
    return ids


def _event_keys(task: Task, strand_slug: str) -> dict[str, Any]:
    """What every task event's data starts with, so receivers can route it without a lookup."""
    return {"task_id": task.id, "strand": strand_slug, "plan_id": task.plan_id}


def update_task(
    *, session: Session, actor: Actor, task: Task, data: TaskUpdate, if_match: str | None
) -> Task:
    strand = strategies.get_strand_by_id(session=session, strand_id=task.strand_id)
    ensure_can_write(actor, strand.slug)
    check_if_match(
        if_match,
        task_etag(task),
        what="task",
        current=lambda: read_one(session=session, task=task).model_dump(mode="json"),
    )
    changes = data.model_dump(exclude_unset=True)
    for required in ("pillar", "title"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be cleared", field=required)
    for textual in ("how", "owner", "due_text"):
        if textual in changes and changes[textual] is None:
            changes[textual] = ""
    if "due_text" in changes and "due_date" not in changes:
        changes["due_date"] = _due_date(None, changes["due_text"])
    if "task_no" in changes or "pillar" in changes:
        _ensure_task_no_free(
            session,
            plan_id=task.plan_id,
            pillar=changes.get("pillar", task.pillar),
            task_no=changes.get("task_no", task.task_no),
            task_id=task.id,
        )
    changed = {key: value for key, value in changes.items() if getattr(task, key) != value}
    if changed:
        before = {key: getattr(task, key) for key in changed}
        for key, value in changed.items():
            setattr(task, key, value)
        _touch(task, actor)
        session.add(task)
        session.flush()
        if changed.keys() & {"pillar", "due_date"}:
            spans.changed(session, [task.id])  # type: ignore[list-item]
        emit(
            session=session,
            type=EventType.task_updated,
            data={
                **_event_keys(task, strand.slug),
                "changes": {key: {"old": before[key], "new": changed[key]} for key in changed},
                "task": to_read(task, strand.slug),
            },
        )
    return task


def _touch(task: Task, actor: Actor) -> None:
    task.version += 1
    task.updated_at = utcnow()
    task.updated_by = actor.name


def _status_after(session: Session, task: Task, effective_date: date, status: Status) -> Status:
    """The task's status once an event of `status` effective on the day is recorded: a task's
    status is that of its latest event (by effective date, then as recorded), and the new event
    is recorded last, so it is the event's own unless one already recorded is dated later."""
    latest = session.execute(_LATEST_EVENT, {"task_id": task.id}).first()
    if latest is None or effective_date >= latest.effective_date:
        return status
    return Status(latest.status)


_events = StatusEvent.__table__  # type: ignore[attr-defined]
_LATEST_EVENT = (
    sa.select(_events.c.status, _events.c.effective_date)
    .where(_events.c.task_id == sa.bindparam("task_id"))
    .order_by(_events.c.effective_date.desc(), _events.c.id.desc())
    .limit(1)
)


def record_status(
    *, session: Session, actor: Actor, task: Task, change: StatusChange, field_prefix: str = ""
) -> StatusEvent:
    strand = periods.strand_holding_quarters_open(session=session, strand_id=task.strand_id)
    ensure_can_write(actor, strand.slug)
    effective_date = change.effective_date or today()
    check_event_date(
        session=session,
        task=task,
        effective_date=effective_date,
        field=f"{field_prefix}effective_date",
        held_strand=strand,
    )
    old_status = task.status
    task.status = _status_after(session, task, effective_date, change.status)
    event = StatusEvent(
        task_id=task.id,
        status=change.status,
        effective_date=effective_date,
        note=change.note,
        recorded_by=actor.name,
    )
    session.add(event)
    _touch(task, actor)
    session.add(task)
    # One flush writes the event and the task, and the audit trail's two entries in one insert.
    session.flush()
    spans.changed(session, [task.id], since=effective_date)  # type: ignore[list-item]
    emit(
        session=session,
        type=EventType.task_status_changed,
        data={
            **_event_keys(task, strand.slug),
            "event_id": event.id,
            # The status the event records; the task's own only moves when the event is its
            # latest, which a back-dated event may not be.
            "status": event.status,
            "old_status": old_status,
            "new_status": task.status,
            "effective_date": event.effective_date,
            "note": event.note,
            "recorded_by": event.recorded_by,
            "recorded_at": event.recorded_at,
        },
    )
    return event


def add_comment(
    *, session: Session, actor: Actor, task: Task, comment: CommentCreate
) -> TaskComment:
    """Note something on a task without changing its status: not an event, counted nowhere.

    Allowed in any quarter, closed ones included: a note is of today and changes no figure.
    """
    strand = strategies.get_strand_by_id(session=session, strand_id=task.strand_id)
    ensure_can_write(actor, strand.slug)
    note = TaskComment(task_id=task.id, body=comment.body, recorded_by=actor.name)  # type: ignore[arg-type]
    session.add(note)
    session.flush()
    emit(
        session=session,
        type=EventType.task_commented,
        data={
            **_event_keys(task, strand.slug),
            "comment_id": note.id,
            "body": note.body,
            "recorded_by": note.recorded_by,
            "recorded_at": note.recorded_at,
        },
    )
    return note


def comments(*, session: Session, task_ids: Sequence[int]) -> list[TaskComment]:
    """The comments on these tasks, oldest first."""
    if not task_ids:
        return []
    return list(
        session.exec(
            select(TaskComment)
            .where(TaskComment.task_id.in_(task_ids))  # type: ignore[attr-defined]
            .order_by(TaskComment.recorded_at, TaskComment.id)  # type: ignore[arg-type]
        )
    )


def last_noted(*, session: Session, task_ids: Sequence[int]) -> dict[int, datetime]:
    """When each task last had a status event or a comment recorded (whichever is later)."""
    if not task_ids:
        return {}
    moments = sa.union_all(
        sa.select(StatusEvent.task_id, StatusEvent.recorded_at.label("at")).where(  # type: ignore[attr-defined]
            StatusEvent.task_id.in_(task_ids)  # type: ignore[attr-defined]
        ),
        sa.select(TaskComment.task_id, TaskComment.recorded_at.label("at")).where(  # type: ignore[attr-defined]
            TaskComment.task_id.in_(task_ids)  # type: ignore[attr-defined]
        ),
    ).subquery()
    rows = session.execute(
        sa.select(moments.c.task_id, sa.func.max(moments.c.at)).group_by(moments.c.task_id)
    )
    return {task_id: at for task_id, at in rows}


def not_updated_since(*, session: Session, task_ids: Sequence[int], day: date) -> set[int]:
    """The tasks with no status event or comment recorded since the start of the day."""
    noted = last_noted(session=session, task_ids=task_ids)
    return {
        task_id
        for task_id in task_ids
        if task_id not in noted or noted[task_id].astimezone(UK).date() < day
    }


def record_batch(*, session: Session, actor: Actor, batch: StatusBatch) -> list[StatusEvent]:
    """Apply many status events, all or nothing; every bad event is named in the one error."""
    ids = sorted({change.task_id for change in batch.events})
    tasks = {
        task.id: task
        for task in session.exec(
            select(Task).where(Task.id.in_(ids)).order_by(Task.id).with_for_update()  # type: ignore[union-attr]
        )
    }
    errors = [
        {"field": f"events.{i}.task_id", "message": f"no task with id {change.task_id}"}
        for i, change in enumerate(batch.events)
        if change.task_id not in tasks
    ]
    if errors:
        raise Invalid(
            "some events name tasks that do not exist; nothing was recorded", errors=errors
        )
    events = []
    refused: set[type[DomainError]] = set()
    for i, change in enumerate(batch.events):
        try:
            events.append(
                record_status(
                    session=session,
                    actor=actor,
                    task=tasks[change.task_id],
                    change=change,
                    field_prefix=f"events.{i}.",
                )
            )
        except (Invalid, Conflict) as error:
            errors.extend(error.errors or [{"field": f"events.{i}", "message": error.detail}])
            refused.add(type(error))
    if Invalid in refused:
        raise Invalid("some events are not valid; nothing was recorded", errors=errors)
    if refused:
        raise Conflict("some events fall in locked quarters; nothing was recorded", errors=errors)
    return events


def status_as_at(day: date) -> sa.Subquery:
    """Each task's status as at the end of a day, as rows `(task_id, status)`.

    The status is that of the latest event effective by then (by date, then as recorded); tasks
    added after the day are left out. Each task's event is found through the index on
    (task_id, effective_date, id), so asking about a few tasks never reads every event.
    """
    latest = (
        sa.select(StatusEvent.status)
        .where(StatusEvent.task_id == Task.id, StatusEvent.effective_date <= day)
        .order_by(StatusEvent.effective_date.desc(), StatusEvent.id.desc())  # type: ignore[attr-defined]
        .limit(1)
        .correlate(Task)
        .scalar_subquery()
    )
    return (
        sa.select(Task.id.label("task_id"), latest.label("status"))  # type: ignore[union-attr]
        .where(Task.added_on <= day)
        .subquery("status_as_at")
    )


def history(*, session: Session, task: Task) -> list[StatusEvent]:
    return list(
        session.exec(
            select(StatusEvent)
            .where(StatusEvent.task_id == task.id)
            .order_by(StatusEvent.effective_date, StatusEvent.id)  # type: ignore[arg-type]
        )
    )


def list_events(
    *,
    session: Session,
    page: PageParams,
    strands: tuple[str, ...] = (),
    task_ids: tuple[int, ...] = (),
    updated_since: datetime | None = None,
) -> tuple[list[StatusEvent], int]:
    """Status events of every task, in the order they were recorded."""
    statement = select(StatusEvent).order_by(StatusEvent.recorded_at, StatusEvent.id)  # type: ignore[arg-type]
    if strands:
        statement = (
            statement.join(Task, Task.id == StatusEvent.task_id)  # type: ignore[arg-type]
            .join(Strand, Strand.id == Task.strand_id)  # type: ignore[arg-type]
            .where(Strand.slug.in_(strands))  # type: ignore[attr-defined]
        )
    if task_ids:
        statement = statement.where(StatusEvent.task_id.in_(task_ids))  # type: ignore[attr-defined]
    if updated_since is not None:
        statement = statement.where(StatusEvent.recorded_at >= updated_since)
    rows = session.exec(statement.limit(page.limit).offset(page.offset)).all()
    return list(rows), count(session, statement)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


SORTS: dict[TaskSort, Sequence[Any]] = {
    TaskSort.plan_order: (
        Strand.position,
        DeliveryPlan.position,
        Task.plan_id,
        PILLAR_ORDER,
        Task.task_no,
        Task.id,
    ),
    TaskSort.due_date: (Task.due_date.is_(None), Task.due_date, Task.id),  # type: ignore[union-attr]
    TaskSort.due_date_desc: (Task.due_date.is_(None), Task.due_date.desc(), Task.id),  # type: ignore[union-attr]
    TaskSort.updated_at: (Task.updated_at, Task.id),
    TaskSort.updated_at_desc: (Task.updated_at.desc(), Task.id),  # type: ignore[attr-defined]
    TaskSort.title: (Task.title, Task.id),
    TaskSort.status: (Task.status, Task.id),
}


def task_query(filters: TaskFilters, sort: TaskSort = TaskSort.plan_order) -> sa.Select:
    """Tasks with their strand's slug, filtered and ordered, as one statement."""
    statement = (
        sa.select(Task, Strand.slug)
        .join(Strand, Strand.id == Task.strand_id)
        .join(DeliveryPlan, DeliveryPlan.id == Task.plan_id)
    )
    if filters.strand:
        statement = statement.where(Strand.slug.in_(filters.strand))  # type: ignore[attr-defined]
    if filters.strategy_id is not None:
        statement = statement.where(Strand.strategy_id == filters.strategy_id)
    if filters.plan_id:
        statement = statement.where(Task.plan_id.in_(filters.plan_id))  # type: ignore[attr-defined]
    if filters.pillar:
        statement = statement.where(Task.pillar.in_(filters.pillar))  # type: ignore[attr-defined]
    if filters.status:
        statement = statement.where(Task.status.in_(filters.status))  # type: ignore[attr-defined]
    if filters.updated_since is not None:
        statement = statement.where(Task.updated_at >= filters.updated_since)
    if filters.owner:
        statement = statement.where(sa.func.lower(Task.owner) == filters.owner.strip().lower())
    if filters.overdue is not None:
        overdue = sa.and_(
            Task.due_date.is_not(None),  # type: ignore[union-attr]
            Task.due_date < today(),  # type: ignore[operator]
            Task.status.not_in(CLOSED),  # type: ignore[attr-defined]
        )
        statement = statement.where(overdue if filters.overdue else sa.not_(overdue))
    if filters.q:
        pattern = f"%{_escape_like(filters.q.strip().lower())}%"
        statement = statement.where(
            sa.or_(
                *(
                    sa.func.lower(column).like(pattern, escape="\\")
                    for column in (Task.title, Task.how, Task.owner)
                )
            )
        )
    return statement.order_by(*SORTS[sort])


def list_tasks(
    *, session: Session, filters: TaskFilters, page: PageParams, sort: TaskSort
) -> tuple[list[TaskRead], int]:
    statement = task_query(filters, sort)
    rows = session.execute(statement.limit(page.limit).offset(page.offset)).all()
    links = links_of(session=session, task_ids=[task.id for task, _ in rows])
    return [to_read(task, slug, links[task.id]) for task, slug in rows], count(session, statement)
