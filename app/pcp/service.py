"""Rules for the Police and Crime Plan: its structure, contributors' commentary, submissions and
the strands linked to its priorities."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, func, select

from app.auth.service import Actor, ensure_admin, ensure_can_write, ensure_can_write_for_contributor
from app.core.base import utcnow
from app.core.concurrency import check_if_match, etag
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.core.quarters import Quarter
from app.core.schemas import slugify
from app.pcp.models import (
    Layout,
    PcpCommentary,
    PcpCommitment,
    PcpContributor,
    PcpPlan,
    PcpPriority,
    PcpSubmission,
    PcpUpdate,
    StrandPriorityLink,
)
from app.pcp.schemas import (
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
    SubmissionRead,
    UpdateRead,
    UpdateWrite,
)
from app.periods import publications
from app.strategies import service as strategies
from app.strategies.models import Strand
from app.webhooks.models import EventType
from app.webhooks.service import emit

DRAFT = "draft"
SUBMITTED = "submitted"


# Plans, priorities, commitments and contributors


def plan_etag(plan: PcpPlan) -> str:
    return etag("pcp-plan", plan.id, plan.version)


def _touch(plan: PcpPlan) -> None:
    plan.version += 1
    plan.updated_at = utcnow()


def create_plan(*, session: Session, actor: Actor, data: PcpPlanCreate) -> PcpPlan:
    ensure_admin(actor)
    slug = data.slug or slugify(data.name)
    clash = session.exec(
        select(PcpPlan).where((PcpPlan.slug == slug) | (PcpPlan.name == data.name))
    ).first()
    if clash is not None:
        raise Conflict(f"a plan named {clash.name!r} ({clash.slug}) already exists")
    plan = PcpPlan(**data.model_dump(exclude={"slug"}), slug=slug)
    session.add(plan)
    session.flush()
    return plan


def list_plans(*, session: Session) -> list[PcpPlan]:
    return list(session.exec(select(PcpPlan).order_by(PcpPlan.starts_on, PcpPlan.id)))


def get_plan(*, session: Session, slug: str, for_update: bool = False) -> PcpPlan:
    statement = select(PcpPlan).where(PcpPlan.slug == slug)
    if for_update:
        statement = statement.with_for_update()
    plan = session.exec(statement).first()
    if plan is None:
        raise NotFound(f"no Police and Crime Plan {slug!r}")
    return plan


def find_plan(*, session: Session, slug: str, field: str = "plan") -> PcpPlan:
    """The plan a body or query names: an unknown one is a 422 naming the field."""
    plan = session.exec(select(PcpPlan).where(PcpPlan.slug == slug)).first()
    if plan is None:
        raise Invalid(f"no Police and Crime Plan {slug!r}", field=field)
    return plan


def priorities(*, session: Session, plan: PcpPlan) -> list[PcpPriority]:
    return list(
        session.exec(
            select(PcpPriority).where(PcpPriority.plan_id == plan.id).order_by(PcpPriority.number)
        )
    )


def commitments(*, session: Session, plan: PcpPlan) -> list[PcpCommitment]:
    return list(
        session.exec(
            select(PcpCommitment)
            .join(PcpPriority, PcpPriority.id == PcpCommitment.priority_id)
            .where(PcpCommitment.plan_id == plan.id)
            .order_by(PcpPriority.number, PcpCommitment.position)
        )
    )


def contributors(*, session: Session, plan: PcpPlan) -> list[PcpContributor]:
    return list(
        session.exec(
            select(PcpContributor)
            .where(PcpContributor.plan_id == plan.id)
            .order_by(PcpContributor.position, PcpContributor.id)
        )
    )


def plan_read(*, session: Session, plan: PcpPlan) -> PcpPlanRead:
    by_priority: dict[int, list[CommitmentRead]] = {}
    for commitment in commitments(session=session, plan=plan):
        by_priority.setdefault(commitment.priority_id, []).append(
            CommitmentRead.model_validate(commitment)
        )
    return PcpPlanRead(
        **PlanSummary.model_validate(plan).model_dump(),
        priorities=[
            PriorityRead(
                **PriorityRead.model_validate(p).model_dump(exclude={"commitments"}),
                commitments=by_priority.get(p.id, []),
            )
            for p in priorities(session=session, plan=plan)
        ],
        contributors=[
            ContributorRead.model_validate(c) for c in contributors(session=session, plan=plan)
        ],
    )


def _priority(session: Session, plan: PcpPlan, number: int, field: str) -> PcpPriority:
    priority = session.exec(
        select(PcpPriority).where(PcpPriority.plan_id == plan.id, PcpPriority.number == number)
    ).first()
    if priority is None:
        raise Invalid(f"{plan.name} has no priority {number}", field=field)
    return priority


def add_priority(
    *, session: Session, actor: Actor, plan: PcpPlan, data: PriorityCreate
) -> PcpPriority:
    ensure_admin(actor)
    taken = session.exec(
        select(PcpPriority).where(PcpPriority.plan_id == plan.id, PcpPriority.number == data.number)
    ).first()
    if taken is not None:
        raise Conflict(f"{plan.name} already has a priority {data.number}")
    priority = PcpPriority(plan_id=plan.id, **data.model_dump())
    session.add(priority)
    _touch(plan)
    session.flush()
    return priority


def add_commitment(
    *, session: Session, actor: Actor, plan: PcpPlan, data: CommitmentCreate
) -> PcpCommitment:
    ensure_admin(actor)
    priority = _priority(session, plan, data.priority, "priority")
    last = session.exec(
        select(func.max(PcpCommitment.position)).where(PcpCommitment.priority_id == priority.id)
    ).one()
    position = data.position or (last or 0) + 1
    taken = session.exec(
        select(PcpCommitment).where(
            PcpCommitment.priority_id == priority.id, PcpCommitment.position == position
        )
    ).first()
    if taken is not None:
        raise Conflict(f"priority {priority.number} already has a commitment {position}")
    commitment = PcpCommitment(
        plan_id=plan.id,
        priority_id=priority.id,
        position=position,
        lead_in=data.lead_in,
        text=data.text,
    )
    session.add(commitment)
    _touch(plan)
    session.flush()
    return commitment


def add_contributor(
    *, session: Session, actor: Actor, plan: PcpPlan, data: ContributorCreate
) -> PcpContributor:
    ensure_admin(actor)
    slug = data.slug or slugify(data.name)
    taken = session.exec(
        select(PcpContributor).where(PcpContributor.plan_id == plan.id, PcpContributor.slug == slug)
    ).first()
    if taken is not None:
        raise Conflict(f"{plan.name} already has a contributor {slug!r}")
    last = session.exec(
        select(func.max(PcpContributor.position)).where(PcpContributor.plan_id == plan.id)
    ).one()
    contributor = PcpContributor(
        plan_id=plan.id,
        slug=slug,
        name=data.name,
        full_name=data.full_name or data.name,
        kind=data.kind,
        position=data.position or (last or 0) + 1,
    )
    session.add(contributor)
    _touch(plan)
    session.flush()
    return contributor


# Commentary


def commentary_etag(record: PcpCommentary) -> str:
    return etag("commentary", record.id, record.version)


def in_plan(plan: PcpPlan, quarter: Quarter) -> bool:
    return plan.starts_on <= quarter.first_day and quarter.last_day <= plan.ends_on


def check_quarter(plan: PcpPlan, quarter: Quarter, field: str = "quarter") -> None:
    if not in_plan(plan, quarter):
        raise Invalid(
            f"{quarter} is outside {plan.name} ({plan.starts_on} to {plan.ends_on})", field=field
        )


PUBLICATION_KIND = "quarterly_update"


def publication_key(plan: PcpPlan, quarter: Quarter | str) -> str:
    return f"{plan.slug}/{quarter}"


def ensure_unpublished(*, session: Session, plan: PcpPlan, quarter: Quarter | str) -> None:
    """A published update is frozen: what it shows changes only after a restatement (409)."""
    key = publication_key(plan, quarter)
    current = publications.latest(session=session, kind=PUBLICATION_KIND, key=key)
    if current is not None and (
        publications.pending_restatement(session=session, kind=PUBLICATION_KIND, key=key) is None
    ):
        raise Conflict(
            f"the {quarter} update of {plan.name} is published (version {current.version}): "
            "restate it with a reason to change what it shows"
        )


def _contributor(session: Session, plan: PcpPlan, slug: str, field: str) -> PcpContributor:
    contributor = session.exec(
        select(PcpContributor).where(PcpContributor.plan_id == plan.id, PcpContributor.slug == slug)
    ).first()
    if contributor is None:
        raise Invalid(f"{plan.name} has no contributor {slug!r}", field=field)
    return contributor


def _joint(session: Session, plan: PcpPlan, slugs: Iterable[str], own: str) -> list[str]:
    wanted = list(dict.fromkeys(slugs))
    if own in wanted:
        raise Invalid("a contributor is not joint with itself", field="joint_with")
    known = set(
        session.exec(
            select(PcpContributor.slug).where(
                PcpContributor.plan_id == plan.id,
                PcpContributor.slug.in_(wanted),  # type: ignore[attr-defined]
            )
        )
    )
    unknown = [slug for slug in wanted if slug not in known]
    if unknown:
        raise Invalid(f"{plan.name} has no contributor {unknown[0]!r}", field="joint_with")
    return wanted


def _submission(
    session: Session, contributor: PcpContributor, quarter: str
) -> PcpSubmission | None:
    return session.exec(
        select(PcpSubmission).where(
            PcpSubmission.contributor_id == contributor.id, PcpSubmission.quarter == quarter
        )
    ).first()


def _refuse_if_submitted(session: Session, contributor: PcpContributor, quarter: str) -> None:
    if _submission(session, contributor, quarter) is not None:
        raise Conflict(f"{contributor.name} has submitted {quarter}: its commentary is final")


def to_read(
    *,
    record: PcpCommentary,
    plan: PcpPlan,
    contributor: PcpContributor,
    priority: PcpPriority,
    submitted: bool,
) -> CommentaryRead:
    return CommentaryRead.model_validate(
        {
            **record.model_dump(),
            "plan": plan.slug,
            "contributor": contributor.slug,
            "priority": priority.number,
            "status": SUBMITTED if submitted else DRAFT,
        }
    )


def read_one(*, session: Session, record: PcpCommentary) -> CommentaryRead:
    plan = session.get(PcpPlan, record.plan_id)
    contributor = session.get(PcpContributor, record.contributor_id)
    commitment = session.get(PcpCommitment, record.commitment_id)
    assert plan is not None and contributor is not None and commitment is not None
    priority = session.get(PcpPriority, commitment.priority_id)
    assert priority is not None
    submitted = _submission(session, contributor, record.quarter) is not None
    return to_read(
        record=record, plan=plan, contributor=contributor, priority=priority, submitted=submitted
    )


def create_commentary(*, session: Session, actor: Actor, data: CommentaryCreate) -> PcpCommentary:
    """A contributor's draft commentary on a commitment for a quarter."""
    plan = find_plan(session=session, slug=data.plan)
    contributor = _contributor(session, plan, data.contributor, "contributor")
    ensure_can_write_for_contributor(actor, contributor.slug)
    check_quarter(plan, data.quarter)
    ensure_unpublished(session=session, plan=plan, quarter=data.quarter)
    commitment = session.get(PcpCommitment, data.commitment_id)
    if commitment is None or commitment.plan_id != plan.id:
        raise Invalid(f"{plan.name} has no commitment {data.commitment_id}", field="commitment_id")
    joint = _joint(session, plan, data.joint_with, contributor.slug)
    quarter = str(data.quarter)
    _refuse_if_submitted(session, contributor, quarter)
    existing = session.exec(
        select(PcpCommentary).where(
            PcpCommentary.commitment_id == commitment.id,
            PcpCommentary.contributor_id == contributor.id,
            PcpCommentary.quarter == quarter,
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{contributor.name} already has commentary on commitment {commitment.id} for "
            f"{quarter} (id {existing.id}): change it with PATCH",
            extra={"id": existing.id},
        )
    record = PcpCommentary(
        plan_id=plan.id,
        commitment_id=commitment.id,
        contributor_id=contributor.id,
        quarter=quarter,
        position=contributor.position if data.position is None else data.position,
        body=data.body,
        joint_with=joint,
        created_by=actor.name,
        updated_by=actor.name,
    )
    session.add(record)
    session.flush()
    return record


def get_commentary(
    *, session: Session, commentary_id: int, for_update: bool = False
) -> PcpCommentary:
    statement = select(PcpCommentary).where(PcpCommentary.id == commentary_id)
    if for_update:
        statement = statement.with_for_update()
    record = session.exec(statement).first()
    if record is None:
        raise NotFound(f"no commentary with id {commentary_id}")
    return record


def update_commentary(
    *,
    session: Session,
    actor: Actor,
    commentary_id: int,
    data: CommentaryUpdate,
    if_match: str | None,
) -> PcpCommentary:
    record = get_commentary(session=session, commentary_id=commentary_id, for_update=True)
    contributor = session.get(PcpContributor, record.contributor_id)
    plan = session.get(PcpPlan, record.plan_id)
    assert contributor is not None and plan is not None
    ensure_can_write_for_contributor(actor, contributor.slug)
    ensure_unpublished(session=session, plan=plan, quarter=record.quarter)
    check_if_match(
        if_match,
        commentary_etag(record),
        what="commentary",
        current=lambda: read_one(session=session, record=record).model_dump(mode="json"),
    )
    _refuse_if_submitted(session, contributor, record.quarter)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("body") is None:
        changes.pop("body", None)
    if "joint_with" in changes:
        if changes["joint_with"] is None:
            changes.pop("joint_with")
        else:
            changes["joint_with"] = _joint(session, plan, changes["joint_with"], contributor.slug)
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(record, key, value)
        record.version += 1
        record.updated_at = utcnow()
        record.updated_by = actor.name
        session.flush()
    return record


@dataclass(frozen=True)
class CommentaryFilter:
    plan: str | None = None
    quarter: Quarter | None = None
    contributor: str | None = None
    priority: int | None = None
    commitment_id: int | None = None
    status: str | None = None


def _commentary_statement(filters: CommentaryFilter):
    submitted = (
        select(PcpSubmission.id)
        .where(
            PcpSubmission.contributor_id == PcpCommentary.contributor_id,
            PcpSubmission.quarter == PcpCommentary.quarter,
        )
        .exists()
    )
    statement = (
        select(PcpCommentary, PcpPlan, PcpContributor, PcpPriority, submitted.label("submitted"))
        .join(PcpPlan, PcpPlan.id == PcpCommentary.plan_id)
        .join(PcpContributor, PcpContributor.id == PcpCommentary.contributor_id)
        .join(PcpCommitment, PcpCommitment.id == PcpCommentary.commitment_id)
        .join(PcpPriority, PcpPriority.id == PcpCommitment.priority_id)
        .order_by(
            PcpPlan.starts_on,
            PcpCommentary.quarter,
            PcpPriority.number,
            PcpCommitment.position,
            PcpCommentary.position,
            PcpContributor.position,
        )
    )
    if filters.plan is not None:
        statement = statement.where(PcpPlan.slug == filters.plan)
    if filters.quarter is not None:
        statement = statement.where(PcpCommentary.quarter == str(filters.quarter))
    if filters.contributor is not None:
        statement = statement.where(PcpContributor.slug == filters.contributor)
    if filters.priority is not None:
        statement = statement.where(PcpPriority.number == filters.priority)
    if filters.commitment_id is not None:
        statement = statement.where(PcpCommentary.commitment_id == filters.commitment_id)
    if filters.status == SUBMITTED:
        statement = statement.where(submitted)
    elif filters.status == DRAFT:
        statement = statement.where(~submitted)
    return statement


def list_commentary(
    *, session: Session, filters: CommentaryFilter, page: PageParams | None = None
) -> tuple[list[CommentaryRead], int]:
    statement = _commentary_statement(filters)
    paged = statement if page is None else statement.limit(page.limit).offset(page.offset)
    items = [
        to_read(record=r, plan=p, contributor=c, priority=pr, submitted=bool(s))
        for r, p, c, pr, s in session.exec(paged).all()
    ]
    return items, count(session, statement) if page is not None else len(items)


def submit(
    *, session: Session, actor: Actor, plan: PcpPlan, quarter: Quarter, contributor_slug: str
) -> tuple[PcpSubmission, list[CommentaryRead]]:
    """A contributor's quarter is final: its drafts become the submitted commentary."""
    contributor = _contributor(session, plan, contributor_slug, "contributor")
    ensure_can_write_for_contributor(actor, contributor.slug)
    check_quarter(plan, quarter)
    ensure_unpublished(session=session, plan=plan, quarter=quarter)
    if _submission(session, contributor, str(quarter)) is not None:
        raise Conflict(f"{contributor.name} has already submitted {quarter}")
    filters = CommentaryFilter(plan=plan.slug, quarter=quarter, contributor=contributor.slug)
    drafts, _ = list_commentary(session=session, filters=filters)
    if not drafts:
        raise Invalid(
            f"{contributor.name} has no commentary for {quarter} to submit", field="contributor"
        )
    submission = PcpSubmission(
        plan_id=plan.id,
        contributor_id=contributor.id,
        quarter=str(quarter),
        submitted_by=actor.name,
    )
    session.add(submission)
    session.flush()
    submitted = [item.model_copy(update={"status": SUBMITTED}) for item in drafts]
    emit(
        session=session,
        type=EventType.commentary_submitted,
        data={
            "plan": plan.slug,
            "quarter": str(quarter),
            "contributor": contributor.slug,
            "commentaries": submitted,
        },
    )
    return submission, submitted


def submission_read(
    *, plan: PcpPlan, contributor: str, submission: PcpSubmission, commentaries: int
) -> SubmissionRead:
    return SubmissionRead.model_validate(
        {
            **submission.model_dump(),
            "plan": plan.slug,
            "contributor": contributor,
            "commentaries": commentaries,
        }
    )


def list_submissions(
    *, session: Session, plan: PcpPlan, quarter: Quarter | None = None
) -> list[SubmissionRead]:
    statement = (
        select(PcpSubmission, PcpContributor)
        .join(PcpContributor, PcpContributor.id == PcpSubmission.contributor_id)
        .where(PcpSubmission.plan_id == plan.id)
        .order_by(PcpSubmission.quarter, PcpContributor.position)
    )
    if quarter is not None:
        statement = statement.where(PcpSubmission.quarter == str(quarter))
    rows = session.exec(statement).all()
    counts = {
        (contributor_id, quarter_text): n
        for contributor_id, quarter_text, n in session.exec(
            select(PcpCommentary.contributor_id, PcpCommentary.quarter, func.count())
            .where(PcpCommentary.plan_id == plan.id)
            .group_by(PcpCommentary.contributor_id, PcpCommentary.quarter)
        ).all()
    }
    return [
        submission_read(
            plan=plan,
            contributor=c.slug,
            submission=s,
            commentaries=counts.get((c.id, s.quarter), 0),
        )
        for s, c in rows
    ]


def carry_forward(
    *, session: Session, actor: Actor, plan: PcpPlan, contributor_slug: str, from_quarter: Quarter
) -> list[PcpCommentary]:
    """Start the next quarter's drafts from a contributor's commentary of `from_quarter`;
    commitments that already have a draft in the next quarter keep it."""
    contributor = _contributor(session, plan, contributor_slug, "contributor")
    ensure_can_write_for_contributor(actor, contributor.slug)
    check_quarter(plan, from_quarter, field="from_quarter")
    target = from_quarter.next()
    check_quarter(plan, target, field="from_quarter")
    ensure_unpublished(session=session, plan=plan, quarter=target)
    _refuse_if_submitted(session, contributor, str(target))
    source = session.exec(
        select(PcpCommentary).where(
            PcpCommentary.contributor_id == contributor.id,
            PcpCommentary.quarter == str(from_quarter),
        )
    ).all()
    if not source:
        raise Invalid(
            f"{contributor.name} has no commentary in {from_quarter} to copy", field="from_quarter"
        )
    present = set(
        session.exec(
            select(PcpCommentary.commitment_id).where(
                PcpCommentary.contributor_id == contributor.id,
                PcpCommentary.quarter == str(target),
            )
        )
    )
    copies = [
        PcpCommentary(
            plan_id=plan.id,
            commitment_id=record.commitment_id,
            contributor_id=contributor.id,
            quarter=str(target),
            position=record.position,
            body=record.body,
            joint_with=list(record.joint_with),
            created_by=actor.name,
            updated_by=actor.name,
        )
        for record in source
        if record.commitment_id not in present
    ]
    session.add_all(copies)
    session.flush()
    return copies


# The quarterly update's title block


def update_etag(plan: PcpPlan, record: PcpUpdate | None) -> str:
    return etag("pcp-update", plan.id, record.version if record else 0)


def find_update(*, session: Session, plan: PcpPlan, quarter: Quarter) -> PcpUpdate | None:
    return session.exec(
        select(PcpUpdate).where(PcpUpdate.plan_id == plan.id, PcpUpdate.quarter == str(quarter))
    ).first()


def update_read(*, plan: PcpPlan, quarter: Quarter, record: PcpUpdate | None) -> UpdateRead:
    values = record.model_dump() if record else {}
    return UpdateRead.model_validate(
        {
            "title": "",
            "version_label": "",
            "produced": "",
            "data_to": "",
            "unit": "",
            "author": "",
            "document_owner": "",
            "sensitivity": "",
            **{k: v for k, v in values.items() if v is not None},
            "plan": plan.slug,
            "quarter": quarter,
            "layout": (record.layout if record and record.layout else plan.layout),
            "version": record.version if record else 0,
        }
    )


def save_update(
    *,
    session: Session,
    actor: Actor,
    plan: PcpPlan,
    quarter: Quarter,
    data: UpdateWrite,
    if_match: str | None,
) -> tuple[PcpUpdate, bool]:
    ensure_admin(actor)
    check_quarter(plan, quarter)
    ensure_unpublished(session=session, plan=plan, quarter=quarter)
    record = find_update(session=session, plan=plan, quarter=quarter)
    changes = data.model_dump(exclude_unset=True)
    layout = changes.pop("layout", None)
    changes = {k: v or "" for k, v in changes.items()}
    if record is None:
        record = PcpUpdate(
            plan_id=plan.id, quarter=str(quarter), layout=layout, updated_by=actor.name, **changes
        )
        session.add(record)
        session.flush()
        return record, True
    check_if_match(if_match, update_etag(plan, record), what="quarterly update")
    if "layout" in data.model_fields_set:
        changes["layout"] = layout
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(record, key, value)
        record.version += 1
        record.updated_at = utcnow()
        record.updated_by = actor.name
        session.flush()
    return record, False


def layout_for(*, plan: PcpPlan, update: PcpUpdate | None) -> Layout:
    return update.layout if update is not None and update.layout else plan.layout


# Strands linked to priorities


def _link_read(link: StrandPriorityLink, strand: Strand, plan: PcpPlan, priority: PcpPriority):
    return LinkRead.model_validate(
        {
            **link.model_dump(),
            "strand": strand.slug,
            "strand_name": strand.name,
            "plan": plan.slug,
            "priority": priority.number,
            "priority_title": priority.title,
        }
    )


def _links_statement():
    return (
        select(StrandPriorityLink, Strand, PcpPlan, PcpPriority)
        .join(Strand, Strand.id == StrandPriorityLink.strand_id)
        .join(PcpPriority, PcpPriority.id == StrandPriorityLink.priority_id)
        .join(PcpPlan, PcpPlan.id == PcpPriority.plan_id)
        .order_by(PcpPlan.starts_on, PcpPriority.number, Strand.position, Strand.id)
    )


def create_link(*, session: Session, actor: Actor, data: LinkCreate) -> LinkRead:
    """Link a strand to a priority it delivers against (the strand's lead or an admin)."""
    try:
        strand = strategies.get_strand(session=session, slug=data.strand)
    except NotFound as error:
        raise Invalid(error.detail, field="strand") from None
    ensure_can_write(actor, strand.slug)
    plan = find_plan(session=session, slug=data.plan)
    priority = _priority(session, plan, data.priority, "priority")
    existing = session.exec(
        select(StrandPriorityLink).where(
            StrandPriorityLink.strand_id == strand.id,
            StrandPriorityLink.priority_id == priority.id,
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{strand.name} is already linked to priority {priority.number} of {plan.name}"
        )
    link = StrandPriorityLink(strand_id=strand.id, priority_id=priority.id, created_by=actor.name)
    session.add(link)
    session.flush()
    return _link_read(link, strand, plan, priority)


def get_link(*, session: Session, link_id: int) -> StrandPriorityLink:
    link = session.get(StrandPriorityLink, link_id)
    if link is None:
        raise NotFound(f"no link with id {link_id}")
    return link


def delete_link(*, session: Session, actor: Actor, link_id: int) -> None:
    link = get_link(session=session, link_id=link_id)
    strand = session.get(Strand, link.strand_id)
    assert strand is not None
    ensure_can_write(actor, strand.slug)
    session.delete(link)
    session.flush()


def list_links(
    *,
    session: Session,
    page: PageParams,
    strand: str | None = None,
    plan: str | None = None,
    priority: int | None = None,
) -> tuple[list[LinkRead], int]:
    statement = _links_statement()
    if strand is not None:
        statement = statement.where(Strand.slug == strand)
    if plan is not None:
        statement = statement.where(PcpPlan.slug == plan)
    if priority is not None:
        statement = statement.where(PcpPriority.number == priority)
    rows = session.exec(statement.limit(page.limit).offset(page.offset)).all()
    return [_link_read(*row) for row in rows], count(session, statement)


def priorities_by_strand(
    *, session: Session, strand_ids: Sequence[int]
) -> dict[int, list[LinkRead]]:
    """The plan priorities each strand delivers against, for the board paper's §6.1."""
    if not strand_ids:
        return {}
    statement = _links_statement().where(
        StrandPriorityLink.strand_id.in_(strand_ids)  # type: ignore[attr-defined]
    )
    found: dict[int, list[LinkRead]] = {}
    for link, strand, plan, priority in session.exec(statement).all():
        found.setdefault(strand.id, []).append(_link_read(link, strand, plan, priority))
    return found


def strands_by_priority(*, session: Session, plan: PcpPlan) -> dict[int, list[Strand]]:
    """The strands linked to each of a plan's priorities, by priority number."""
    statement = _links_statement().where(PcpPlan.id == plan.id)
    found: dict[int, list[Strand]] = {}
    for _, strand, _, priority in session.exec(statement).all():
        found.setdefault(priority.number, []).append(strand)
    return found


# What a contributor sees in the workspace


@dataclass(frozen=True)
class CommitmentDraft:
    priority: PcpPriority
    commitment: PcpCommitment
    commentary: CommentaryRead | None


@dataclass(frozen=True)
class ContributorQuarter:
    contributor: PcpContributor
    submitted: bool
    commitments: list[CommitmentDraft]


def default_quarter(plan: PcpPlan, quarter: Quarter) -> Quarter:
    """`quarter`, or the nearest of the plan's own quarters when it falls outside them."""
    if quarter.first_day < plan.starts_on:
        return Quarter.of(plan.starts_on)
    if quarter.last_day > plan.ends_on:
        return Quarter.of(plan.ends_on)
    return quarter


def contributor_quarters(
    *, session: Session, actor: Actor, plan: PcpPlan, quarter: Quarter
) -> list[ContributorQuarter]:
    """The plan's commitments with the caller's contributors' commentary for the quarter: every
    contributor for an admin, those the caller writes for otherwise."""
    check_quarter(plan, quarter)
    people = [
        c
        for c in contributors(session=session, plan=plan)
        if actor.is_admin or c.slug in actor.contributors
    ]
    ordered = commitments(session=session, plan=plan)
    numbered = {p.id: p for p in priorities(session=session, plan=plan)}
    found = []
    for contributor in people:
        written, _ = list_commentary(
            session=session,
            filters=CommentaryFilter(plan=plan.slug, quarter=quarter, contributor=contributor.slug),
        )
        by_commitment = {item.commitment_id: item for item in written}
        found.append(
            ContributorQuarter(
                contributor=contributor,
                submitted=_submission(session, contributor, str(quarter)) is not None,
                commitments=[
                    CommitmentDraft(
                        priority=numbered[c.priority_id],
                        commitment=c,
                        commentary=by_commitment.get(c.id),  # type: ignore[arg-type]
                    )
                    for c in ordered
                ],
            )
        )
    return found
