"""The quarterly dashboard and trend, counted from the status history as at each quarter's end,
and the figures frozen by a quarter's lock once its board report is published.
"""

import functools
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.auth.service import Actor
from app.core.base import today
from app.core.db import KeptPerDatabase, commit_count, run_core
from app.core.errors import Invalid, NotFound
from app.core.quarters import Quarter, quarter_range
from app.dashboard.schemas import (
    DashboardRead,
    Difference,
    DriftRead,
    Include,
    PlanFigures,
    TrendRead,
)
from app.periods import service as periods
from app.periods.models import QuarterLock
from app.periods.schemas import LockCreate, LockInfo, LockRead
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks import spans
from app.tasks.models import Pillar, SpanStep, Status, StatusEvent, StatusSpan, Task

MAX_TREND_QUARTERS = 40
OPEN = (Status.ongoing, Status.at_risk)
COUNTS = ("total", "complete", "ongoing", "at_risk")
PERCENTS = ("complete_pct", "ongoing_pct", "at_risk_pct")


def percent(part: int, whole: int) -> int | None:
    """`part` as a whole-number percentage of `whole`, halves rounded up as the board prints them.

    Done in integers: round() rounds halves to even, and a float cannot hold most halves exactly.
    """
    if part < 0 or whole < 0:
        raise ValueError("a percentage of negative counts means nothing")
    if whole == 0:
        return None
    return (200 * part + whole) // (2 * whole)


def overdue_before(quarter: Quarter) -> date:
    """Tasks due before this day are overdue as at the quarter's end (today, if it is running)."""
    return min(quarter.last_day, today())


# Counting


@dataclass(slots=True)
class Tally:
    complete: int = 0
    ongoing: int = 0
    at_risk: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.complete + self.ongoing + self.at_risk

    def add(self, other: "Tally") -> None:
        self.complete += other.complete
        self.ongoing += other.ongoing
        self.at_risk += other.at_risk
        self.overdue += other.overdue

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "complete": self.complete,
            "ongoing": self.ongoing,
            "at_risk": self.at_risk,
        }


PlanTallies = dict[int, dict[Pillar, Tally]]
"""By plan id, then pillar: one quarter's counts (a plan or pillar with none left out)."""
_COLUMN = {Status.complete: 0, Status.ongoing: 1, Status.at_risk: 2}
_OVERDUE = 3
"""Where `count_quarters` adds up each status, and overdue, in `Tally`'s order."""
_PER_QUARTER = 4
"""The columns `_count_statement` gives each quarter: `_COLUMN`'s statuses, then overdue."""


def _quarter_ends(n: int) -> sa.CTE:
    """n quarters as rows: their index, ordinal, and the day before which a task is overdue
    (bound by `_quarter_params`)."""
    rows = [
        sa.select(
            sa.literal(i, sa.Integer).label("idx"),
            sa.bindparam(f"ordinal_{i}", type_=sa.Integer).label("ordinal"),
            sa.bindparam(f"overdue_before_{i}", type_=sa.Date).label("overdue_before"),
            sa.bindparam(f"last_day_{i}", type_=sa.Date).label("last_day"),
        )
        for i in range(n)
    ]
    return (rows[0] if len(rows) == 1 else sa.union_all(*rows)).cte("quarter_end")


def _quarter_params(strategy_id: int, quarters: Sequence[Quarter]) -> dict[str, Any]:
    params: dict[str, Any] = {"strategy_id": strategy_id}
    for i, quarter in enumerate(quarters):
        params[f"ordinal_{i}"] = quarter.ordinal
        params[f"overdue_before_{i}"] = overdue_before(quarter)
        params[f"last_day_{i}"] = quarter.last_day
    return params


def _plans_of() -> sa.Select:
    return (
        sa.select(DeliveryPlan.id)
        .join(Strand, Strand.id == DeliveryPlan.strand_id)
        .where(Strand.strategy_id == sa.bindparam("strategy_id", type_=sa.Integer))
    )


def _live_plan(plan_id: Any, quarter_end: sa.CTE) -> sa.ColumnElement[bool]:
    """The plan was live on the quarter's last day: a plan counts only in the quarters it was."""
    return sa.and_(
        DeliveryPlan.id == plan_id,
        sa.or_(
            DeliveryPlan.starts_on.is_(None),  # type: ignore[union-attr]
            DeliveryPlan.starts_on <= quarter_end.c.last_day,  # type: ignore[operator]
        ),
        sa.or_(
            DeliveryPlan.ends_on.is_(None),  # type: ignore[union-attr]
            DeliveryPlan.ends_on >= quarter_end.c.last_day,  # type: ignore[operator]
        ),
    )


def _holds_at(spans: type[StatusSpan], quarter_end: sa.CTE) -> sa.ColumnElement:
    """The spans' quarter range takes in the quarter: `from_q <= q < until_q`."""
    return sa.and_(
        spans.from_q <= quarter_end.c.ordinal,  # type: ignore[operator]
        spans.until_q > quarter_end.c.ordinal,  # type: ignore[operator]
    )


