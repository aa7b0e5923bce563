"""The board paper in the browser: the author's draft sections to edit with a Markdown preview,
publishing (admin) after a preview of the paper exactly as it will be published, the published
versions with their files, and restating one with a reason.

The same services as `/api/v1/board-papers`: only admins write (the services refuse anyone
else, whatever a page offers), a draft saved by someone else since the form was loaded is not
overwritten (the form comes back with what was typed and what is saved now), and a published
quarter is read-only until it is restated.
"""

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.service import Actor
from app.core.db import SessionDep
from app.core.errors import DomainError, Forbidden, PreconditionFailed
from app.core.quarters import Quarter, QuarterError
from app.papers import service as papers
from app.papers.schemas import BoardPaperRead, BoardPaperWrite, SectionKey
from app.periods import publications
from app.periods.schemas import RestatementCreate
from app.reports import publishing
from app.reports.schemas import ReportFormat
from app.reports.service import quarter_choices
from app.strategies import service as strategies
from app.strategies.models import Strategy
from app.web.access import form_refusal, is_admin, signed_in
from app.web.board import latest_quarter
from app.web.pages import error_text
from app.web.render import html

router = APIRouter(include_in_schema=False)

FILES = (
    ("Web page", ReportFormat.html),
    ("Word (.docx)", ReportFormat.docx),
    ("PDF", ReportFormat.pdf),
    ("Markdown (.md)", ReportFormat.md),
    ("Excel (.xlsx)", ReportFormat.xlsx),
)
EMPTY_SUBSECTIONS = 1
"""Blank sub-section rows offered under each section, to add one; left blank, they are dropped."""


def _message(request: Request, actor: Actor, title: str, message: str, code: int) -> Response:
    return html(request, "message.html", code, actor=actor, title=title, message=message)


def _paper_url(quarter: Quarter, **query: str) -> str:
    return f"/board/paper?{urlencode({'quarter': str(quarter), **query})}"


def _file_url(quarter: Quarter, version: int, fmt: ReportFormat) -> str:
    query = {"quarter": str(quarter), "format": fmt.value, "version": version}
    return f"/api/v1/reports/board?{urlencode(query)}"


def _quarter(session: Session, quarter: str | None) -> tuple[Strategy, Quarter]:
    strategy = strategies.current_strategy(session=session)
    return strategy, Quarter.parse(quarter) if quarter else latest_quarter(strategy)


def _typed_paper(
    section_key: Sequence[str],
    section_title: Sequence[str],
    section_body: Sequence[str],
    sub_key: Sequence[str],
    sub_title: Sequence[str],
    sub_body: Sequence[str],
) -> list[dict]:
    """The form's sections as the API's body has them; a sub-section left blank is dropped."""
    subsections: dict[str, list[dict[str, str]]] = {}
    for key, title, body in zip(sub_key, sub_title, sub_body, strict=False):
        if title.strip() or body.strip():
            subsections.setdefault(key, []).append({"title": title, "body": body})
    return [
        {"key": key, "title": title, "body": body, "subsections": subsections.get(key, [])}
        for key, title, body in zip(section_key, section_title, section_body, strict=False)
    ]


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    quarter: Quarter,
    *,
    typed: list[dict] | None = None,
    errors: Sequence[str] = (),
    changed: Sequence[str] = (),
    preview: bool = False,
    done: str = "",
    restate_reason: str = "",
    code: int = 200,
) -> Response:
    paper = papers.read(session=session, strategy=strategy, quarter=quarter)
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    versions = publications.versions(session=session, kind=papers.KIND, key=key)
    shown = typed if typed is not None else [s.model_dump(mode="json") for s in paper.sections]
    for section in shown:
        section["subsections"] = [
            *section["subsections"],
            *({"title": "", "body": ""} for _ in range(EMPTY_SUBSECTIONS)),
        ]
    return html(
        request,
        "paper.html",
        code,
        actor=actor,
        strategy=strategy,
        quarter=quarter,
        choices=quarter_choices(strategy),
        paper=paper,
        saved={s.key.value: s for s in paper.sections},
        sections=shown,
        numbers={s.key.value: s.number for s in paper.sections},
        writable=is_admin(actor) and paper.status == "draft",
        admin=is_admin(actor),
        restating=publications.pending_restatement(session=session, kind=papers.KIND, key=key),
        latest=versions[-1] if versions else None,
        published=versions[-1].data["report"]["paper"] if versions else [],
        versions=versions,
        files=FILES,
        file_url=lambda version, fmt: _file_url(quarter, version, fmt),
        errors=list(errors),
        changed=list(changed),
        preview=preview,
        done=done,
        restate_reason=restate_reason,
    )


