"""Rules for quarterly returns: leads write their own strands' returns, drafts until submitted."""

from datetime import datetime

from sqlmodel import Session, select

from app.auth.service import Actor, ensure_can_write
from app.core.base import utcnow
from app.core.concurrency import check_if_match, etag
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.core.quarters import Quarter
from app.periods import service as periods
from app.returns.models import QuarterlyReturn, ReturnRevision, ReturnStatus
from app.returns.schemas import ReturnRead, ReturnWrite
from app.strategies.models import Strand
from app.webhooks.models import EventType
from app.webhooks.service import emit

NARRATIVES = ("insight", "delivery_achieved", "delivery_scheduled")


def return_etag(record: QuarterlyReturn) -> str:
    return etag("return", record.id, record.version)


def to_read(record: QuarterlyReturn, strand: Strand) -> ReturnRead:
    return ReturnRead.model_validate({**record.model_dump(), "strand": strand.slug})


def find(
    *, session: Session, strand: Strand, quarter: Quarter, for_update: bool = False
) -> QuarterlyReturn | None:
    statement = select(QuarterlyReturn).where(
        QuarterlyReturn.strand_id == strand.id, QuarterlyReturn.quarter == str(quarter)
    )
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def get(*, session: Session, strand: Strand, quarter: Quarter, for_update: bool = False):
    record = find(session=session, strand=strand, quarter=quarter, for_update=for_update)
    if record is None:
        raise NotFound(f"no return for {strand.slug} in {quarter}")
    return record


def _revise(session: Session, record: QuarterlyReturn, actor: Actor, action: str) -> None:
    session.add(
        ReturnRevision(
            return_id=record.id,
            version=record.version,
            action=action,
            status=record.status,
            recorded_by=actor.name,
            **{name: getattr(record, name) for name in NARRATIVES},
        )
    )


def _ensure_open(session: Session, strand: Strand, quarter: Quarter) -> None:
    """A closed quarter's returns are what its paper printed: they stay as they are."""
    periods.ensure_quarter_writable(
        session=session,
        strategy_id=strand.strategy_id,
        quarter=quarter,
        what=f"the {strand.name} return",
    )


def save(
    *,
    session: Session,
    actor: Actor,
    strand: Strand,
    quarter: Quarter,
    data: ReturnWrite,
    if_match: str | None,
) -> tuple[QuarterlyReturn, bool]:
    """Create or edit a draft return; answers the return and whether it was created."""
    ensure_can_write(actor, strand.slug)
    _ensure_open(session, strand, quarter)
    changes = {k: (v or "") for k, v in data.model_dump(exclude_unset=True).items()}
    record = find(session=session, strand=strand, quarter=quarter, for_update=True)
    if record is None:
        record = QuarterlyReturn(
            strand_id=strand.id,
            quarter=str(quarter),
            created_by=actor.name,
            updated_by=actor.name,
            **changes,
        )
        session.add(record)
        session.flush()
        _revise(session, record, actor, "created")
        return record, True
    check_if_match(
        if_match,
        return_etag(record),
        what="return",
        current=lambda: to_read(record, strand).model_dump(mode="json"),
    )
    if record.status is ReturnStatus.submitted:
        raise Conflict("the return has been submitted: reopen it before editing")
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(record, key, value)
        _bump(record, actor)
        _revise(session, record, actor, "edited")
    return record, False


def _bump(record: QuarterlyReturn, actor: Actor) -> None:
    record.version += 1
    record.updated_at = utcnow()
    record.updated_by = actor.name


def submit(
    *, session: Session, actor: Actor, strand: Strand, quarter: Quarter, if_match: str | None
) -> QuarterlyReturn:
    ensure_can_write(actor, strand.slug)
    _ensure_open(session, strand, quarter)
    record = get(session=session, strand=strand, quarter=quarter, for_update=True)
    if if_match is not None:
        check_if_match(if_match, return_etag(record), what="return")
    if record.status is ReturnStatus.submitted:
        raise Conflict("the return is already submitted")
    empty = [name for name in NARRATIVES if not getattr(record, name).strip()]
    if empty:
        raise Invalid(
            "a return needs all three narratives before it is submitted",
            errors=[{"field": name, "message": "must not be empty"} for name in empty],
        )
    record.status = ReturnStatus.submitted
    record.submitted_at = utcnow()
    record.submitted_by = actor.name
    _bump(record, actor)
    _revise(session, record, actor, "submitted")
    session.flush()
    emit(
        session=session,
        type=EventType.return_submitted,
        data={"strand": strand.slug, "quarter": str(quarter), "return": to_read(record, strand)},
    )
    return record


def reopen(*, session: Session, actor: Actor, strand: Strand, quarter: Quarter) -> QuarterlyReturn:
    ensure_can_write(actor, strand.slug)
    _ensure_open(session, strand, quarter)
    record = get(session=session, strand=strand, quarter=quarter, for_update=True)
    if record.status is not ReturnStatus.submitted:
        raise Conflict("only a submitted return can be reopened")
    record.status = ReturnStatus.draft
    record.submitted_at = None
    record.submitted_by = None
    _bump(record, actor)
    _revise(session, record, actor, "reopened")
    return record


def history(*, session: Session, record: QuarterlyReturn) -> list[ReturnRevision]:
    return list(
        session.exec(
            select(ReturnRevision)
            .where(ReturnRevision.return_id == record.id)
            .order_by(ReturnRevision.id)  # type: ignore[arg-type]
        )
    )


def list_returns(
    *,
    session: Session,
    strategy_id: int,
    page: PageParams,
    quarter: Quarter | None = None,
    strands: tuple[str, ...] = (),
    statuses: tuple[ReturnStatus, ...] = (),
    updated_since: datetime | None = None,
) -> tuple[list[ReturnRead], int]:
    statement = (
        select(QuarterlyReturn, Strand)
        .join(Strand, Strand.id == QuarterlyReturn.strand_id)
        .where(Strand.strategy_id == strategy_id)
        .order_by(QuarterlyReturn.quarter.desc(), Strand.position)  # type: ignore[attr-defined]
    )
    if quarter is not None:
        statement = statement.where(QuarterlyReturn.quarter == str(quarter))
    if strands:
        statement = statement.where(Strand.slug.in_(strands))  # type: ignore[attr-defined]
    if statuses:
        statement = statement.where(QuarterlyReturn.status.in_(statuses))  # type: ignore[attr-defined]
    if updated_since is not None:
        statement = statement.where(QuarterlyReturn.updated_at >= updated_since)
    rows = session.exec(statement.limit(page.limit).offset(page.offset)).all()
    return [to_read(r, s) for r, s in rows], count(session, statement)


def for_quarter(
    *, session: Session, strategy_id: int, quarter: Quarter
) -> dict[int, QuarterlyReturn]:
    """Every strand's return for a quarter, by strand id (the board report reads these)."""
    statement = (
        select(QuarterlyReturn)
        .join(Strand, Strand.id == QuarterlyReturn.strand_id)
        .where(Strand.strategy_id == strategy_id, QuarterlyReturn.quarter == str(quarter))
    )
    return {r.strand_id: r for r in session.exec(statement)}
