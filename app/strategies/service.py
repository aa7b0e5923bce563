"""Rules for strategies, strands and plans, shared by the API, the CLI and the importer."""

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.auth.service import Actor, ensure_admin, ensure_can_write
from app.core.base import today, utcnow
from app.core.concurrency import check_if_match, etag
from app.core.errors import Conflict, Invalid, NotFound
from app.core.schemas import slugify
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.strategies.schemas import (
    PlanCreate,
    PlanRead,
    PlanUpdate,
    StrandCreate,
    StrandRead,
    StrandUpdate,
    StrategyCreate,
    StrategyUpdate,
)


def _apply(record: Any, changes: dict[str, Any], actor: Actor | None = None) -> bool:
    """Set the fields that differ; bump the version and the timestamp when any did."""
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(record, key, value)
    record.version += 1
    record.updated_at = utcnow()
    if actor is not None and hasattr(record, "updated_by"):
        record.updated_by = actor.name
    return True


def _cleared(changes: dict[str, Any], *, record: Any, required: set[str]) -> dict[str, Any]:
    """A PATCH's fields with null meaning "clear it": refused for required fields, else emptied."""
    for key in sorted(required & changes.keys()):
        if changes[key] is None:
            raise Invalid(f"{key} cannot be cleared", field=key)
    cleared = {}
    for key, value in changes.items():
        if value is None:
            current = getattr(record, key)
            if isinstance(current, int):
                continue
            value = [] if isinstance(current, list) else ""
        cleared[key] = value
    return cleared


# Strategies


def create_strategy(*, session: Session, actor: Actor, data: StrategyCreate) -> Strategy:
    ensure_admin(actor)
    if session.exec(select(Strategy).where(Strategy.name == data.name)).first():
        raise Conflict(f"a strategy named {data.name!r} already exists")
    strategy = Strategy(**data.model_dump())
    session.add(strategy)
    session.flush()
    return strategy


def list_strategies(*, session: Session) -> list[Strategy]:
    return list(session.exec(select(Strategy).order_by(Strategy.starts_on, Strategy.id)))


def get_strategy(*, session: Session, strategy_id: int, for_update: bool = False) -> Strategy:
    statement = select(Strategy).where(Strategy.id == strategy_id)
    if for_update:
        statement = statement.with_for_update()
    strategy = session.exec(statement).first()
    if strategy is None:
        raise NotFound(f"no strategy with id {strategy_id}")
    return strategy


def current_strategy(*, session: Session, on: date | None = None) -> Strategy:
    """The strategy running on a date (today by default), else the one that started last."""
    strategy = session.exec(_current_strategy(), params={"on": on or today()}).first()
    if strategy is None:
        raise NotFound("there is no strategy yet: create one, or run `tracker seed`")
    return strategy


def current_strategy_query(on: date | sa.ColumnElement[date]) -> Any:
    """The strategies, the one running on the date (or a parameter bound to one) first, else the
    one that started last: one statement, as every dashboard and report asks for it."""
    running = sa.and_(Strategy.starts_on <= on, Strategy.ends_on >= on)
    return (
        select(Strategy)
        .order_by(
            sa.case((running, 0), else_=1),
            Strategy.starts_on.desc(),  # type: ignore[attr-defined]
            Strategy.id.desc(),  # type: ignore[union-attr]
        )
        .limit(1)
    )


@functools.cache
def _current_strategy() -> Any:
    """`current_strategy_query` as on the date bound to `on`, built once."""
    return current_strategy_query(sa.bindparam("on", type_=sa.Date))


def resolve_strategy(*, session: Session, strategy_id: int | None) -> Strategy:
    if strategy_id is None:
        return current_strategy(session=session)
    return get_strategy(session=session, strategy_id=strategy_id)


def update_strategy(
    *,
    session: Session,
    actor: Actor,
    strategy: Strategy,
    data: StrategyUpdate,
    if_match: str | None,
) -> Strategy:
    ensure_admin(actor)
    check_if_match(if_match, etag("strategy", strategy.id, strategy.version), what="strategy")
    changes = _cleared(
        data.model_dump(exclude_unset=True),
        record=strategy,
        required={"name", "starts_on", "ends_on"},
    )
    starts_on = changes.get("starts_on", strategy.starts_on)
    if changes.get("ends_on", strategy.ends_on) < starts_on:
        raise Invalid("ends_on must not be before starts_on", field="ends_on")
    if "name" in changes and changes["name"] != strategy.name:
        taken = session.exec(select(Strategy).where(Strategy.name == changes["name"])).first()
        if taken:
            raise Conflict(f"a strategy named {changes['name']!r} already exists")
    _apply(strategy, changes)
    session.add(strategy)
    session.flush()
    return strategy


# Strands


def create_strand(*, session: Session, actor: Actor, data: StrandCreate) -> Strand:
    ensure_admin(actor)
    strategy = get_strategy(session=session, strategy_id=data.strategy_id)
    slug = data.slug or slugify(data.name)
    if not slug:
        raise Invalid("the name gives no usable slug: send one", field="slug")
    taken = session.exec(
        select(Strand).where(Strand.strategy_id == strategy.id, Strand.slug == slug)
    ).first()
    if taken:
        raise Conflict(f"the strategy already has a strand {slug!r}")
    position = data.position
    if position is None:
        last = session.execute(
            sa.select(sa.func.max(Strand.position)).where(Strand.strategy_id == strategy.id)
        ).scalar_one()
        position = 1 if last is None else last + 1
    strand = Strand(**data.model_dump(exclude={"slug", "position"}), slug=slug, position=position)
    session.add(strand)
    session.flush()
    return strand


