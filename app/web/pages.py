"""The lead's workspace: their strands' tasks, the quarter-end update, comments and the return.

Every page calls the same services as the API, so the rules, the audit trail and the webhooks
are the same; a page only reads the form, calls the service and renders what came back. Forms
that write must come from this site's pages (403 otherwise, nothing written); a form whose tasks
changed since it was loaded is shown again with what changed and what was typed.
"""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.service import Actor
from app.core.base import today
from app.core.concurrency import etag
from app.core.db import SessionDep
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.pagination import PageParams
from app.core.quarters import Quarter, QuarterError
from app.core.schemas import Id
from app.pcp import service as pcp
from app.periods.service import current_quarter
from app.returns import service as returns
from app.returns.models import ReturnStatus
from app.returns.schemas import ReturnWrite
from app.strategies import service as strategies
from app.strategies.models import Strand
from app.tasks import service as tasks
from app.tasks.models import Status
from app.tasks.schemas import BatchStatusChange, CommentCreate, StatusBatch, TaskRead
from app.web.access import form_refusal, may_write, signed_in
from app.web.render import html

router = APIRouter(include_in_schema=False)

MOST_TASKS = 500


def _sign_in() -> Response:
    return RedirectResponse("/sign-in", status_code=303)


def _refused(request: Request, actor: Actor, message: str, status_code: int = 403) -> Response:
    return html(
        request, "message.html", status_code, actor=actor, title="Not allowed", message=message
    )


def error_text(error: DomainError | ValidationError) -> list[str]:
    """An error as sentences a person can act on."""
    if isinstance(error, ValidationError):
        return [f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in error.errors()]
    lines = [error.detail]
    lines += [f"{e['field']}: {e['message']}" for e in error.errors or []]
    return lines


@dataclass
class StrandTasks:
    strand: Strand
    writable: bool
    plans: list[tuple[str, list[tuple[str, list[TaskRead]]]]] = field(default_factory=list)
    count: int = 0


def _strands_for(session: Session, actor: Actor, wanted: str | None) -> list[Strand]:
    strategy = strategies.current_strategy(session=session)
    every = strategies.list_strands(session=session, strategy=strategy)
    if wanted:
        return [strategies.get_strand(session=session, slug=wanted, strategy_id=strategy.id)]
    mine = [strand for strand in every if strand.slug in actor.strands]
    return mine or every[:1]


def _group(session: Session, strand: Strand, items: list[TaskRead]) -> list:
    names = {plan.id: plan.name for plan in strategies.list_plans(session=session, strand=strand)}
    grouped: dict[str, dict[str, list[TaskRead]]] = {}
    for task in items:
        grouped.setdefault(names[task.plan_id], {}).setdefault(task.pillar.value, []).append(task)
    return [(plan, list(pillars.items())) for plan, pillars in grouped.items()]


