"""Risks in the workspace: a strand's open risks, registering one from an at-risk task, and
editing a risk's mitigation and 5T response. The same services as `/api/v1/risks`."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.service import Actor
from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.pagination import PageParams
from app.core.schemas import Id
from app.reports.service import RESPONSES
from app.risks import service as risks
from app.risks.models import RiskResponse as FiveT
from app.risks.models import RiskStatus
from app.risks.schemas import RiskCreate, RiskSort, RiskUpdate
from app.strategies import service as strategies
from app.tasks import service as tasks
from app.tasks.models import Status
from app.web.access import form_refusal, may_write, signed_in
from app.web.pages import MOST_TASKS, error_text
from app.web.render import html

router = APIRouter(include_in_schema=False)

FIELDS = ("description", "owner", "mitigation", "response", "likelihood", "impact")


def _message(request: Request, actor: Actor, title: str, message: str, code: int) -> Response:
    return html(request, "message.html", code, actor=actor, title=title, message=message)


@router.get("/workspace/risks")
def risk_list(
    request: Request,
    session: SessionDep,
    strand: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    """The strand's open risks, and its tasks at risk that no open risk names."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    strategy = strategies.current_strategy(session=session)
    every = strategies.list_strands(session=session, strategy=strategy)
    mine = [s for s in every if s.slug in actor.strands]
    chosen = next((s for s in every if s.slug == strand), None) or (mine or every)[0]
    open_risks, _ = risks.list_risks(
        session=session,
        filters=risks.RiskFilters(strand=(chosen.slug,), status=(RiskStatus.open,)),
        page=PageParams(limit=MOST_TASKS),
        sort=RiskSort.ref,
    )
    at_risk, _ = tasks.list_tasks(
        session=session,
        filters=tasks.TaskFilters(strand=(chosen.slug,), status=(Status.at_risk,)),
        page=PageParams(limit=MOST_TASKS),
        sort=tasks.TaskSort.plan_order,
    )
    named = {r.task_id for r in open_risks}
    return html(
        request,
        "risks.html",
        actor=actor,
        strand=chosen,
        strands=every,
        risks=open_risks,
        unregistered=[t for t in at_risk if t.id not in named],
        writable=may_write(actor, chosen.slug),
        responses=RESPONSES,
    )


def _form(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    typed: dict[str, str],
    task_id: int | None = None,
    ref: str | None = None,
    version: int | None = None,
    errors=(),
    code: int = 200,
) -> Response:
    task = tasks.read_task(session=session, task_id=task_id) if task_id else None
    return html(
        request,
        "risk_form.html",
        code,
        actor=actor,
        task=task,
        ref=ref,
        version=version,
        typed=typed,
        errors=list(errors),
        responses=RESPONSES,
    )