def _held(step: sa.Table, n: int) -> list[sa.ColumnElement]:
    """For each of n quarters (`ordinal_0`…), the sum of the steps up to it: the count at its
    end."""
    return [
        sa.func.sum(step.c.n).filter(step.c.q <= sa.bindparam(f"ordinal_{i}", type_=sa.Integer))
        for i in range(n)
    ]


@functools.cache
def _count_statement(n: int) -> sa.Select:
    """One read of `span_step` counting the tasks of n quarters by plan and pillar as at each
    quarter's end: complete, ongoing, at risk, and those of them overdue by then (as at its last
    day: see `_not_yet_overdue` for a quarter that has not ended), four columns a quarter, a row
    a plan and pillar.

    Reads a row per plan, pillar, status and quarter of history, not a row per task, so its cost
    follows the number of plans and quarters rather than the length of the history; and it reads
    each row once however many quarters, in the order of the table's key, which it groups by.
    Every plan of the strategy is counted; the figures leave out those not live at a quarter's end.
    """
    step = SpanStep.__table__  # type: ignore[attr-defined]
    by_status = [
        sa.and_(sa.not_(step.c.overdue), step.c.status == status.value) for status in _COLUMN
    ]
    columns = []
    for i in range(n):
        held = step.c.q <= sa.bindparam(f"ordinal_{i}", type_=sa.Integer)
        columns += [sa.func.sum(step.c.n).filter(held, which) for which in by_status]
        columns.append(sa.func.sum(step.c.n).filter(held, step.c.overdue))
    key = (step.c.plan_id, step.c.pillar)
    return sa.select(*key, *columns).where(_counted_rows(step)).group_by(*key)


def _counted_rows(step: sa.Table) -> sa.ColumnElement[bool]:
    """The strategy's `span_step` rows up to the last of the quarters (`last_ordinal`)."""
    return sa.and_(
        step.c.plan_id.in_(_plans_of()),
        step.c.q <= sa.bindparam("last_ordinal", type_=sa.Integer),
    )


@functools.cache
def _status_statement(n: int, in_key_order: bool) -> sa.Select:
    """`_count_statement` as a trend wants it: each plan's tasks by status at n quarters' ends,
    those overdue left out. Grouped by plan and status only, PostgreSQL keeps fewer groups and
    the trend's eight quarters cost little more than one quarter's dashboard; SQLite, which
    groups without a sort only in the order of the table's key, is given its pillars too
    (`in_key_order`), and the caller sums them."""
    step = SpanStep.__table__  # type: ignore[attr-defined]
    key = [step.c.plan_id, step.c.pillar, step.c.status]
    if not in_key_order:
        del key[1]
    return (
        sa.select(step.c.plan_id, step.c.status, *_held(step, n))
        .where(_counted_rows(step), sa.not_(step.c.overdue))
        .group_by(*key)
    )


@functools.cache
def _not_yet_overdue(n: int) -> sa.Select:
    """Of the open tasks `span_step` counts overdue at these quarters' ends, those due on or
    after the day they are overdue before (today, for a quarter still running): to take away.

    Only tasks due between today and the quarter's end are read, by the spans' due-date index.
    """
    quarter_end = _quarter_ends(n)
    last_days = sa.case(
        *((quarter_end.c.idx == i, sa.bindparam(f"last_day_{i}", type_=sa.Date)) for i in range(n)),
        else_=None,
    )
    return (
        sa.select(quarter_end.c.idx, StatusSpan.plan_id, StatusSpan.pillar, sa.func.count())
        .select_from(quarter_end)
        .join(
            StatusSpan,
            sa.and_(
                StatusSpan.due_date >= quarter_end.c.overdue_before,
                StatusSpan.due_date < last_days,
                _holds_at(StatusSpan, quarter_end),
            ),
        )
        .join(DeliveryPlan, _live_plan(StatusSpan.plan_id, quarter_end))
        .where(StatusSpan.status.in_(OPEN), StatusSpan.plan_id.in_(_plans_of()))
        .group_by(quarter_end.c.idx, StatusSpan.plan_id, StatusSpan.pillar)
    )


def count_quarters(
    *,
    session: Session,
    strategy_id: int,
    quarters: Sequence[Quarter],
) -> list[PlanTallies]:
    """Per quarter, the counts of each plan and pillar; counted in the database, in one query.

    A quarter that has not ended (so is counted overdue as at today) costs a second, small query.
    """
    spans.rebuild_pending(session)
    # By plan id and pillar, for each quarter: [complete, ongoing, at risk, overdue].
    sums: dict[tuple[int, Pillar], list[list[int]]] = {}

    def counts_of(plan_id: int, pillar: Pillar) -> list[list[int]]:
        per_quarter = sums.get((plan_id, pillar))
        if per_quarter is None:
            per_quarter = sums[plan_id, pillar] = [[0, 0, 0, 0] for _ in quarters]
        return per_quarter

    statement = _count_statement(len(quarters))
    for plan_id, pillar, *held in run_core(session, statement, _ordinals(strategy_id, quarters)):
        sums[plan_id, pillar] = [
            [n or 0 for n in held[i : i + _PER_QUARTER]] for i in range(0, len(held), _PER_QUARTER)
        ]
    running = [i for i, q in enumerate(quarters) if overdue_before(q) < q.last_day]
    if running:
        statement = _not_yet_overdue(len(running))
        params = _quarter_params(strategy_id, [quarters[i] for i in running])
        for idx, plan_id, pillar, not_yet in run_core(session, statement, params):
            counts_of(plan_id, pillar)[running[idx]][_OVERDUE] -= not_yet
    counted: list[PlanTallies] = [{} for _ in quarters]
    for (plan_id, pillar), per_quarter in sums.items():
        for tallies, counts in zip(counted, per_quarter, strict=True):
            tallies.setdefault(plan_id, {})[pillar] = Tally(*counts)
    return counted


