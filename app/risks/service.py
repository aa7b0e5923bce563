"""Rules for the risk register, shared by the API and the board report."""

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth.service import Actor, ensure_can_write
from app.core.base import today, utcnow
from app.core.concurrency import check_if_match, etag
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.core.quarters import Quarter
from app.periods import service as periods
from app.risks import scoring
from app.risks.models import Risk, RiskAction, RiskEvent, RiskResponse, RiskStatus
from app.risks.schemas import (
    DataQualityReport,
    OpenRiskOnFinishedTask,
    OpenRiskPastReview,
    RatingFilter,
    RiskCreate,
    RiskRead,
    RiskSort,
    RiskUpdate,
    TaskAtRiskWithoutOpenRisk,
)
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks import spans
from app.tasks.models import Status, Task
from app.tasks.service import CLOSED, PILLAR_ORDER, status_as_at
from app.webhooks.models import EventType
from app.webhooks.service import emit

GENERATED_PREFIX = "A"
MAX_REF_NUMBER = 99_999
PAIRS = (
    ("inherent_likelihood", "inherent_impact"),
    ("likelihood", "impact"),
    ("target_likelihood", "target_impact"),
)
# Every field whose changes the history records, in the order it shows them.
TRACKED = (
    "ref",
    "strand_id",
    "task_id",
    "description",
    "owner",
    "mitigation",
    "response",
    "registered_on",
    "review_on",
    "inherent_likelihood",
    "inherent_impact",
    "likelihood",
    "impact",
    "target_likelihood",
    "target_impact",
    "status",
    "closed_on",
    "closure_reason",
)
REQUIRED = ("strand_id", "description", "owner", "mitigation", "response", "registered_on")
EXPORT_COLUMNS = (
    "ref",
    "strand",
    "task_id",
    "description",
    "owner",
    "mitigation",
    "response",
    "registered_on",
    "review_on",
    "likelihood",
    "impact",
    "score",
    "rating",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_score",
    "inherent_rating",
    "target_likelihood",
    "target_impact",
    "target_score",
    "target_rating",
    "status",
    "closed_on",
    "closure_reason",
)
SCORE = Risk.likelihood * Risk.impact  # type: ignore[operator]
NATURAL_REF = (Risk.ref_prefix, Risk.ref_number)
SORTS: dict[RiskSort, Sequence[Any]] = {
    RiskSort.score_desc: (SCORE.is_(None), SCORE.desc(), *NATURAL_REF),
    RiskSort.score: (SCORE.is_(None), SCORE, *NATURAL_REF),
    RiskSort.ref: NATURAL_REF,
    RiskSort.registered_on: (Risk.registered_on, *NATURAL_REF),
    RiskSort.registered_on_desc: (Risk.registered_on.desc(), *NATURAL_REF),  # type: ignore[attr-defined]
    RiskSort.review_on: (Risk.review_on.is_(None), Risk.review_on, *NATURAL_REF),  # type: ignore[union-attr]
    RiskSort.updated_at_desc: (Risk.updated_at.desc(), *NATURAL_REF),  # type: ignore[attr-defined]
}


@dataclass(frozen=True, slots=True)
class RiskFilters:
    """What to list; each tuple keeps a risk matching any of its values (empty: no filter)."""

    strategy_id: int | None = None
    strand: tuple[str, ...] = ()
    status: tuple[RiskStatus, ...] = ()
    response: tuple[RiskResponse, ...] = ()
    rating: RatingFilter | None = None
    review_overdue: bool | None = None
    q: str | None = None
    updated_since: datetime | None = None


def risk_etag(risk: Risk) -> str:
    return etag("risk", risk.id, risk.version)


def is_review_overdue(risk: Risk, on: date | None = None) -> bool:
    return (
        risk.status is RiskStatus.open
        and risk.review_on is not None
        and risk.review_on < (on or today())
    )