def _posted(
    request: Request, session: Session, quarter: str, csrf_token: str
) -> Response | tuple[Actor, Strategy, Quarter]:
    """A paper form's poster, strategy and quarter; or the page that refuses the post."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    if (refusal := form_refusal(request, session, csrf_token)) is not None:
        return _message(request, actor, "Not allowed", refusal, 403)
    try:
        strategy, chosen = _quarter(session, quarter)
    except QuarterError as error:
        return _message(request, actor, "No such quarter", str(error), 422)
    return actor, strategy, chosen


@router.get("/board/paper")
def paper_page(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The quarter's board paper: the draft's sections (to edit, for an admin), or the version
    published, with its files."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        strategy, chosen = _quarter(session, quarter)
    except QuarterError as error:
        return _message(request, actor, "No such quarter", str(error), 422)
    except DomainError as error:
        return _message(request, actor, "Not available", error.detail, error.status)
    return _page(request, session, actor, strategy, chosen, done=done)


@router.post("/board/paper")
def save_paper(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=0, le=2**31)],
    section_key: Annotated[list[str], Form(max_length=len(SectionKey))] = [],  # noqa: B006
    section_title: Annotated[list[str], Form(max_length=len(SectionKey))] = [],  # noqa: B006
    section_body: Annotated[list[str], Form(max_length=len(SectionKey))] = [],  # noqa: B006
    sub_key: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    sub_title: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    sub_body: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    action: Annotated[str, Form(max_length=10)] = "save",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the draft (admin), or preview its Markdown; a stale form keeps what was typed."""
    posted = _posted(request, session, quarter, csrf_token)
    if isinstance(posted, Response):
        return posted
    actor, strategy, chosen = posted
    typed = _typed_paper(section_key, section_title, section_body, sub_key, sub_title, sub_body)

    def again(code: int, errors: Sequence[str] = (), changed: Sequence[str] = ()) -> Response:
        return _page(
            request,
            session,
            actor,
            strategy,
            chosen,
            typed=typed,
            errors=errors,
            changed=changed,
            preview=action == "preview",
            code=code,
        )

    try:
        data = BoardPaperWrite.model_validate({"sections": typed})
    except ValidationError as error:
        return again(422, error_text(error))
    if action == "preview":
        return again(200)
    try:
        papers.save(
            session=session,
            actor=actor,
            strategy=strategy,
            quarter=chosen,
            data=data,
            if_match=papers.paper_etag(strategy.id, chosen, version),  # type: ignore[arg-type]
        )
    except Forbidden as error:
        return _message(request, actor, "Not allowed", error.detail, 403)
    except PreconditionFailed:
        session.rollback()
        now = papers.read(session=session, strategy=strategy, quarter=chosen)
        return again(
            409,
            [
                f"{now.updated_by} saved this paper after you loaded the page (it is now at "
                f"edit {now.version}). Nothing was overwritten: your text is kept in the form, "
                "and the saved text is shown under each section that differs. Compare them, "
                "then save again."
            ],
            _differing(now, typed),
        )
    except DomainError as error:
        session.rollback()
        return again(error.status, error_text(error))
    return RedirectResponse(_paper_url(chosen, done="saved"), status_code=303)


def _differing(paper: BoardPaperRead, typed: list[dict]) -> list[str]:
    """The keys of the sections whose saved text is not what the form holds."""
    saved = {
        s.key.value: (s.title, s.body, [(x.title, x.body) for x in s.subsections])
        for s in paper.sections
    }
    return [
        t["key"]
        for t in typed
        if saved.get(t["key"])
        != (t["title"], t["body"], [(x["title"], x["body"]) for x in t["subsections"]])
    ]


def _confirm(
    request: Request,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    quarter: Quarter,
    *,
    errors: Sequence[str] = (),
    code: int = 200,
) -> Response:
    """The confirm step: the paper's web page as publishing would store it, and what it does."""
    paper = papers.read(session=session, strategy=strategy, quarter=quarter)
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    try:
        preview = publishing.preview(
            session=session, actor=actor, strategy_id=strategy.id, quarter=quarter
        )
    except Forbidden as error:
        return _message(request, actor, "Not allowed", error.detail, 403)
    except DomainError as error:
        return _page(
            request, session, actor, strategy, quarter, errors=error_text(error), code=error.status
        )
    return html(
        request,
        "paper_publish.html",
        code,
        actor=actor,
        quarter=quarter,
        paper=paper,
        restating=publications.pending_restatement(session=session, kind=papers.KIND, key=key),
        next_version=(paper.published_version or 0) + 1,
        preview=preview.decode(),
        errors=list(errors),
    )


@router.post("/board/paper/publish")
def publish(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=0, le=2**31)],
    step: Annotated[str, Form(max_length=10)] = "preview",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """`preview`: the paper as it will be published, to confirm (nothing is written);
    `apply`: publish it (admin), unless the draft changed since that preview."""
    posted = _posted(request, session, quarter, csrf_token)
    if isinstance(posted, Response):
        return posted
    actor, strategy, chosen = posted
    if not is_admin(actor):
        return _message(request, actor, "Not allowed", "Only an admin publishes the paper.", 403)
    if step != "apply":
        return _confirm(request, session, actor, strategy, chosen)
    now = papers.read(session=session, strategy=strategy, quarter=chosen)
    if now.version != version:
        return _confirm(
            request,
            session,
            actor,
            strategy,
            chosen,
            code=409,
            errors=[
                f"{now.updated_by} saved the draft after you opened this preview: nothing was "
                "published. The preview below is the draft as it is now; publish again if it "
                "is right."
            ],
        )
    try:
        publishing.publish(session=session, actor=actor, strategy_id=strategy.id, quarter=chosen)
    except DomainError as error:
        session.rollback()
        return _confirm(
            request, session, actor, strategy, chosen, code=error.status, errors=error_text(error)
        )
    return RedirectResponse(_paper_url(chosen, done="published"), status_code=303)


@router.post("/board/paper/restatements")
def restate(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2_000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Reopen the published paper for correction (admin), with the reason its next version
    gives."""
    posted = _posted(request, session, quarter, csrf_token)
    if isinstance(posted, Response):
        return posted
    actor, strategy, chosen = posted
    try:
        data = RestatementCreate(reason=reason)
        publishing.restate(
            session=session,
            actor=actor,
            strategy_id=strategy.id,
            quarter=chosen,
            reason=data.reason,
        )
    except Forbidden as error:
        return _message(request, actor, "Not allowed", error.detail, 403)
    except (DomainError, ValidationError) as error:
        session.rollback()
        code = error.status if isinstance(error, DomainError) else 422
        return _page(
            request,
            session,
            actor,
            strategy,
            chosen,
            errors=error_text(error),
            code=code,
            restate_reason=reason,
        )
    return RedirectResponse(_paper_url(chosen, done="restated"), status_code=303)