@router.get("/workspace/risks/new")
def new_risk(request: Request, session: SessionDep, task_id: Annotated[Id, Query()]) -> Response:
    """Register a risk against a task at risk."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        task = tasks.read_task(session=session, task_id=task_id)
    except NotFound as error:
        return _message(request, actor, "No such task", error.detail, 404)
    if not may_write(actor, task.strand):
        return _message(request, actor, "Not allowed", f"You cannot change {task.strand}.", 403)
    typed = {"description": task.title, "owner": task.owner, "mitigation": "", "response": "treat"}
    return _form(request, session, actor, typed=typed, task_id=task.id)


def _levels(likelihood: str, impact: str) -> dict[str, int]:
    if likelihood or impact:
        return {"likelihood": int(likelihood or 0), "impact": int(impact or 0)}
    return {}


@router.post("/workspace/risks")
def register_risk(
    request: Request,
    session: SessionDep,
    task_id: Annotated[Id, Form()],
    description: Annotated[str, Form(max_length=10_000)] = "",
    owner: Annotated[str, Form(max_length=400)] = "",
    mitigation: Annotated[str, Form(max_length=20_000)] = "",
    response: Annotated[str, Form(max_length=20)] = "",
    likelihood: Annotated[str, Form(pattern=r"^[1-5]?$")] = "",
    impact: Annotated[str, Form(pattern=r"^[1-5]?$")] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _message(request, actor, "Not allowed", refusal, 403)
    typed = {"description": description, "owner": owner, "mitigation": mitigation}
    typed |= {"response": response, "likelihood": likelihood, "impact": impact}
    try:
        task = tasks.read_task(session=session, task_id=task_id)
    except NotFound as error:
        return _message(request, actor, "No such task", error.detail, 404)
    if not may_write(actor, task.strand):
        return _message(request, actor, "Not allowed", f"You cannot change {task.strand}.", 403)
    try:
        risk = risks.create_risk(
            session=session,
            actor=actor,
            data=RiskCreate(
                strand_id=task.strand_id,
                task_id=task.id,
                description=description,
                owner=owner,
                mitigation=mitigation,
                response=response,
                **_levels(likelihood, impact),
            ),
        )
    except (DomainError, ValidationError) as error:
        session.rollback()
        code = error.status if isinstance(error, DomainError) else 422
        return _form(
            request,
            session,
            actor,
            typed=typed,
            task_id=task_id,
            errors=error_text(error),
            code=code,
        )
    return RedirectResponse(f"/workspace/risks?strand={risk_strand(session, risk.strand_id)}", 303)


def risk_strand(session: Session, strand_id: int) -> str:
    return strategies.get_strand_by_id(session=session, strand_id=strand_id).slug


@router.get("/workspace/risks/{ref}")
def edit_risk(request: Request, session: SessionDep, ref: str) -> Response:
    """A risk's mitigation and 5T response, to edit."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        risk = risks.get_risk(session=session, ref=ref[:20])
    except NotFound as error:
        return _message(request, actor, "No such risk", error.detail, 404)
    if not may_write(actor, risk_strand(session, risk.strand_id)):
        return _message(request, actor, "Not allowed", "You cannot change this risk.", 403)
    typed = {"mitigation": risk.mitigation, "response": risk.response.value}
    return _form(
        request,
        session,
        actor,
        typed=typed,
        task_id=risk.task_id,
        ref=risk.ref,
        version=risk.version,
    )


@router.post("/workspace/risks/{ref}")
def save_risk(
    request: Request,
    session: SessionDep,
    ref: str,
    mitigation: Annotated[str, Form(max_length=20_000)] = "",
    response: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the mitigation and response; a form older than the risk keeps what was typed."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _message(request, actor, "Not allowed", refusal, 403)
    typed = {"mitigation": mitigation, "response": response}
    try:
        risk = risks.get_risk(session=session, ref=ref[:20], for_update=True)
    except NotFound as error:
        return _message(request, actor, "No such risk", error.detail, 404)
    if not may_write(actor, risk_strand(session, risk.strand_id)):
        return _message(request, actor, "Not allowed", "You cannot change this risk.", 403)
    if version != risk.version:
        return _form(
            request,
            session,
            actor,
            typed=typed,
            task_id=risk.task_id,
            ref=risk.ref,
            version=risk.version,
            code=409,
            errors=[
                f"{risk.updated_by} changed this risk after you loaded the page. It now says: "
                f"mitigation “{risk.mitigation}”, response {RESPONSES[risk.response]}. "
                "What you typed is kept below: save again to replace theirs."
            ],
        )
    try:
        risks.update_risk(
            session=session,
            actor=actor,
            risk=risk,
            data=RiskUpdate(mitigation=mitigation, response=FiveT(response) if response else None),
            if_match=risks.risk_etag(risk),
        )
    except (DomainError, ValidationError, ValueError) as error:
        session.rollback()
        code = error.status if isinstance(error, DomainError) else 422
        lines = (
            error_text(error)
            if isinstance(error, DomainError | ValidationError)
            else [f"{response!r} is not one of the 5T responses."]
        )
        return _form(
            request,
            session,
            actor,
            typed=typed,
            task_id=risk.task_id,
            ref=risk.ref,
            version=version,
            errors=lines,
            code=code,
        )
    return RedirectResponse(f"/workspace/risks?strand={risk_strand(session, risk.strand_id)}", 303)