def to_read(risk: Risk, strand_slug: str) -> RiskRead:
    scores: dict[str, Any] = {}
    for likelihood, impact in PAIRS:
        prefix = likelihood.removesuffix("likelihood")
        value, band = scoring.assess(getattr(risk, likelihood), getattr(risk, impact))
        scores[f"{prefix}score"], scores[f"{prefix}rating"] = value, band
    return RiskRead.model_validate(
        {
            **risk.model_dump(),
            **scores,
            "strand": strand_slug,
            "review_overdue": is_review_overdue(risk),
        }
    )


def read_one(*, session: Session, risk: Risk) -> RiskRead:
    strand = strategies.get_strand_by_id(session=session, strand_id=risk.strand_id)
    return to_read(risk, strand.slug)


def get_risk(
    *, session: Session, ref: str, strategy_id: int | None = None, for_update: bool = False
) -> Risk:
    """A risk by its ref, within the given strategy or else the current one."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    ref = ref.strip().upper()
    statement = select(Risk).where(Risk.strategy_id == strategy.id, Risk.ref == ref)
    if for_update:
        statement = statement.with_for_update()
    risk = session.exec(statement).first()
    if risk is None:
        raise NotFound(f"no risk {ref!r} in {strategy.name}")
    return risk


def _strand(session: Session, strand_id: int) -> Strand:
    strand = session.get(Strand, strand_id)
    if strand is None:
        raise Invalid(f"no strand with id {strand_id}", field="strand_id")
    return strand


def _check_task(session: Session, task_id: int, strand: Strand) -> None:
    task = session.get(Task, task_id)
    if task is None:
        raise Invalid(f"no task with id {task_id}", field="task_id")
    if task.strand_id != strand.id:
        other = strategies.get_strand_by_id(session=session, strand_id=task.strand_id)
        raise Invalid(
            f"task {task_id} belongs to the strand {other.slug!r}, not to {strand.slug!r}: "
            "a risk's task must be one of its own strand",
            field="task_id",
        )


def _check_state(state: dict[str, Any]) -> None:
    """The rules a risk's fields must keep together, whichever of them a request changed."""
    for likelihood, impact in PAIRS:
        given = {likelihood: state[likelihood], impact: state[impact]}
        missing = [name for name, value in given.items() if value is None]
        if len(missing) == 1:
            raise Invalid(
                f"{likelihood} and {impact} go together: send both, or clear both",
                field=missing[0],
            )
    registered_on = state["registered_on"]
    if registered_on > today():
        raise Invalid(f"{registered_on} is in the future", field="registered_on")
    if state["review_on"] is not None and state["review_on"] < registered_on:
        raise Invalid(
            f"the review date {state['review_on']} is before the risk was registered "
            f"({registered_on})",
            field="review_on",
        )
    closed_on = state["closed_on"]
    if closed_on is not None:
        if closed_on > today():
            raise Invalid(f"{closed_on} is in the future", field="closed_on")
        if closed_on < registered_on:
            raise Invalid(
                f"{closed_on} is before the risk was registered ({registered_on})",
                field="closed_on",
            )


