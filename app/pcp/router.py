"""The Police and Crime Plan: plans, contributors' commentary, submissions and strand links."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import Response as FileResponse

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, IfNoneMatch, set_etag
from app.core.db import SessionDep
from app.core.openapi import errors, tag
from app.core.pagination import Page, PageDep
from app.core.quarters import QuarterParam
from app.core.schemas import Id
from app.pcp import document, publishing, render, service
from app.pcp.schemas import (
    CarryForward,
    CommentaryCreate,
    CommentaryRead,
    CommentaryUpdate,
    CommitmentCreate,
    CommitmentRead,
    ContributorCreate,
    ContributorRead,
    LinkCreate,
    LinkRead,
    PcpPlanCreate,
    PcpPlanRead,
    PlanSummary,
    PriorityCreate,
    PriorityRead,
    SubmissionCreate,
    SubmissionRead,
    UpdateRead,
    UpdateWrite,
)
from app.periods import files, publications
from app.periods.schemas import PublicationRead, RestatementCreate, RestatementRead

PCP = tag(
    "police and crime plan",
    "The Police and Crime Plan: its priorities and \"We will\" commitments, the areas' and units' "
    "quarterly commentary on them, and the quarterly update published from it.",
)
router = APIRouter(prefix="/pcp", tags=PCP)
reports_router = APIRouter(tags=PCP)

PlanSlug = Annotated[str, Path(max_length=80, description="e.g. police-and-crime-plan-2021-2024")]
QuarterPath = Annotated[QuarterParam, Path(description="e.g. 2022-23-Q1")]
SlugQuery = Annotated[str | None, Query(max_length=80)]


@router.get("/plans", operation_id="listPcpPlans")
def list_plans(session: SessionDep, page: PageDep) -> Page[PlanSummary]:
    """The Police and Crime Plans, oldest first."""
    plans = service.list_plans(session=session)
    items = [PlanSummary.model_validate(p) for p in plans]
    window = items[page.offset : page.offset + page.limit]
    return Page(items=window, total=len(items), limit=page.limit, offset=page.offset)


@router.post("/plans", status_code=status.HTTP_201_CREATED, operation_id="createPcpPlan")
def create_plan(
    data: PcpPlanCreate, session: SessionDep, actor: ActorDep, response: Response
) -> PcpPlanRead:
    """Add a Police and Crime Plan (admin)."""
    plan = service.create_plan(session=session, actor=actor, data=data)
    set_etag(response, service.plan_etag(plan))
    return service.plan_read(session=session, plan=plan)


@router.get("/plans/{plan}", operation_id="getPcpPlan")
def get_plan(plan: PlanSlug, session: SessionDep, response: Response) -> PcpPlanRead:
    """A plan with its priorities, their "We will" commitments and its contributors."""
    record = service.get_plan(session=session, slug=plan)
    set_etag(response, service.plan_etag(record))
    return service.plan_read(session=session, plan=record)


@router.post("/plans/{plan}/priorities", status_code=status.HTTP_201_CREATED)
def add_priority(
    plan: PlanSlug, data: PriorityCreate, session: SessionDep, actor: ActorDep
) -> PriorityRead:
    """Add a numbered priority to a plan (admin)."""
    record = service.get_plan(session=session, slug=plan, for_update=True)
    priority = service.add_priority(session=session, actor=actor, plan=record, data=data)
    return PriorityRead.model_validate(priority)


@router.post("/plans/{plan}/commitments", status_code=status.HTTP_201_CREATED)
def add_commitment(
    plan: PlanSlug, data: CommitmentCreate, session: SessionDep, actor: ActorDep
) -> CommitmentRead:
    """Add a "We will" commitment to one of the plan's priorities (admin)."""
    record = service.get_plan(session=session, slug=plan, for_update=True)
    commitment = service.add_commitment(session=session, actor=actor, plan=record, data=data)
    return CommitmentRead.model_validate(commitment)


@router.post("/plans/{plan}/contributors", status_code=status.HTTP_201_CREATED)
def add_contributor(
    plan: PlanSlug, data: ContributorCreate, session: SessionDep, actor: ActorDep
) -> ContributorRead:
    """Add an area or unit that writes commentary on the plan (admin)."""
    record = service.get_plan(session=session, slug=plan, for_update=True)
    contributor = service.add_contributor(session=session, actor=actor, plan=record, data=data)
    return ContributorRead.model_validate(contributor)