def count_statuses(
    *, session: Session, strategy_id: int, quarters: Sequence[Quarter]
) -> list[dict[int, Tally]]:
    """Per quarter, each plan's tasks by status as a trend shows them: those overdue left out,
    as a dashboard counts them apart. Counted in the database, in one query; a plan with no
    task is left out."""
    spans.rebuild_pending(session)
    sums: dict[int, list[list[int]]] = {}
    in_key_order = session.get_bind().dialect.name == "sqlite"
    statement = _status_statement(len(quarters), in_key_order)
    rows = run_core(session, statement, _ordinals(strategy_id, quarters))
    for plan_id, status, *held in rows:
        per_quarter = sums.get(plan_id)
        if per_quarter is None:
            per_quarter = sums[plan_id] = [[0, 0, 0] for _ in quarters]
        column = _COLUMN[status]
        for counts, n in zip(per_quarter, held, strict=True):
            if n:
                counts[column] += n
    counted: list[dict[int, Tally]] = [{} for _ in quarters]
    for plan_id, per_quarter in sums.items():
        for tallies, counts in zip(counted, per_quarter, strict=True):
            tallies[plan_id] = Tally(*counts)
    return counted


def _ordinals(strategy_id: int, quarters: Sequence[Quarter]) -> dict[str, int]:
    """The parameters of `_count_statement` and `_status_statement`."""
    ordinals = [q.ordinal for q in quarters]
    params = {f"ordinal_{i}": ordinal for i, ordinal in enumerate(ordinals)}
    params.update(strategy_id=strategy_id, last_ordinal=max(ordinals))
    return params


@dataclass(frozen=True, slots=True)
class CountedTask:
    """A task a quarter's count holds, with its status as at the quarter's end and now."""

    id: int
    plan: str
    pillar: Pillar
    task_no: int | None
    title: str
    owner: str
    status: Status
    status_now: Status


def counted_tasks(
    *, session: Session, strategy: Strategy, quarter: Quarter, strand: Strand, status: Status | None
) -> list[CountedTask]:
    """The tasks behind a strand's count of a quarter (of one status, or all its total holds).

    Read from the spans `span_step` sums, on the same conditions as `_count_statement` (the
    span holds at the quarter's end, its plan is the strategy's and was live then), so that a
    count and its list always agree.
    """
    spans.rebuild_pending(session)
    quarter_end = _quarter_ends(1)
    statement = (
        sa.select(
            Task.id,
            DeliveryPlan.name,
            StatusSpan.pillar,
            Task.task_no,
            Task.title,
            Task.owner,
            StatusSpan.status,
            Task.status,
        )
        .select_from(quarter_end)
        .join(StatusSpan, _holds_at(StatusSpan, quarter_end))
        .join(DeliveryPlan, _live_plan(StatusSpan.plan_id, quarter_end))
        .join(Task, Task.id == StatusSpan.task_id)
        .where(StatusSpan.plan_id.in_(_plans_of()), DeliveryPlan.strand_id == strand.id)
        .order_by(
            DeliveryPlan.position,
            DeliveryPlan.id,
            sa.case({p.value: i for i, p in enumerate(Pillar)}, value=StatusSpan.pillar),
            Task.task_no,
            Task.id,
        )
    )
    if status is not None:
        statement = statement.where(StatusSpan.status == status)
    rows = session.execute(statement, _quarter_params(strategy.id, [quarter]))  # type: ignore[arg-type]
    return [
        CountedTask(task_id, plan, Pillar(pillar), no, title, owner, Status(held), Status(now))
        for task_id, plan, pillar, no, title, owner, held, now in rows
    ]


# Assembling the figures of the (few) strands and plans


@dataclass(frozen=True, slots=True)
class _Plan:
    id: int
    name: str
    starts_on: date | None = None
    ends_on: date | None = None

    def live_on(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or self.ends_on >= day
        )


@dataclass(frozen=True, slots=True)
class _Strand:
    slug: str
    name: str
    plans: list[_Plan]


_STRANDS = (
    sa.select(
        Strand.id,
        Strand.slug,
        Strand.name,
        DeliveryPlan.id,
        DeliveryPlan.name,
        DeliveryPlan.starts_on,
        DeliveryPlan.ends_on,
    )
    .outerjoin(DeliveryPlan, DeliveryPlan.strand_id == Strand.id)
    .where(Strand.strategy_id == sa.bindparam("strategy_id", type_=sa.Integer))
    .order_by(Strand.position, Strand.id, DeliveryPlan.position, DeliveryPlan.id)
)