def _strand_statement(strategy_id: int) -> sa.Select:
    return (
        select(Strand).where(Strand.strategy_id == strategy_id).order_by(Strand.position, Strand.id)  # type: ignore[arg-type]
    )


def list_strands(*, session: Session, strategy: Strategy) -> list[Strand]:
    return list(session.exec(_strand_statement(strategy.id)))  # type: ignore[arg-type]


def get_strand(
    *, session: Session, slug: str, strategy_id: int | None = None, for_update: bool = False
) -> Strand:
    strategy = resolve_strategy(session=session, strategy_id=strategy_id)
    statement = select(Strand).where(Strand.strategy_id == strategy.id, Strand.slug == slug)
    if for_update:
        statement = statement.with_for_update()
    strand = session.exec(statement).first()
    if strand is None:
        raise NotFound(f"no strand {slug!r} in {strategy.name}")
    return strand


def get_strand_by_id(*, session: Session, strand_id: int) -> Strand:
    strand = session.get(Strand, strand_id)
    if strand is None:
        raise NotFound(f"no strand with id {strand_id}")
    return strand


def update_strand(
    *, session: Session, actor: Actor, strand: Strand, data: StrandUpdate, if_match: str | None
) -> Strand:
    ensure_can_write(actor, strand.slug)
    check_if_match(if_match, etag("strand", strand.id, strand.version), what="strand")
    changes = _cleared(data.model_dump(exclude_unset=True), record=strand, required={"name"})
    _apply(strand, changes)
    session.add(strand)
    session.flush()
    return strand


def plan_ids_of(strategy_id: int) -> sa.Select:
    """The ids of a strategy's plans, to filter other records by."""
    return (
        sa.select(DeliveryPlan.id)
        .join(Strand, Strand.id == DeliveryPlan.strand_id)
        .where(Strand.strategy_id == strategy_id)
    )


def with_plans(*, session: Session, strands: Sequence[Strand]) -> list[StrandRead]:
    """Strands with their plans, in two queries however many strands there are."""
    ids = [s.id for s in strands]
    plans_by_strand: dict[int, list[PlanRead]] = {i: [] for i in ids}  # type: ignore[misc]
    if ids:
        plans = session.exec(
            select(DeliveryPlan)
            .where(DeliveryPlan.strand_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(DeliveryPlan.position, DeliveryPlan.id)  # type: ignore[arg-type]
        )
        for plan in plans:
            plans_by_strand[plan.strand_id].append(PlanRead.model_validate(plan))
    return [
        StrandRead.model_validate(s).model_copy(update={"plans": plans_by_strand[s.id]})  # type: ignore[index]
        for s in strands
    ]


# Plans


def create_plan(*, session: Session, actor: Actor, data: PlanCreate) -> DeliveryPlan:
    strand = get_strand_by_id(session=session, strand_id=data.strand_id)
    ensure_can_write(actor, strand.slug)
    taken = session.exec(
        select(DeliveryPlan).where(
            DeliveryPlan.strand_id == strand.id, DeliveryPlan.name == data.name
        )
    ).first()
    if taken:
        raise Conflict(f"the strand already has a plan named {data.name!r}")
    last = session.execute(
        sa.select(sa.func.max(DeliveryPlan.position)).where(DeliveryPlan.strand_id == strand.id)
    ).scalar_one()
    plan = DeliveryPlan(**data.model_dump(), position=1 if last is None else last + 1)
    session.add(plan)
    session.flush()
    return plan


def list_plans(*, session: Session, strand: Strand | None = None) -> list[DeliveryPlan]:
    statement = select(DeliveryPlan).order_by(DeliveryPlan.strand_id, DeliveryPlan.position)  # type: ignore[arg-type]
    if strand is not None:
        statement = statement.where(DeliveryPlan.strand_id == strand.id)
    return list(session.exec(statement))


def get_plan(*, session: Session, plan_id: int, for_update: bool = False) -> DeliveryPlan:
    statement = select(DeliveryPlan).where(DeliveryPlan.id == plan_id)
    if for_update:
        statement = statement.with_for_update()
    plan = session.exec(statement).first()
    if plan is None:
        raise NotFound(f"no delivery plan with id {plan_id}")
    return plan


def strand_of_plan(*, session: Session, plan: DeliveryPlan) -> Strand:
    return get_strand_by_id(session=session, strand_id=plan.strand_id)


def update_plan(
    *, session: Session, actor: Actor, plan: DeliveryPlan, data: PlanUpdate, if_match: str | None
) -> DeliveryPlan:
    strand = strand_of_plan(session=session, plan=plan)
    ensure_can_write(actor, strand.slug)
    check_if_match(if_match, etag("plan", plan.id, plan.version), what="plan")
    changes = _cleared(data.model_dump(exclude_unset=True), record=plan, required={"name"})
    starts_on = changes.get("starts_on", plan.starts_on)
    ends_on = changes.get("ends_on", plan.ends_on)
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid("ends_on must not be before starts_on", field="ends_on")
    if "name" in changes:
        taken = session.exec(
            select(DeliveryPlan).where(
                DeliveryPlan.strand_id == plan.strand_id,
                DeliveryPlan.name == changes["name"],
                DeliveryPlan.id != plan.id,
            )
        ).first()
        if taken:
            raise Conflict(f"the strand already has a plan named {changes['name']!r}")
    _apply(plan, changes)
    session.add(plan)
    session.flush()
    return plan