@router.get("/commentary")
def list_commentary(
    session: SessionDep,
    page: PageDep,
    plan: SlugQuery = None,
    quarter: Annotated[QuarterParam | None, Query(description="e.g. 2022-23-Q1")] = None,
    contributor: SlugQuery = None,
    priority: Annotated[int | None, Query(ge=1, le=100)] = None,
    commitment_id: Annotated[Id | None, Query()] = None,
    status: Literal["draft", "submitted"] | None = None,
) -> Page[CommentaryRead]:
    """Commentary in the document's order: plan, quarter, priority, commitment, contributor."""
    filters = service.CommentaryFilter(
        plan=plan,
        quarter=quarter,
        contributor=contributor,
        priority=priority,
        commitment_id=commitment_id,
        status=status,
    )
    items, total = service.list_commentary(session=session, filters=filters, page=page)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/commentary", status_code=status.HTTP_201_CREATED)
def create_commentary(
    data: CommentaryCreate, session: SessionDep, actor: ActorDep, response: Response
) -> CommentaryRead:
    """Write a contributor's draft commentary on a commitment for a quarter."""
    record = service.create_commentary(session=session, actor=actor, data=data)
    set_etag(response, service.commentary_etag(record))
    return service.read_one(session=session, record=record)


@router.get("/commentary/{commentary_id}")
def get_commentary(
    commentary_id: Annotated[Id, Path()], session: SessionDep, response: Response
) -> CommentaryRead:
    """One contributor's commentary on one commitment for one quarter."""
    record = service.get_commentary(session=session, commentary_id=commentary_id)
    set_etag(response, service.commentary_etag(record))
    return service.read_one(session=session, record=record)