_STRANDS_SEEN: KeptPerDatabase[tuple, list[_Strand]] = KeptPerDatabase(most=16)
"""Per database, the strands of the last few strategies and fingerprints read."""


def _strands(session: Session, strategy_id: int, state: tuple | None = None) -> list[_Strand]:
    """The strategy's strands in order, each with its plans in order: one small query, spared
    when `state` (the fingerprint `strategy_and_state` read in this request) shows no strand or
    plan of any strategy added, changed or removed since the same strands were last read."""
    key = None if state is None else (strategy_id, *state[_STRANDS_STATE])
    bind = session.get_bind()
    if key is not None:
        seen = _STRANDS_SEEN.get(bind, key)
        if seen is not None:
            return seen
    strands: dict[int, _Strand] = {}
    for strand_id, slug, name, plan_id, plan_name, starts_on, ends_on in session.execute(
        _STRANDS, {"strategy_id": strategy_id}
    ):
        strand = strands.get(strand_id)
        if strand is None:
            strand = strands[strand_id] = _Strand(slug, name, [])
        if plan_id is not None:
            strand.plans.append(_Plan(plan_id, plan_name, starts_on, ends_on))
    found = list(strands.values())
    if key is not None:
        _STRANDS_SEEN.put(bind, key, found)
    return found


def _summed(tallies: Iterable[dict[Pillar, Tally]]) -> dict[Pillar, Tally]:
    summed = {p: Tally() for p in Pillar}
    for by_pillar in tallies:
        for pillar, tally in by_pillar.items():
            summed[pillar].add(tally)
    return summed


def _overall(by_pillar: dict[Pillar, Tally]) -> Tally:
    overall = Tally()
    for tally in by_pillar.values():
        overall.add(tally)
    return overall


def _pillars(by_pillar: dict[Pillar, Tally]) -> dict[str, dict[str, int]]:
    return {p.value: by_pillar.get(p, Tally()).counts() for p in Pillar}