def _split_ref(ref: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert match is not None, ref
    return match[1], int(match[2])


REF_ATTEMPTS = 20
"""How many next refs a creation tries when others take them first."""
REF_LOCK = 0x52_45_46  # "REF": with the strategy's id, the key of its numbering's lock
"""Any constant will do, as long as nothing else takes advisory locks in its name."""


def _number_one_at_a_time(session: Session, strategy_id: int) -> None:
    """Generated refs of a strategy are numbered one creation at a time, until each commits
    (PostgreSQL; SQLite has one writer at a time anyway): many leads registering risks at once
    would otherwise keep taking the number one of them computed, past any number of retries."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(REF_LOCK, strategy_id)),
        )


def _next_ref(session: Session, strategy_id: int, after: int = 0) -> str:
    """The next `A<n>` after the highest A-number in the strategy (A14 after a manual A13), and
    after `after`, a number another creation was seen to take (a transaction's snapshot may not
    show it yet)."""
    highest = session.execute(
        sa.select(sa.func.max(Risk.ref_number)).where(
            Risk.strategy_id == strategy_id, Risk.ref_prefix == GENERATED_PREFIX
        )
    ).scalar_one()
    number = max(highest or 0, after) + 1
    if number > MAX_REF_NUMBER:
        raise Conflict("the strategy has run out of generated refs: send a ref")
    return f"{GENERATED_PREFIX}{number}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _record(session: Session, risk: Risk, action: RiskAction, changes: dict, actor: Actor) -> None:
    session.add(
        RiskEvent(
            risk_id=risk.id,
            action=action,
            changes={
                field: {"before": _jsonable(before), "after": _jsonable(after)}
                for field, (before, after) in changes.items()
            },
            recorded_by=actor.name,
            recorded_at=risk.updated_at,
        )
    )


def create_risk(*, session: Session, actor: Actor, data: RiskCreate) -> Risk:
    """Register a risk of a strand, with a generated ref unless one is given."""
    strand = _strand(session, data.strand_id)
    ensure_can_write(actor, strand.slug)
    state = data.model_dump(exclude={"ref"})
    state["registered_on"] = data.registered_on or today()
    state["closed_on"] = None
    if data.likelihood is None and data.impact is None:
        state["likelihood"], state["impact"] = data.inherent_likelihood, data.inherent_impact
    _check_state(state)
    # A risk registered in a closed quarter would change what that quarter's paper lists.
    periods.ensure_open(
        session=session,
        strategy_id=strand.strategy_id,
        day=state["registered_on"],
        field="registered_on",
    )
    if data.task_id is not None:
        _check_task(session, data.task_id, strand)
    if data.ref is not None:
        taken = session.exec(
            select(Risk.id).where(Risk.strategy_id == strand.strategy_id, Risk.ref == data.ref)
        ).first()
        if taken is not None:
            raise Conflict(f"the strategy already has a risk {data.ref}")
    now = utcnow()
    if data.ref is None:
        _number_one_at_a_time(session, strand.strategy_id)
    # Two creations that still compute the same next ref (a ref given by hand took it) meet at
    # the unique constraint, and the one that loses takes the number after the winner's.
    taken_number = 0
    for attempt in range(1, REF_ATTEMPTS + 1):
        ref = data.ref or _next_ref(session, strand.strategy_id, after=taken_number)
        prefix, number = _split_ref(ref)
        risk = Risk(
            **state,
            strategy_id=strand.strategy_id,
            ref=ref,
            ref_prefix=prefix,
            ref_number=number,
            created_at=now,
            created_by=actor.name,
            updated_at=now,
            updated_by=actor.name,
        )
        try:
            with session.begin_nested():
                session.add(risk)
                session.flush()
        except IntegrityError:
            if data.ref is not None:
                raise Conflict(f"the strategy already has a risk {data.ref}") from None
            if attempt == REF_ATTEMPTS:
                raise Conflict(
                    "risks were being registered too fast to number: try again"
                ) from None
            taken_number = number or taken_number
            continue
        break
    created = {
        field: (None, getattr(risk, field))
        for field in TRACKED
        if getattr(risk, field) not in (None, "")
    }
    _record(session, risk, RiskAction.created, created, actor)
    session.flush()
    emit(
        session=session,
        type=EventType.risk_created,
        data={"ref": risk.ref, "strand": strand.slug, "risk": to_read(risk, strand.slug)},
    )
    return risk


def _closing_changes(risk: Risk, changes: dict[str, Any]) -> RiskAction:
    """Fill in what closing or reopening implies; refuse closure fields on an open risk."""
    final = changes.get("status", risk.status)
    closing = final is RiskStatus.closed and risk.status is RiskStatus.open
    reopening = final is RiskStatus.open and risk.status is RiskStatus.closed
    if final is RiskStatus.open:
        for field in ("closed_on", "closure_reason"):
            if changes.get(field) is not None:
                raise Invalid(
                    f"only a closed risk has a {field}: send status closed to close it",
                    field=field,
                )
        if reopening:
            changes["closed_on"], changes["closure_reason"] = None, ""
        return RiskAction.reopened if reopening else RiskAction.updated
    if "closure_reason" in changes and changes["closure_reason"] is None:
        raise Invalid("a closed risk keeps its closure_reason", field="closure_reason")
    if "closed_on" in changes and changes["closed_on"] is None and not closing:
        raise Invalid("a closed risk keeps its closed_on: reopen it instead", field="closed_on")
    if not closing:
        return RiskAction.updated
    if not changes.get("closure_reason"):
        raise Invalid("closing a risk needs a closure_reason", field="closure_reason")
    changes["closed_on"] = changes.get("closed_on") or today()
    return RiskAction.closed


def update_risk(
    *, session: Session, actor: Actor, risk: Risk, data: RiskUpdate, if_match: str | None
) -> Risk:
    """Change a risk; only what really changes is written, versioned and recorded."""
    strand = strategies.get_strand_by_id(session=session, strand_id=risk.strand_id)
    ensure_can_write(actor, strand.slug)
    check_if_match(
        if_match,
        risk_etag(risk),
        what="risk",
        current=lambda: to_read(risk, strand.slug).model_dump(mode="json"),
    )
    changes = data.model_dump(exclude_unset=True)
    for field in (*REQUIRED, "status"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{field} cannot be cleared", field=field)
    action = _closing_changes(risk, changes)
    state = {field: getattr(risk, field) for field in TRACKED} | changes
    _check_state(state)
    target = strand
    if state["strand_id"] != risk.strand_id:
        target = _strand(session, state["strand_id"])
        if target.strategy_id != risk.strategy_id:
            raise Invalid("a risk can only move to a strand of its own strategy", field="strand_id")
        ensure_can_write(actor, target.slug)
    if state["task_id"] is not None and ("task_id" in changes or target is not strand):
        _check_task(session, state["task_id"], target)
    changed = {
        field: (getattr(risk, field), changes[field])
        for field in TRACKED
        if field in changes and getattr(risk, field) != changes[field]
    }
    if not changed:
        return risk
    if "registered_on" in changed:
        for day in changed["registered_on"]:
            periods.ensure_open(
                session=session, strategy_id=risk.strategy_id, day=day, field="registered_on"
            )
    for field, (_, value) in changed.items():
        setattr(risk, field, value)
    risk.version += 1
    risk.updated_at = utcnow()
    risk.updated_by = actor.name
    session.add(risk)
    _record(session, risk, action, changed, actor)
    session.flush()
    emit(
        session=session,
        type=EventType.risk_updated,
        data={
            "ref": risk.ref,
            "strand": target.slug,
            "action": action.value,
            "changes": {f: {"old": old, "new": new} for f, (old, new) in changed.items()},
            "risk": to_read(risk, target.slug),
        },
    )
    return risk


def history(*, session: Session, risk: Risk) -> list[RiskEvent]:
    return list(
        session.exec(
            select(RiskEvent).where(RiskEvent.risk_id == risk.id).order_by(RiskEvent.id)  # type: ignore[arg-type]
        )
    )


def _overdue_clause(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Risk.status == RiskStatus.open,
        Risk.review_on.is_not(None),  # type: ignore[union-attr]
        Risk.review_on < on,  # type: ignore[operator]
    )


def risk_query(strategy: Strategy, filters: RiskFilters, sort: RiskSort) -> sa.Select:
    """The strategy's risks with their strand's slug, filtered and ordered, as one statement."""
    statement = (
        sa.select(Risk, Strand.slug)
        .join(Strand, Strand.id == Risk.strand_id)
        .where(Risk.strategy_id == strategy.id)
    )
    if filters.strand:
        statement = statement.where(Strand.slug.in_(filters.strand))  # type: ignore[attr-defined]
    if filters.status:
        statement = statement.where(Risk.status.in_(filters.status))  # type: ignore[attr-defined]
    if filters.response:
        statement = statement.where(Risk.response.in_(filters.response))  # type: ignore[attr-defined]
    if filters.updated_since is not None:
        statement = statement.where(Risk.updated_at >= filters.updated_since)
    if filters.rating is RatingFilter.unscored:
        statement = statement.where(Risk.likelihood.is_(None))  # type: ignore[union-attr]
    elif filters.rating is not None:
        lowest, highest = scoring.score_range(scoring.Rating(filters.rating.value))
        statement = statement.where(SCORE.between(lowest, highest))
    if filters.review_overdue is not None:
        overdue = _overdue_clause(today())
        statement = statement.where(overdue if filters.review_overdue else sa.not_(overdue))
    if filters.q:
        needle = filters.q.strip().lower()
        statement = statement.where(
            sa.or_(
                *(
                    sa.func.lower(column).contains(needle, autoescape=True)
                    for column in (Risk.description, Risk.mitigation, Risk.owner, Risk.ref)
                )
            )
        )
    return statement.order_by(*SORTS[sort])


def list_risks(
    *, session: Session, filters: RiskFilters, page: PageParams, sort: RiskSort
) -> tuple[list[RiskRead], int]:
    strategy = strategies.resolve_strategy(session=session, strategy_id=filters.strategy_id)
    statement = risk_query(strategy, filters, sort)
    rows = session.execute(statement.limit(page.limit).offset(page.offset)).all()
    return [to_read(risk, slug) for risk, slug in rows], count(session, statement)


def register_rows(
    *, session: Session, filters: RiskFilters, sort: RiskSort
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Every matching risk (not one page) as export rows, with their header."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=filters.strategy_id)
    reads = [to_read(r, slug) for r, slug in session.execute(risk_query(strategy, filters, sort))]
    rows = []
    for read in reads:
        values = read.model_dump()
        rows.append([values[column] for column in EXPORT_COLUMNS])
    return EXPORT_COLUMNS, rows


def open_on(day: date) -> sa.ColumnElement[bool]:
    """Open as at the end of a day: registered by then and not yet closed."""
    return sa.and_(
        Risk.registered_on <= day,
        sa.or_(Risk.closed_on.is_(None), Risk.closed_on > day),  # type: ignore[union-attr, operator]
    )


def open_risks(*, session: Session, strategy_id: int, day: date) -> list[RiskRead]:
    """The strategy's risks open as at the end of a day, by strand, then ref."""
    rows = session.execute(
        sa.select(Risk, Strand.slug)
        .join(Strand, Strand.id == Risk.strand_id)
        .where(Risk.strategy_id == strategy_id, open_on(day))
        .order_by(Strand.position, *NATURAL_REF)
    )
    return [to_read(risk, slug) for risk, slug in rows]


def _at_risk_on(session: Session, strategy_id: int, day: date) -> sa.ColumnElement[bool]:
    """Which tasks stood at risk at the end of a day: on a quarter's last day as its status
    spans say, today as the task's own status says (no event is dated later), else by each
    task's latest event then (a look-up per task)."""
    if day == Quarter.of(day).last_day:
        spans.rebuild_pending(session)
        ids = spans.tasks_in(
            status=Status.at_risk,
            quarter_ordinal=Quarter.of(day).ordinal,
            plan_ids=strategies.plan_ids_of(strategy_id),
        )
        return Task.id.in_(ids)  # type: ignore[union-attr]
    if day == today():
        return Task.status == Status.at_risk
    as_at_day = status_as_at(day)
    return Task.id.in_(  # type: ignore[union-attr]
        sa.select(as_at_day.c.task_id).where(as_at_day.c.status == Status.at_risk)
    )


def data_quality(
    *,
    session: Session,
    strategy_id: int | None = None,
    strand: str | None = None,
    as_at: date | None = None,
    quarter: Quarter | None = None,
) -> DataQualityReport:
    """What the board should not find in the register, now or as at a past day or quarter's end.

    A risk counts as open on a day when it was registered by then and not closed by then; a
    risk that was closed and later reopened counts as open over the closed spell too.
    """
    if as_at is not None and quarter is not None:
        raise Invalid("send as_at or quarter, not both", field="quarter")
    if as_at is not None and as_at > today():
        raise Invalid(f"{as_at} is in the future", field="as_at")
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    if strand is not None:
        strategies.get_strand(session=session, slug=strand, strategy_id=strategy.id)
    if quarter is not None:
        as_at = min(quarter.last_day, today())
    day = as_at or today()
    # No event is ever dated after today, so the status as at today is the current one.
    as_at_day = status_as_at(day)
    task_status = as_at_day.c.status

    def in_scope(statement: sa.Select) -> sa.Select:
        statement = statement.where(Strand.strategy_id == strategy.id)
        return statement if strand is None else statement.where(Strand.slug == strand)

    has_open_risk = sa.exists().where(Risk.task_id == Task.id, open_on(day)).correlate(Task)
    at_risk_tasks = in_scope(
        sa.select(
            Task.id.label("task_id"),  # type: ignore[union-attr]
            Task.task_no,
            Task.title,
            Task.plan_id,
            Strand.slug.label("strand"),  # type: ignore[attr-defined]
            Strand.name.label("strand_name"),  # type: ignore[attr-defined]
        )
        .join(Strand, Strand.id == Task.strand_id)
        .join(DeliveryPlan, DeliveryPlan.id == Task.plan_id)
        .where(_at_risk_on(session, strategy.id, day), ~has_open_risk)  # type: ignore[arg-type]
    ).order_by(
        Strand.position, DeliveryPlan.position, Task.plan_id, PILLAR_ORDER, Task.task_no, Task.id
    )
    finished = in_scope(
        sa.select(
            Risk.ref,
            Risk.description,
            Task.id.label("task_id"),  # type: ignore[union-attr]
            Task.title.label("task_title"),  # type: ignore[attr-defined]
            task_status.label("task_status"),
            Strand.slug.label("strand"),  # type: ignore[attr-defined]
            Strand.name.label("strand_name"),  # type: ignore[attr-defined]
        )
        .join(Task, Task.id == Risk.task_id)
        .join(as_at_day, as_at_day.c.task_id == Task.id)
        .join(Strand, Strand.id == Risk.strand_id)
        .where(open_on(day), task_status.in_(CLOSED))
    ).order_by(Strand.position, *NATURAL_REF)
    past_review = in_scope(
        sa.select(
            Risk.ref,
            Risk.description,
            Risk.owner,
            Risk.review_on,
            Risk.task_id,
            Strand.slug.label("strand"),  # type: ignore[attr-defined]
            Strand.name.label("strand_name"),  # type: ignore[attr-defined]
        )
        .join(Strand, Strand.id == Risk.strand_id)
        .where(open_on(day), Risk.review_on < day)  # type: ignore[operator]
    ).order_by(Strand.position, Risk.review_on, *NATURAL_REF)
    return DataQualityReport(
        strategy_id=strategy.id,  # type: ignore[arg-type]
        as_at=day,
        quarter=str(quarter) if quarter is not None else None,
        tasks_at_risk_without_open_risk=[
            TaskAtRiskWithoutOpenRisk.model_validate(row._mapping)
            for row in session.execute(at_risk_tasks)
        ],
        open_risks_on_finished_tasks=[
            OpenRiskOnFinishedTask.model_validate(row._mapping) for row in session.execute(finished)
        ],
        open_risks_past_review=[
            OpenRiskPastReview.model_validate(row._mapping) for row in session.execute(past_review)
        ],
    )