@router.patch("/commentary/{commentary_id}")
def update_commentary(
    commentary_id: Annotated[Id, Path()],
    data: CommentaryUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> CommentaryRead:
    """Change a draft (If-Match required); submitted commentary is final (409)."""
    record = service.update_commentary(
        session=session, actor=actor, commentary_id=commentary_id, data=data, if_match=if_match
    )
    set_etag(response, service.commentary_etag(record))
    return service.read_one(session=session, record=record)


@router.get("/plans/{plan}/submissions")
def list_submissions(
    plan: PlanSlug,
    session: SessionDep,
    quarter: Annotated[QuarterParam | None, Query(description="e.g. 2022-23-Q1")] = None,
) -> list[SubmissionRead]:
    """Which contributors have submitted which quarters."""
    record = service.get_plan(session=session, slug=plan)
    return service.list_submissions(session=session, plan=record, quarter=quarter)


@router.post("/plans/{plan}/submissions", status_code=status.HTTP_201_CREATED)
def submit(
    plan: PlanSlug, data: SubmissionCreate, session: SessionDep, actor: ActorDep
) -> SubmissionRead:
    """Submit a contributor's commentary for a quarter; a second submission is a 409."""
    record = service.get_plan(session=session, slug=plan)
    submission, commentaries = service.submit(
        session=session,
        actor=actor,
        plan=record,
        quarter=data.quarter,
        contributor_slug=data.contributor,
    )
    return service.submission_read(
        plan=record,
        contributor=data.contributor,
        submission=submission,
        commentaries=len(commentaries),
    )


@router.post("/plans/{plan}/carry-forward", status_code=status.HTTP_201_CREATED)
def carry_forward(
    plan: PlanSlug, data: CarryForward, session: SessionDep, actor: ActorDep
) -> list[CommentaryRead]:
    """Start the next quarter's drafts with a copy of a contributor's commentary."""
    record = service.get_plan(session=session, slug=plan)
    copies = service.carry_forward(
        session=session,
        actor=actor,
        plan=record,
        contributor_slug=data.contributor,
        from_quarter=data.from_quarter,
    )
    return [service.read_one(session=session, record=c) for c in copies]


@router.get("/plans/{plan}/updates/{quarter}")
def get_update(
    plan: PlanSlug, quarter: QuarterPath, session: SessionDep, response: Response
) -> UpdateRead:
    """The quarterly update's title block: version, produced, data to, author and the rest."""
    record = service.get_plan(session=session, slug=plan)
    service.check_quarter(record, quarter)
    update = service.find_update(session=session, plan=record, quarter=quarter)
    set_etag(response, service.update_etag(record, update))
    return service.update_read(plan=record, quarter=quarter, record=update)


@router.put(
    "/plans/{plan}/updates/{quarter}",
    responses={201: {"model": UpdateRead, "description": "Created"}},
)
def save_update(
    plan: PlanSlug,
    quarter: QuarterPath,
    data: UpdateWrite,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> UpdateRead:
    """Write the title block (admin; 201 when new, If-Match to change it)."""
    record = service.get_plan(session=session, slug=plan)
    update, created = service.save_update(
        session=session, actor=actor, plan=record, quarter=quarter, data=data, if_match=if_match
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, service.update_etag(record, update))
    return service.update_read(plan=record, quarter=quarter, record=update)


@router.post("/plans/{plan}/updates/{quarter}/publish", status_code=status.HTTP_201_CREATED)
def publish_update(
    plan: PlanSlug, quarter: QuarterPath, session: SessionDep, actor: ActorDep
) -> PublicationRead:
    """Publish the quarterly update (admin): its submitted commentary, every format's bytes kept;
    the quarter's commentary is then frozen, and a second publish needs a restatement (409)."""
    record = service.get_plan(session=session, slug=plan)
    publication = publishing.publish(session=session, actor=actor, plan=record, quarter=quarter)
    return publications.describe(session=session, publication=publication)


@router.get("/plans/{plan}/updates/{quarter}/versions")
def list_update_versions(
    plan: PlanSlug, quarter: QuarterPath, session: SessionDep
) -> list[PublicationRead]:
    """Every published version of the quarterly update, oldest first, with its files' digests."""
    record = service.get_plan(session=session, slug=plan)
    found = publishing.versions(session=session, plan=record, quarter=quarter)
    return [publications.describe(session=session, publication=p) for p in found]


@router.post("/plans/{plan}/updates/{quarter}/restatements", status_code=status.HTTP_201_CREATED)
def restate_update(
    plan: PlanSlug,
    quarter: QuarterPath,
    data: RestatementCreate,
    session: SessionDep,
    actor: ActorDep,
) -> RestatementRead:
    """Reopen a published quarterly update for correction (admin), with the reason its next
    version will give."""
    record = service.get_plan(session=session, slug=plan)
    restatement = publishing.restate(
        session=session, actor=actor, plan=record, quarter=quarter, reason=data.reason
    )
    return RestatementRead.model_validate(restatement)


@router.get("/links")
def list_links(
    session: SessionDep,
    page: PageDep,
    strand: SlugQuery = None,
    plan: SlugQuery = None,
    priority: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Page[LinkRead]:
    """Which strands deliver against which priorities."""
    items, total = service.list_links(
        session=session, page=page, strand=strand, plan=plan, priority=priority
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/links", status_code=status.HTTP_201_CREATED)
def create_link(data: LinkCreate, session: SessionDep, actor: ActorDep) -> LinkRead:
    """Link a strand to a priority it delivers against (the strand's lead or an admin)."""
    return service.create_link(session=session, actor=actor, data=data)


@router.delete("/links/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_link(link_id: Annotated[Id, Path()], session: SessionDep, actor: ActorDep) -> None:
    """Remove a strand's link to a priority."""
    service.delete_link(session=session, actor=actor, link_id=link_id)


@reports_router.get(
    "/reports/quarterly-update",
    response_class=FileResponse,
    responses={
        200: {
            "content": {media: {} for media in render.MEDIA_TYPES.values()},
            "description": "The quarterly update as a file.",
        },
        # A published version asked for that there is not.
        **errors(404),
    },
)
def quarterly_update(
    session: SessionDep,
    plan: Annotated[
        str,
        Query(min_length=1, max_length=80, description="e.g. police-and-crime-plan-2021-2024"),
    ],
    quarter: Annotated[QuarterParam, Query(description="e.g. 2022-23-Q1")],
    format: render.UpdateFormat = render.UpdateFormat.md,
    drafts: Annotated[
        bool, Query(description="Include commentary not yet submitted (made now, not published).")
    ] = False,
    version: Annotated[
        int | None,
        Query(ge=1, le=10_000, description="A published version (404 if there is none)."),
    ] = None,
    live: Annotated[
        bool, Query(description="Today's view of the update, even when it is published.")
    ] = False,
    if_none_match: IfNoneMatch = None,
) -> FileResponse:
    """The quarterly update on a plan: title block, contents, and each priority's commentary;
    once published, exactly the bytes published (latest version by default)."""
    record = service.find_plan(session=session, slug=plan)
    stored = None
    if version is not None or not (live or drafts):
        stored = publishing.published(
            session=session, plan=record, quarter=quarter, version=version
        )
    if stored is not None:
        file = publications.file_of(session=session, publication=stored, fmt=format.value)
        return files.serve(
            file,
            publication=stored,
            inline=format is render.UpdateFormat.html,
            if_none_match=if_none_match,
        )
    doc = document.build(session=session, plan=record, quarter=quarter, drafts=drafts)
    body = render.render(doc, format)
    disposition = "inline" if format is render.UpdateFormat.html else "attachment"
    return FileResponse(
        content=body,
        media_type=render.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'{disposition}; filename="{render.filename(doc, format)}"'
        },
    )