@router.get("/workspace")
def workspace(
    request: Request,
    session: SessionDep,
    strand: Annotated[str | None, Query(max_length=80)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    flag: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """My strands: the tasks of each plan by pillar, with filters, flags and the bulk update."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    try:
        chosen = Status(status) if status else None
    except ValueError:
        chosen = None
    quarter = current_quarter()
    try:
        strands = _strands_for(session, actor, strand)
    except NotFound as error:
        return html(
            request, "message.html", 404, actor=actor, title="No such strand", message=error.detail
        )
    shown: list[StrandTasks] = []
    stale: set[int] = set()
    for record in strands:
        filters = tasks.TaskFilters(
            strand=(record.slug,),
            status=() if chosen is None else (chosen,),
            overdue=True if flag == "overdue" else None,
            q=q.strip() or None,
        )
        items, _ = tasks.list_tasks(
            session=session,
            filters=filters,
            page=PageParams(limit=MOST_TASKS),
            sort=tasks.TaskSort.plan_order,
        )
        quiet = tasks.not_updated_since(
            session=session, task_ids=[t.id for t in items], day=quarter.first_day
        )
        stale |= quiet
        if flag == "stale":
            items = [t for t in items if t.id in quiet]
        shown.append(
            StrandTasks(
                strand=record,
                writable=may_write(actor, record.slug),
                plans=_group(session, record, items),
                count=len(items),
            )
        )
    strategy = strategies.current_strategy(session=session)
    return html(
        request,
        "workspace.html",
        actor=actor,
        shown=shown,
        stale=stale,
        all_strands=strategies.list_strands(session=session, strategy=strategy),
        filters={"strand": strand or "", "status": status, "flag": flag, "q": q},
        quarter=quarter,
        update=_update_defaults(quarter),
    )


def _update_defaults(quarter: Quarter) -> dict[str, str]:
    return {
        "status": "",
        "effective_date": today().isoformat(),
        "note": "",
        "today": today().isoformat(),
        "quarter_end": quarter.previous().last_day.isoformat(),
        "reported": quarter.previous().board_label,
    }


def _seen_versions(seen: list[str]) -> dict[int, int]:
    versions = {}
    for item in seen:
        task_id, _, version = item.partition(":")
        if task_id.isdigit() and version.isdigit():
            versions[int(task_id)] = int(version)
    return versions


@router.post("/workspace/update")
def bulk_update(
    request: Request,
    session: SessionDep,
    task_id: Annotated[list[Id], Form(max_length=MOST_TASKS)] = [],  # noqa: B006
    seen: Annotated[list[str], Form(max_length=MOST_TASKS)] = [],  # noqa: B006
    status: Annotated[str, Form(max_length=20)] = "",
    effective_date: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=5_000)] = "",
    # `review` shows what will be written, `back` reopens the form, `apply` writes.
    step: Annotated[str, Form(max_length=10)] = "review",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The quarter-end update: many tasks, one status (or none: a comment), one date, one note."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _refused(request, actor, refusal)
    typed = {"status": status, "effective_date": effective_date, "note": note}
    try:
        chosen = [tasks.read_task(session=session, task_id=i) for i in dict.fromkeys(task_id)]
    except NotFound as error:
        return html(
            request, "message.html", 404, actor=actor, title="No such task", message=error.detail
        )
    versions = _seen_versions(seen)
    quarter = current_quarter()

    def again(errors: list[str], changed: list[TaskRead] = (), code: int = 422) -> Response:
        return html(
            request,
            "update.html",
            code,
            actor=actor,
            chosen=chosen,
            typed=typed,
            errors=errors,
            changed=list(changed),
            update=_update_defaults(quarter),
        )

    if not chosen:
        return again(["Choose at least one task."])
    for task in chosen:
        if not may_write(actor, task.strand):
            return _refused(request, actor, f"You cannot change the tasks of {task.strand}.")
    changed = [t for t in chosen if versions.get(t.id) not in (None, t.version)]
    if changed:
        return again(
            [
                "Some of these tasks were changed by someone else after you loaded the page. "
                "Check them, then review your update again: what you typed is kept."
            ],
            changed,
            409,
        )
    try:
        if status:
            change = {"status": Status(status), "note": note}
            if effective_date:
                change["effective_date"] = effective_date
            batch = StatusBatch(events=[BatchStatusChange(task_id=t.id, **change) for t in chosen])
            comments = None
        else:
            batch = None
            comments = CommentCreate(body=note)
    except ValidationError as error:
        return again(error_text(error))
    except ValueError:
        return again([f"{status!r} is not a status."])
    if step != "apply":
        # Confirming shows what will be written, read-only; "Back" opens it to change again.
        return html(
            request,
            "update.html",
            actor=actor,
            chosen=chosen,
            typed=typed,
            confirm=step != "back",
            effective_on=(batch.events[0].effective_date if batch else None) or today(),
            errors=[],
            changed=[],
            update=_update_defaults(quarter),
        )
    try:
        if batch is not None:
            tasks.record_batch(session=session, actor=actor, batch=batch)
        else:
            for task in chosen:
                record = tasks.get_task(session=session, task_id=task.id, for_update=True)
                tasks.add_comment(session=session, actor=actor, task=record, comment=comments)
    except DomainError as error:
        session.rollback()
        return again(error_text(error), code=error.status)
    session.flush()
    after = [tasks.read_task(session=session, task_id=t.id) for t in chosen]
    return html(request, "result.html", actor=actor, before=chosen, after=after, typed=typed)


@router.get("/workspace/tasks/{task_id:int}")
def task_page(request: Request, session: SessionDep, task_id: Id) -> Response:
    """One task: its status events and comments in the order they were recorded."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    return _task_page(request, session, actor, task_id)


def _task_page(
    request: Request,
    session: Session,
    actor: Actor,
    task_id: int,
    *,
    body: str = "",
    errors=(),
    code: int = 200,
) -> Response:
    try:
        task = tasks.read_task(session=session, task_id=task_id)
    except NotFound as error:
        return html(
            request, "message.html", 404, actor=actor, title="No such task", message=error.detail
        )
    record = tasks.get_task(session=session, task_id=task_id)
    timeline = sorted(
        [("event", e.recorded_at, e) for e in tasks.history(session=session, task=record)]
        + [
            ("comment", c.recorded_at, c)
            for c in tasks.comments(session=session, task_ids=[task_id])
        ],
        key=lambda item: item[1],
    )
    return html(
        request,
        "task.html",
        code,
        actor=actor,
        task=task,
        timeline=timeline,
        writable=may_write(actor, task.strand),
        body=body,
        errors=list(errors),
    )


@router.post("/workspace/tasks/{task_id:int}/comments")
def comment(
    request: Request,
    session: SessionDep,
    task_id: Id,
    body: Annotated[str, Form(max_length=10_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A note on the task without a change of status."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _refused(request, actor, refusal)
    try:
        record = tasks.get_task(session=session, task_id=task_id, for_update=True)
        tasks.add_comment(
            session=session, actor=actor, task=record, comment=CommentCreate(body=body)
        )
    except (DomainError, ValidationError) as error:
        session.rollback()
        code = error.status if isinstance(error, DomainError) else 422
        if isinstance(error, Forbidden):
            return _refused(request, actor, error.detail)
        return _task_page(
            request, session, actor, task_id, body=body, errors=error_text(error), code=code
        )
    return RedirectResponse(f"/workspace/tasks/{task_id}?commented=1", status_code=303)


NARRATIVES = (
    ("insight", "Insight"),
    ("delivery_achieved", "Delivery achieved in the previous quarter"),
    ("delivery_scheduled", "Delivery scheduled for the current quarter"),
)


def _return_page(
    request: Request,
    session: Session,
    actor: Actor,
    strand: Strand,
    quarter: Quarter,
    *,
    typed: dict[str, str] | None = None,
    errors=(),
    code: int = 200,
    saved: str = "",
    preview: bool = False,
) -> Response:
    record = returns.find(session=session, strand=strand, quarter=quarter)
    text = {name: getattr(record, name) if record else "" for name, _ in NARRATIVES}
    return html(
        request,
        "return.html",
        code,
        actor=actor,
        strand=strand,
        quarter=quarter,
        record=record,
        submitted=record is not None and record.status is ReturnStatus.submitted,
        text={**text, **(typed or {})},
        narratives=NARRATIVES,
        writable=may_write(actor, strand.slug),
        errors=list(errors),
        saved=saved,
        preview=preview,
        quarters=[quarter.previous(), quarter, quarter.next()],
    )


def _strand_and_quarter(session: Session, slug: str, quarter: str) -> tuple[Strand, Quarter]:
    strategy = strategies.current_strategy(session=session)
    return strategies.get_strand(session=session, slug=slug, strategy_id=strategy.id), (
        Quarter.parse(quarter)
    )


@router.get("/workspace/returns/{slug}")
def return_page(
    request: Request,
    session: SessionDep,
    slug: str,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
    saved: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The strand's quarterly return: three narratives in Markdown, saved as a draft, submitted."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    try:
        strand, chosen = _strand_and_quarter(
            session, slug, quarter or str(current_quarter().previous())
        )
    except (NotFound, QuarterError) as error:
        message = error.detail if isinstance(error, NotFound) else str(error)
        return html(
            request, "message.html", 404, actor=actor, title="No such return", message=message
        )
    return _return_page(request, session, actor, strand, chosen, saved=saved)


@router.post("/workspace/returns/{slug}")
def save_return(
    request: Request,
    session: SessionDep,
    slug: str,
    quarter: Annotated[str, Form(max_length=20)],
    insight: Annotated[str, Form(max_length=40_000)] = "",
    delivery_achieved: Annotated[str, Form(max_length=40_000)] = "",
    delivery_scheduled: Annotated[str, Form(max_length=40_000)] = "",
    version: Annotated[int | None, Form()] = None,
    action: Annotated[str, Form(max_length=10)] = "save",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the draft, or save and submit it; a stale form keeps what was typed."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _refused(request, actor, refusal)
    try:
        strand, chosen = _strand_and_quarter(session, slug, quarter)
    except (NotFound, QuarterError) as error:
        message = error.detail if isinstance(error, NotFound) else str(error)
        return html(
            request, "message.html", 404, actor=actor, title="No such return", message=message
        )
    typed = {
        "insight": insight,
        "delivery_achieved": delivery_achieved,
        "delivery_scheduled": delivery_scheduled,
    }
    if not may_write(actor, strand.slug):
        return _refused(request, actor, f"You cannot write the return of {strand.name}.")
    existing = returns.find(session=session, strand=strand, quarter=chosen)
    if existing is not None and version != existing.version:
        return _return_page(
            request,
            session,
            actor,
            strand,
            chosen,
            typed=typed,
            code=409,
            errors=[
                f"{existing.updated_by} changed this return after you loaded the page. Your "
                "text is kept in the form and theirs is shown under each box: compare them, "
                "then save again."
            ],
        )
    if action == "preview":
        return _return_page(request, session, actor, strand, chosen, typed=typed, preview=True)
    try:
        data = ReturnWrite(**typed)
        returns.save(
            session=session,
            actor=actor,
            strand=strand,
            quarter=chosen,
            data=data,
            if_match=etag("return", existing.id, existing.version) if existing else None,
        )
        if action == "submit":
            returns.submit(
                session=session, actor=actor, strand=strand, quarter=chosen, if_match=None
            )
    except (DomainError, ValidationError) as error:
        session.rollback()
        code = error.status if isinstance(error, DomainError) else 422
        return _return_page(
            request,
            session,
            actor,
            strand,
            chosen,
            typed=typed,
            errors=error_text(error),
            code=code,
        )
    done = "submitted" if action == "submit" else "saved"
    return RedirectResponse(
        f"/workspace/returns/{strand.slug}?quarter={chosen}&saved={done}", status_code=303
    )


@router.get("/workspace/commentary")
def commentary_page(
    request: Request,
    session: SessionDep,
    plan: Annotated[str | None, Query(max_length=80)] = None,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The Police and Crime Plan's commitments, with the quarter's commentary of each contributor
    the signed-in person writes for: the draft, or what was submitted."""
    actor = signed_in(request, session)
    if actor is None:
        return _sign_in()
    plans = pcp.list_plans(session=session)
    try:
        chosen = pcp.get_plan(session=session, slug=plan) if plan else plans[-1]
        wanted = Quarter.parse(quarter) if quarter else current_quarter().previous()
        if not quarter:
            wanted = pcp.default_quarter(chosen, wanted)
        view = pcp.contributor_quarters(session=session, actor=actor, plan=chosen, quarter=wanted)
    except (DomainError, QuarterError, IndexError) as error:
        message = (
            error.detail
            if isinstance(error, DomainError)
            else str(error) or "no Police and Crime Plan"
        )
        return html(
            request, "message.html", 404, actor=actor, title="No such commentary", message=message
        )
    return html(
        request,
        "commentary.html",
        actor=actor,
        plans=plans,
        plan=chosen,
        quarter=wanted,
        quarters=[q for q in (wanted.previous(), wanted, wanted.next()) if pcp.in_plan(chosen, q)],
        view=view,
    )