def _figures(
    strands: Sequence[_Strand],
    tallies: PlanTallies,
    quarter: Quarter,
    include: Iterable[Include] = tuple(Include),
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The figures of every strand and plan and the totals, as `DashboardRead` dumps them to
    JSON, with only the optional parts in `include` (all by default, as `DashboardRead`
    validates them: once, in pydantic's core, cheaper than building each model in Python); a
    strand with no plan live at the quarter's end is N/A."""
    day = quarter.last_day
    with_overdue, with_pillars = Include.overdue in include, Include.pillars in include

    def optional(overdue: int | None, by_pillar: dict[Pillar, Tally] | None) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        if with_overdue:
            parts["overdue"] = overdue
        if with_pillars:
            parts["pillars"] = None if by_pillar is None else _pillars(by_pillar)
        return parts

    strand_figures = []
    strand_tallies = []
    for strand in strands:
        plans = []
        plan_tallies = []
        for plan in (p for p in strand.plans if p.live_on(day)):
            by_pillar = tallies.get(plan.id, {})
            plan_tallies.append(by_pillar)
            overall = _overall(by_pillar)
            plans.append(
                {
                    "id": plan.id,
                    "name": plan.name,
                    **overall.counts(),
                    **optional(overall.overdue, by_pillar),
                }
            )
        if not plans:
            strand_figures.append(
                {
                    "slug": strand.slug,
                    "name": strand.name,
                    "has_plan": False,
                    **dict.fromkeys(COUNTS),
                    **optional(None, None),
                    "plans": [],
                }
            )
            continue
        by_pillar = _summed(plan_tallies)
        strand_tallies.append(by_pillar)
        overall = _overall(by_pillar)
        strand_figures.append(
            {
                "slug": strand.slug,
                "name": strand.name,
                "has_plan": True,
                **overall.counts(),
                **optional(overall.overdue, by_pillar),
                "plans": plans,
            }
        )
    by_pillar = _summed(strand_tallies)
    overall = _overall(by_pillar)
    totals = {
        **overall.counts(),
        "complete_pct": percent(overall.complete, overall.total),
        "ongoing_pct": percent(overall.ongoing, overall.total),
        "at_risk_pct": percent(overall.at_risk, overall.total),
        **optional(overall.overdue, by_pillar),
    }
    return strand_figures, totals


def dashboard(*, session: Session, strategy: Strategy, quarter: Quarter) -> DashboardRead:
    """The live figures of a quarter as at its last day, with every optional part filled in."""
    lock = periods.lock_in_force(session=session, strategy_id=strategy.id, quarter=quarter)  # type: ignore[arg-type]
    return live_dashboard(session=session, strategy_id=strategy.id, quarter=quarter, lock=lock)  # type: ignore[arg-type]


def live_dashboard(
    *, session: Session, strategy_id: int, quarter: Quarter, lock: LockInfo | None
) -> DashboardRead:
    """`dashboard`, for a caller that has read the quarter's lock in force already."""
    strand_figures, totals = _counted_figures(session, strategy_id, quarter)
    return DashboardRead.model_validate(
        {
            "quarter": quarter,
            "as_at": quarter.last_day,
            "strategy_id": strategy_id,
            "locked": lock is not None,
            "lock": lock,
            "strands": strand_figures,
            "totals": totals,
        }
    )


def live_json(
    *,
    session: Session,
    strategy_id: int,
    quarter: Quarter,
    lock: LockInfo | None,
    include: Iterable[Include],
    state: tuple | None = None,
) -> dict[str, Any]:
    """The live figures as `as_json(live_dashboard(...), include)` gives them, built as JSON
    directly: figures counted here need no validating, and the optional parts not asked for
    are never worked out. `state`, the fingerprint `strategy_and_state` read, spares a read of
    the strands and plans when they have not changed."""
    strand_figures, totals = _counted_figures(session, strategy_id, quarter, include, state)
    return {
        "quarter": str(quarter),
        "as_at": quarter.last_day.isoformat(),
        "strategy_id": strategy_id,
        "locked": lock is not None,
        "published": False,
        "lock": None if lock is None else lock.model_dump(mode="json"),
        "strands": strand_figures,
        "totals": totals,
    }


def _counted_figures(
    session: Session,
    strategy_id: int,
    quarter: Quarter,
    include: Iterable[Include] = tuple(Include),
    state: tuple | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    strands = _strands(session, strategy_id, state)
    [tallies] = count_quarters(session=session, strategy_id=strategy_id, quarters=[quarter])
    return _figures(strands, tallies, quarter, include)


def trend_quarters(first: Quarter | None, last: Quarter | None) -> list[Quarter]:
    """The quarters from `first` to `last`: by default the financial year up to this quarter."""
    last = last or periods.current_quarter()
    first = first or last.year_quarters()[0]
    if first > last:
        raise Invalid(f"from ({first}) comes after to ({last})", field="from")
    quarters = list(quarter_range(first, last))
    if len(quarters) > MAX_TREND_QUARTERS:
        raise Invalid(
            f"a trend covers at most {MAX_TREND_QUARTERS} quarters; "
            f"{first} to {last} is {len(quarters)}",
            field="to",
        )
    return quarters


def trend(*, session: Session, strategy_id: int, quarters: Sequence[Quarter]) -> TrendRead:
    """Each quarter's counts, by strand and in total, counted in one query however many."""
    return TrendRead.model_validate(
        trend_json(session=session, strategy_id=strategy_id, quarters=quarters)
    )


def trend_json(
    *,
    session: Session,
    strategy_id: int,
    quarters: Sequence[Quarter],
    state: tuple | None = None,
) -> dict[str, Any]:
    """`trend` as its JSON, built directly as `live_json` builds a dashboard's: only the
    strands' counts (not the plans' and pillars' figures a dashboard shows)."""
    strands = _strands(session, strategy_id, state)
    counted = count_statuses(session=session, strategy_id=strategy_id, quarters=quarters)
    series: list[list[dict[str, Any]]] = [[] for _ in strands]
    totals = []
    for quarter, tallies in zip(quarters, counted, strict=True):
        overall = Tally()
        day = quarter.last_day
        name = str(quarter)
        for points, strand in zip(series, strands, strict=True):
            live = [plan for plan in strand.plans if plan.live_on(day)]
            if not live:
                points.append({"quarter": name, **dict.fromkeys(COUNTS)})
                continue
            summed = Tally()
            for plan in live:
                tally = tallies.get(plan.id)
                if tally is not None:
                    summed.add(tally)
            overall.add(summed)
            points.append({"quarter": name, **summed.counts()})
        totals.append(
            {
                "quarter": name,
                **overall.counts(),
                "complete_pct": percent(overall.complete, overall.total),
                "ongoing_pct": percent(overall.ongoing, overall.total),
                "at_risk_pct": percent(overall.at_risk, overall.total),
            }
        )
    return {
        "quarters": [str(q) for q in quarters],
        "strategy_id": strategy_id,
        "strands": [
            {"slug": s.slug, "name": s.name, "has_plan": bool(s.plans), "series": points}
            for s, points in zip(strands, series, strict=True)
        ],
        "totals": totals,
    }


def figures_of(
    *, session: Session, strategy: Strategy, quarters: Sequence[Quarter], live: bool = False
) -> list[DashboardRead]:
    """Each quarter's figures as the board reads them: those published where it is locked, else
    (or all, when `live`) the live ones, all counted in one query."""
    locks = (
        {}
        if live
        else periods.locks_in_force(session=session, strategy_id=strategy.id, quarters=quarters)  # type: ignore[arg-type]
    )
    live = [q for q in quarters if str(q) not in locks]
    counted: dict[Quarter, PlanTallies] = {}
    strands: list[_Strand] = []
    if live:
        strands = _strands(session, strategy.id)  # type: ignore[arg-type]
        tallies = count_quarters(session=session, strategy_id=strategy.id, quarters=live)  # type: ignore[arg-type]
        counted = dict(zip(live, tallies, strict=True))
    figures = []
    for quarter in quarters:
        lock = locks.get(str(quarter))
        if lock is not None:
            figures.append(_published(lock))
            continue
        strand_figures, totals = _figures(strands, counted[quarter], quarter)
        figures.append(
            DashboardRead.model_validate(
                {
                    "quarter": quarter,
                    "as_at": quarter.last_day,
                    "strategy_id": strategy.id,
                    "locked": False,
                    "strands": strand_figures,
                    "totals": totals,
                }
            )
        )
    return figures


def as_json(figures: DashboardRead, include: Iterable[Include]) -> dict[str, Any]:
    """The figures as JSON, leaving out the optional parts that were not asked for."""
    dropped = {part.value: True for part in Include if part not in set(include)}
    if not dropped:
        return figures.model_dump(mode="json")
    return figures.model_dump(
        mode="json",
        exclude={
            "strands": {"__all__": {**dropped, "plans": {"__all__": dropped}}},
            "totals": dropped,
        },
    )


def _with_percent(count: int, pct: int | None) -> str:
    return str(count) if pct is None else f"{count} ({pct}%)"


def trend_csv_table(figures: TrendRead) -> tuple[list[str], list[list[Any]]]:
    """The trend as rows: each strand in each quarter (N/A with no plan), then each quarter's
    Total row with percentages, as the board prints them."""
    header = ["Strand", "Quarter", "Total", "Complete", "Ongoing", "At risk"]
    rows: list[list[Any]] = []
    for strand in figures.strands:
        for counts in strand.series:
            cells = [getattr(counts, k) for k in COUNTS]
            rows.append([strand.name, counts.quarter, *("N/A" if c is None else c for c in cells)])
    for totals in figures.totals:
        rows.append(
            [
                "Total",
                totals.quarter,
                totals.total,
                _with_percent(totals.complete, totals.complete_pct),
                _with_percent(totals.ongoing, totals.ongoing_pct),
                _with_percent(totals.at_risk, totals.at_risk_pct),
            ]
        )
    return header, rows


def csv_table(
    figures: DashboardRead, include: Iterable[Include]
) -> tuple[list[str], list[list[Any]]]:
    """The board's table: a row per strand (N/A with no plan) and a Total row with percentages."""
    include = set(include)
    header = ["Strand", "Total", "Complete", "Ongoing", "At risk"]
    if Include.overdue in include:
        header.append("Overdue")
    if Include.pillars in include:
        header.extend(p.value.title() for p in Pillar)

    def extras(overdue: int | None, pillars: dict | None) -> list[Any]:
        cells: list[Any] = []
        if Include.overdue in include:
            cells.append("N/A" if overdue is None else overdue)
        if Include.pillars in include:
            cells.extend("N/A" if pillars is None else pillars[p].total for p in Pillar)
        return cells

    rows: list[list[Any]] = []
    for strand in figures.strands:
        counts = [getattr(strand, k) for k in COUNTS] if strand.has_plan else ["N/A"] * 4
        rows.append([strand.name, *counts, *extras(strand.overdue, strand.pillars)])
    totals = figures.totals
    rows.append(
        [
            "Total",
            totals.total,
            _with_percent(totals.complete, totals.complete_pct),
            _with_percent(totals.ongoing, totals.ongoing_pct),
            _with_percent(totals.at_risk, totals.at_risk_pct),
            *extras(totals.overdue, totals.pillars),
        ]
    )
    return header, rows


# Cheap polling


_FINGERPRINTED: tuple[tuple[Any, tuple[Any, ...]], ...] = (
    (Task, (sa.func.max(Task.id), sa.func.max(Task.updated_at))),
    (StatusEvent, (sa.func.max(StatusEvent.id),)),
    (
        QuarterLock,
        (sa.func.count(), sa.func.max(QuarterLock.id), sa.func.max(QuarterLock.unlocked_at)),
    ),
    (Strand, (sa.func.count(), sa.func.max(Strand.updated_at))),
    (DeliveryPlan, (sa.func.count(), sa.func.max(DeliveryPlan.updated_at))),
    (Strategy, (sa.func.count(), sa.func.max(Strategy.updated_at))),
)
"""What `_fingerprint` reads, table by table."""


def _state_of(*tables: Any) -> slice:
    """Where the parts of `tables` (adjacent in `_FINGERPRINTED`) lie in a fingerprint."""
    starts = {}
    at = 0
    for table, expressions in _FINGERPRINTED:
        starts[table] = (at, at + len(expressions))
        at += len(expressions)
    return slice(starts[tables[0]][0], starts[tables[-1]][1])


def _fingerprint() -> list[sa.ScalarSelect]:
    """What `figures_etag` fingerprints, as columns of one statement.

    Counts and latest ids and timestamps rather than the figures, so that a poll that finds
    nothing new costs one small query: status events are only ever added; tasks are added (a new
    highest id), stamp `updated_at` when edited, and leave only with their plan, strand or
    strategy, which are counted; strands and plans stamp `updated_at` too; a lock is added or
    marked unlocked. Every part is read from an index: counting the tasks themselves would cost
    more than the rest together.
    """

    def scalar(expression: Any, table: Any) -> sa.ScalarSelect:
        return sa.select(expression).select_from(table).scalar_subquery()

    return [scalar(e, table) for table, expressions in _FINGERPRINTED for e in expressions]


_STRANDS_STATE = _state_of(Strand, DeliveryPlan)
"""The fingerprint's parts that change whenever a strand or plan is added, edited or removed."""


def _lock_in_force() -> list[sa.ScalarSelect]:
    """When and by whom the quarter bound to `quarter` was locked, if it is, as columns of a
    statement that selects its strategy (at most one lock is in force: a unique index)."""

    def column(expression: Any) -> sa.ScalarSelect:
        return (
            sa.select(expression)
            .where(
                QuarterLock.strategy_id == Strategy.id,
                QuarterLock.quarter == sa.bindparam("quarter", type_=sa.String),
                QuarterLock.unlocked_at.is_(None),  # type: ignore[union-attr]
            )
            .scalar_subquery()
        )

    return [column(QuarterLock.id), column(QuarterLock.locked_at), column(QuarterLock.locked_by)]


@functools.cache
def _strategy_and_state(current: bool, lock: bool) -> sa.Select:
    """The statement of `strategy_and_state`, built once (its every part is bound): the id of
    the current strategy as on `on`, or of the one with id `strategy_id`; the fingerprint; with
    `lock`, the quarter's lock in force. Plain columns: no entity for the ORM to load."""
    strategy_id = Strategy.__table__.c.id  # type: ignore[attr-defined]
    if current:
        statement = strategies.current_strategy_query(
            sa.bindparam("on", type_=sa.Date)
        ).with_only_columns(strategy_id)
    else:
        statement = sa.select(strategy_id).where(
            strategy_id == sa.bindparam("strategy_id", type_=sa.Integer)
        )
    return statement.add_columns(*_fingerprint(), *(_lock_in_force() if lock else ()))


StrategyState = tuple[int, tuple, LockInfo | None]
"""What `strategy_and_state` reads: the strategy's id, the fingerprint, the lock in force."""


def strategy_and_state(
    *, session: Session, strategy_id: int | None, quarter: Quarter | None = None
) -> StrategyState:
    """The id of the strategy asked for (the current one when none is), the fingerprint of
    everything figures are counted from, and for a quarter its lock in force, in one statement:
    a dashboard poll that finds nothing new costs that and its token's look-up, and a fresh one
    reads no lock again. Each answer is remembered for `recalled_state`."""
    key = _poll_key(strategy_id, quarter)
    before = commit_count()
    params: dict[str, Any] = {"on": key[2], "strategy_id": strategy_id, "quarter": str(quarter)}
    statement = _strategy_and_state(current=strategy_id is None, lock=quarter is not None)
    row = run_core(session, statement, params).first()
    if row is None:
        # None there: the strategies' own look-up says so, in its words.
        strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
        state = tuple(session.execute(sa.select(*_fingerprint())).one())
        lock = (
            None
            if quarter is None
            else periods.lock_in_force(session=session, strategy_id=strategy.id, quarter=quarter)  # type: ignore[arg-type]
        )
        return strategy.id, state, lock  # type: ignore[return-value]
    found, *state = row
    lock = None
    if quarter is not None:
        *state, lock_id, locked_at, locked_by = state
        if lock_id is not None:
            lock = LockInfo(id=lock_id, locked_at=locked_at, locked_by=locked_by)
    answer = (found, tuple(state), lock)
    _POLLED.put(session.get_bind(), key, _Polled(_clock(), before, answer))
    return answer


@dataclass(frozen=True, slots=True)
class _Polled:
    """A `strategy_and_state` answer, when it was read (by `_clock`, the monotonic clock) and
    `commit_count()` just before."""

    at: float
    commits: int
    answer: StrategyState


_clock = time.monotonic
_POLLED: KeptPerDatabase[tuple, _Polled] = KeptPerDatabase(most=64)
"""Per database, the last few questions `strategy_and_state` answered, by strategy asked for,
quarter and day."""


def _poll_key(strategy_id: int | None, quarter: Quarter | None) -> tuple:
    """The question `strategy_and_state` answers: the strategy asked for, the quarter, the day."""
    return (strategy_id, None if quarter is None else str(quarter), today())


def recalled_state(
    *, session: Session, strategy_id: int | None, quarter: Quarter | None, trust_seconds: float
) -> StrategyState | None:
    """What `strategy_and_state` last answered to the same question, if it did so within the
    last `trust_seconds` and nothing has been committed in this process since: enough to tell
    a poller that nothing changed without a statement. A change committed by another process
    (the command line, another worker) is told at most `trust_seconds` after; anything but a
    304 is answered from a fresh read."""
    if trust_seconds <= 0:
        return None
    key = _poll_key(strategy_id, quarter)
    polled = _POLLED.get(session.get_bind(), key)
    if polled is None or polled.commits != commit_count() or _clock() - polled.at >= trust_seconds:
        return None
    return polled.answer


def figures_etag(*, kind: str, params: Sequence[Any], state: tuple) -> str:
    """An ETag that changes whenever anything a dashboard is counted from changes: the request's
    own parameters and the fingerprint `strategy_and_state` read."""
    digest = hashlib.sha256(repr((kind, *params, *state)).encode()).hexdigest()
    return f'"{kind}-{digest[:32]}"'


# Quarter locks


def lock_quarter(*, session: Session, actor: Actor, data: LockCreate) -> QuarterLock:
    """Freeze a quarter's figures as published, and refuse events dated into it from now on."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=data.strategy_id)
    periods.prepare_lock(session=session, actor=actor, strategy=strategy, quarter=data.quarter)
    figures = dashboard(session=session, strategy=strategy, quarter=data.quarter)
    return periods.record_lock(
        session=session,
        actor=actor,
        strategy=strategy,
        quarter=data.quarter,
        snapshot=figures.model_dump(mode="json", include={"strands", "totals"}),
    )


def close_quarters(
    *, session: Session, actor: Actor, strategy: Strategy, through: Quarter
) -> list[QuarterLock]:
    """Lock every quarter of the strategy up to `through` not locked yet, each with its figures
    frozen as they stand, so that nothing may change what their papers show (admin)."""
    periods.prepare_lock(
        session=session, actor=actor, strategy=strategy, quarter=through, if_locked=True
    )
    first = min(Quarter.of(strategy.starts_on), through)
    quarters = list(quarter_range(first, through))
    held = periods.locks_in_force(session=session, strategy_id=strategy.id, quarters=quarters)  # type: ignore[arg-type]
    open_quarters = [q for q in quarters if str(q) not in held]
    figures = figures_of(session=session, strategy=strategy, quarters=open_quarters)
    return [
        periods.record_lock(
            session=session,
            actor=actor,
            strategy=strategy,
            quarter=found.quarter,
            snapshot=found.model_dump(mode="json", include={"strands", "totals"}),
        )
        for found in figures
    ]


def published_dashboard(*, session: Session, strategy_id: int, quarter: Quarter) -> DashboardRead:
    """The figures frozen when the quarter was locked, with when and by whom."""
    lock = periods.active_lock(session=session, strategy_id=strategy_id, quarter=quarter)
    if lock is None:
        raise NotFound(
            f"{quarter} is not locked, so no figures are published for it: "
            "ask without published=true for the live ones"
        )
    return _published(lock)


def _published(lock: QuarterLock) -> DashboardRead:
    quarter = Quarter.parse(lock.quarter)
    return DashboardRead.model_validate(
        {
            **lock.snapshot,
            "quarter": quarter,
            "as_at": quarter.last_day,
            "strategy_id": lock.strategy_id,
            "locked": lock.unlocked_at is None,
            "published": True,
            "lock": periods.lock_info(lock),
        }
    )


def _flatten(figures: DashboardRead) -> dict[tuple[str | None, int | None, str], Any]:
    """Every figure keyed by (strand slug, plan id, field); None for the strand or the totals."""
    flat: dict[tuple[str | None, int | None, str], Any] = {}

    def put(strand: str | None, plan: PlanFigures | None, row: Any, fields: Sequence[str]) -> None:
        plan_id = plan.id if plan else None
        for name in fields:
            flat[(strand, plan_id, name)] = (plan, getattr(row, name))
        for pillar, counts in (row.pillars or {}).items():
            for name in COUNTS:
                flat[(strand, plan_id, f"{pillar}.{name}")] = (plan, getattr(counts, name))

    for strand in figures.strands:
        put(strand.slug, None, strand, (*COUNTS, "overdue"))
        for plan in strand.plans:
            put(strand.slug, plan, plan, (*COUNTS, "overdue"))
    put(None, None, figures.totals, (*COUNTS, *PERCENTS, "overdue"))
    return flat


def differences(published: DashboardRead, live: DashboardRead) -> list[Difference]:
    """The figures that differ, in the published order, then any found only in the live ones."""
    before, after = _flatten(published), _flatten(live)
    found = []
    for key in [*before, *(k for k in after if k not in before)]:
        plan_then, value_then = before.get(key, (None, None))
        plan_now, value_now = after.get(key, (None, None))
        if value_then == value_now:
            continue
        plan = plan_now or plan_then
        strand, plan_id, name = key
        found.append(
            Difference(
                strand=strand,
                plan_id=plan_id,
                plan=plan.name if plan else None,
                field=name,
                published=value_then,
                live=value_now,
            )
        )
    return found


def drift(*, session: Session, strategy: Strategy, quarter: Quarter) -> DriftRead:
    """Where the live figures differ from the published ones: the lock in force, else the last."""
    lock = periods.latest_lock(session=session, strategy_id=strategy.id, quarter=quarter)  # type: ignore[arg-type]
    if lock is None:
        raise NotFound(f"{quarter} has never been locked, so no figures were published for it")
    live = dashboard(session=session, strategy=strategy, quarter=quarter)
    found = differences(_published(lock), live)
    return DriftRead(
        quarter=quarter,
        as_at=quarter.last_day,
        lock=LockRead.model_validate(lock),
        drifted=bool(found),
        differences=found,
    )
