"""Tasks of the 4P delivery plans and their status events."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, OptionalIfMatch, check_optional_if_match, set_etag
from app.core.db import SessionDep, commits
from app.core.exports import XLSX
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.query import UpdatedSince, any_of, since, values
from app.core.schemas import Id
from app.imports import export
from app.imports.schemas import PlanExportFormat
from app.tasks import service
from app.tasks.models import Pillar, Status
from app.tasks.schemas import (
    CommentCreate,
    CommentRead,
    StatusBatch,
    StatusBatchRead,
    StatusChange,
    StatusEventRead,
    TaskCreate,
    TaskRead,
    TaskSort,
    TaskUpdate,
)

router = APIRouter(
    tags=tag(
        "tasks",
        "Tasks of the 4P delivery plans and their dated status events: each change of status is an"
        " event with an effective date, who recorded it and a note. `If-Match` guards edits; "
        "`Idempotency-Key` makes a retried POST safe.",
    )
)


@router.post("/tasks", status_code=status.HTTP_201_CREATED)
@commits
def create_task(
    data: TaskCreate, session: SessionDep, actor: ActorDep, response: Response
) -> TaskRead:
    """Add a task to a delivery plan; its first status event is effective on `added_on`."""
    task = service.create_task(session=session, actor=actor, data=data)
    set_etag(response, service.task_etag(task))
    return service.read_one(session=session, task=task)


@router.get(
    "/tasks",
    response_model=Page[TaskRead],
    responses={200: {"content": {XLSX: {}, "text/csv": {}}}},
)
def list_tasks(
    session: SessionDep,
    page: PageDep,
    strand: Annotated[list[str] | None, any_of("A strand's slug.", max_length=80)] = None,
    strategy_id: Id | None = None,
    plan_id: Annotated[list[Id] | None, any_of()] = None,
    pillar: Annotated[list[Pillar] | None, any_of()] = None,
    status: Annotated[list[Status] | None, any_of()] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    overdue: Annotated[
        bool | None, Query(description="Due date passed, not complete or withdrawn.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in title, how or owner.")
    ] = None,
    updated_since: UpdatedSince = None,
    sort: TaskSort = TaskSort.plan_order,
    fmt: Annotated[
        PlanExportFormat | None,
        Query(
            alias="format",
            description="xlsx or csv: every matching task (not a page) as delivery-plan sheets.",
        ),
    ] = None,
) -> Page[TaskRead] | Response:
    """Tasks, filtered, sorted and paged; or, with `format`, all of them as a spreadsheet."""
    filters = service.TaskFilters(
        strand=values(strand),
        strategy_id=strategy_id,
        plan_id=values(plan_id),
        pillar=values(pillar),
        status=values(status),
        owner=owner,
        overdue=overdue,
        q=q,
        updated_since=since(updated_since),
    )
    if fmt is not None:
        plans = export.plans_of_tasks(session=session, filters=filters)
        return export.download(plans, fmt, "tasks")
    items, total = service.list_tasks(session=session, filters=filters, page=page, sort=sort)
    return page.of(items, total)


@router.post(
    "/tasks/status-batch",
    status_code=status.HTTP_201_CREATED,
    operation_id="recordTaskStatusBatch",
)
@commits
def record_status_batch(
    batch: StatusBatch, session: SessionDep, actor: ActorDep
) -> StatusBatchRead:
    """Record many status events at once: all of them, or none when any is refused."""
    events = service.record_batch(session=session, actor=actor, batch=batch)
    return StatusBatchRead(events=[StatusEventRead.model_validate(e) for e in events])


@router.get("/tasks/{task_id:int}")
async def get_task(task_id: Id, session: SessionDep, response: Response) -> TaskRead:
    """One task; its ETag goes in If-Match when you PATCH it."""
    # The most requested read of all is one indexed statement on the connection the token's
    # look-up already holds: run here on the event loop, it is spared the trip to a worker thread.
    task = service.read_task(session=session, task_id=task_id)
    set_etag(response, service.task_etag(task))
    return task


@router.patch("/tasks/{task_id:int}")
@commits
def update_task(
    task_id: Id,
    data: TaskUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> TaskRead:
    """Edit a task's fields other than status (If-Match required)."""
    task = service.get_task(session=session, task_id=task_id, for_update=True)
    task = service.update_task(
        session=session, actor=actor, task=task, data=data, if_match=if_match
    )
    set_etag(response, service.task_etag(task))
    return service.read_one(session=session, task=task)


@router.post(
    "/tasks/{task_id:int}/status",
    status_code=status.HTTP_201_CREATED,
    operation_id="recordTaskStatus",
)
@commits
def record_status(
    task_id: Id,
    change: StatusChange,
    session: SessionDep,
    actor: ActorDep,
    if_match: OptionalIfMatch = None,
) -> StatusEventRead:
    """Record a change of status, effective on a date (today by default)."""
    task = service.get_task(session=session, task_id=task_id, for_update=True)
    check_optional_if_match(if_match, service.task_etag(task), what="task")
    event = service.record_status(session=session, actor=actor, task=task, change=change)
    return StatusEventRead.model_validate(event)


@router.get("/status-events")
def list_status_events(
    session: SessionDep,
    page: PageDep,
    strand: Annotated[list[str] | None, any_of("A strand's slug.", max_length=80)] = None,
    task_id: Annotated[list[Id] | None, any_of()] = None,
    updated_since: UpdatedSince = None,
) -> Page[StatusEventRead]:
    """Every task's status events in the order they were recorded: `updated_since` for syncing."""
    events, total = service.list_events(
        session=session,
        page=page,
        strands=values(strand),
        task_ids=values(task_id),
        updated_since=since(updated_since),
    )
    return page.of([StatusEventRead.model_validate(e) for e in events], total)


@router.get("/tasks/{task_id:int}/history")
def task_history(task_id: Id, session: SessionDep) -> list[StatusEventRead]:
    """The task's status events, oldest first, with who recorded each and when."""
    task = service.get_task(session=session, task_id=task_id)
    return [StatusEventRead.model_validate(e) for e in service.history(session=session, task=task)]


@router.post("/tasks/{task_id:int}/comments", status_code=status.HTTP_201_CREATED)
@commits
def add_comment(
    task_id: Id, comment: CommentCreate, session: SessionDep, actor: ActorDep
) -> CommentRead:
    """Add a note to a task without changing its status (no status event is recorded)."""
    task = service.get_task(session=session, task_id=task_id)
    note = service.add_comment(session=session, actor=actor, task=task, comment=comment)
    return CommentRead.model_validate(note)


@router.get("/tasks/{task_id:int}/comments")
def task_comments(task_id: Id, session: SessionDep) -> list[CommentRead]:
    """The task's comments, oldest first, with who wrote each and when."""
    task = service.get_task(session=session, task_id=task_id)
    return [
        CommentRead.model_validate(c)
        for c in service.comments(session=session, task_ids=[task.id])  # type: ignore[list-item]
    ]
