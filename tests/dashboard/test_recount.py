"""Every quarter's dashboard equals a plain recount of the same event history."""

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from app.auth.models import Role
from app.auth.service import Actor
from app.core.db import write_session
from app.core.quarters import Quarter, quarter_range
from app.dashboard.service import percent
from app.strategies import service as strategies
from app.strategies.schemas import PlanCreate, StrandCreate, StrategyCreate
from app.tasks import service as tasks
from app.tasks.models import Pillar, Status
from app.tasks.schemas import StatusChange, TaskCreate, TaskUpdate
from tests.dbutil import assert_spans_match_events

START, END = date(2019, 4, 1), date(2021, 3, 31)
QUARTERS = list(quarter_range(Quarter.of(START), Quarter.of(END)))
ACTOR = Actor(token_id=0, name="recount", role=Role.admin, strands=frozenset())
OPEN = (Status.ongoing, Status.at_risk)
names = itertools.count(1)


@dataclass(frozen=True)
class TaskHistory:
    plan: int
    pillar: Pillar
    added_on: date
    due_date: date | None
    events: tuple[tuple[date, Status], ...]
    """The first event (on added_on) and the later ones, in the order they are recorded."""
    edit: tuple[Pillar, date | None] | None = None
    """A pillar and due date the task is given after its events, if any: every quarter counts
    the task under its pillar and due date as they are now."""

    @property
    def counted_pillar(self) -> Pillar:
        return self.pillar if self.edit is None else self.edit[0]

    @property
    def counted_due_date(self) -> date | None:
        return self.due_date if self.edit is None else self.edit[1]

    def status_as_at(self, day: date) -> Status | None:
        """The latest event on or before the day; of two on one date, the one recorded later."""
        dated = [(on, order, status) for order, (on, status) in enumerate(self.events)]
        effective = [event for event in dated if event[0] <= day]
        return max(effective)[2] if effective else None


days = st.integers(0, (END - START).days)
dates = days.map(lambda n: START + timedelta(days=n))


@st.composite
def task_histories(draw: Any, plans: int) -> TaskHistory:
    added_on = START + timedelta(days=draw(days))
    due = draw(st.none() | days)
    first = draw(st.sampled_from(Status))
    later = draw(
        st.lists(st.tuples(st.integers(0, 400), st.sampled_from(Status)), max_size=4).map(
            lambda found: [(min(added_on + timedelta(days=n), END), s) for n, s in found]
        )
    )
    return TaskHistory(
        plan=draw(st.integers(0, plans - 1)),
        pillar=draw(st.sampled_from(Pillar)),
        added_on=added_on,
        due_date=None if due is None else START + timedelta(days=due),
        events=((added_on, first), *later),
        edit=draw(st.none() | st.tuples(st.sampled_from(Pillar), st.none() | dates)),
    )


@st.composite
def worlds(draw: Any) -> tuple[list[int], list[TaskHistory]]:
    """Strands with 0-2 plans each, and the tasks of those plans with their histories."""
    plans_per_strand = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3))
    plans = sum(plans_per_strand)
    histories = draw(st.lists(task_histories(plans), max_size=8)) if plans else []
    return plans_per_strand, histories


def _load(
    engine: Engine,
    plans_per_strand: list[int],
    histories: list[TaskHistory],
    one_at_a_time: bool = False,
) -> int:
    """The world written through the services, in a strategy of its own; its id. With
    `one_at_a_time`, each task and each status change is committed on its own, as through the
    API (a lone status change rewrites only the spans it can change)."""
    with write_session(engine) as session:
        name = f"Strategy {next(names)}"
        strategy = strategies.create_strategy(
            session=session,
            actor=ACTOR,
            data=StrategyCreate(name=name, starts_on=START, ends_on=END),
        )
        plan_ids = []
        for s, count in enumerate(plans_per_strand):
            strand = strategies.create_strand(
                session=session,
                actor=ACTOR,
                data=StrandCreate(strategy_id=strategy.id, name=f"Strand {s}"),
            )
            for p in range(count):
                data = PlanCreate(strand_id=strand.id, name=f"Plan {p}")
                plan_ids.append(strategies.create_plan(session=session, actor=ACTOR, data=data).id)
        for history in histories:
            (added_on, first), *later = history.events
            task = tasks.create_task(
                session=session,
                actor=ACTOR,
                data=TaskCreate(
                    plan_id=plan_ids[history.plan],
                    pillar=history.pillar,
                    title="Task",
                    due_date=history.due_date,
                    status=first,
                    added_on=added_on,
                ),
            )
            if one_at_a_time:
                session.commit()
            for on, status in later:
                change = StatusChange(status=status, effective_date=on)
                tasks.record_status(session=session, actor=ACTOR, task=task, change=change)
                if one_at_a_time:
                    session.commit()
            if history.edit is not None:
                pillar, due_date = history.edit
                edit = TaskUpdate(pillar=pillar, due_date=due_date)
                tasks.update_task(
                    session=session,
                    actor=ACTOR,
                    task=task,
                    data=edit,
                    if_match=tasks.task_etag(task),
                )
        session.commit()
        return strategy.id  # type: ignore[return-value]


def _recount(
    histories: list[TaskHistory], quarter: Quarter, today: date
) -> dict[int, dict[str, Any]]:
    """Per plan index: counts, overdue and pillar counts as at the quarter's end, in Python; of a
    quarter not yet ended on `today`, overdue as at today."""
    as_at = quarter.last_day
    overdue_before = min(as_at, today)
    plans: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "counts": dict.fromkeys(("complete", "ongoing", "at_risk"), 0),
            "overdue": 0,
            "pillars": {
                p.value: dict.fromkeys(("complete", "ongoing", "at_risk"), 0) for p in Pillar
            },
        }
    )
    for history in histories:
        status = history.status_as_at(as_at)
        if history.added_on > as_at or status in (None, Status.withdrawn):
            continue
        plan = plans[history.plan]
        plan["counts"][status.value] += 1
        plan["pillars"][history.counted_pillar.value][status.value] += 1
        due_date = history.counted_due_date
        if status in OPEN and due_date is not None and due_date < overdue_before:
            plan["overdue"] += 1
    return plans


def _with_total(counted: dict[str, int]) -> dict[str, int]:
    return {"total": sum(counted.values()), **counted}


def _row(row: dict[str, Any]) -> dict[str, Any]:
    """A dashboard row as the recount sees it, checking that total is the sum of its parts."""
    assert row["total"] == row["complete"] + row["ongoing"] + row["at_risk"]
    for pillar in row["pillars"].values():
        assert pillar["total"] == pillar["complete"] + pillar["ongoing"] + pillar["at_risk"]
    return {
        "counts": {k: row[k] for k in ("complete", "ongoing", "at_risk")},
        "overdue": row["overdue"],
        "pillars": {
            name: {k: p[k] for k in ("complete", "ongoing", "at_risk")}
            for name, p in row["pillars"].items()
        },
    }


def _summed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    summed: dict[str, Any] = {
        "counts": dict.fromkeys(("complete", "ongoing", "at_risk"), 0),
        "overdue": 0,
        "pillars": {p.value: dict.fromkeys(("complete", "ongoing", "at_risk"), 0) for p in Pillar},
    }
    for row in rows:
        summed["overdue"] += row["overdue"]
        for key, value in row["counts"].items():
            summed["counts"][key] += value
        for pillar, pillar_counts in row["pillars"].items():
            for key, value in pillar_counts.items():
                summed["pillars"][pillar][key] += value
    return summed


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds(), today=st.none() | dates, one_at_a_time=st.booleans())
def test_every_quarter_equals_a_recount_of_the_history(
    client: TestClient,
    admin: dict,
    engine: Engine,
    world: tuple[list[int], list[TaskHistory]],
    today: date | None,
    one_at_a_time: bool,
) -> None:
    """Also with "today" inside the history, so that the running quarter counts overdue as at
    today and the quarters after it are still to come."""
    plans_per_strand, histories = world
    strategy_id = _load(engine, plans_per_strand, histories, one_at_a_time)
    assert_spans_match_events(engine)
    if today is None:
        _check_every_quarter(client, admin, strategy_id, plans_per_strand, histories, date.max)
        return
    with mock.patch("app.dashboard.service.today", return_value=today):
        _check_every_quarter(client, admin, strategy_id, plans_per_strand, histories, today)


def _check_every_quarter(
    client: TestClient,
    admin: dict,
    strategy_id: int,
    plans_per_strand: list[int],
    histories: list[TaskHistory],
    today: date,
) -> None:
    trend = client.get(
        "/api/v1/dashboard/trend",
        params={"from": str(QUARTERS[0]), "to": str(QUARTERS[-1]), "strategy_id": strategy_id},
        headers=admin,
    ).json()
    for index, quarter in enumerate(QUARTERS):
        body = client.get(
            "/api/v1/dashboard",
            params={
                "quarter": str(quarter),
                "strategy_id": strategy_id,
                "include": "pillars,overdue",
            },
            headers=admin,
        ).json()
        expected = _recount(histories, quarter, today)
        plan_index = itertools.count()
        strand_rows = []
        for strand, count, strand_trend in zip(
            body["strands"], plans_per_strand, trend["strands"], strict=True
        ):
            assert strand["has_plan"] == (count > 0) == strand_trend["has_plan"]
            point = strand_trend["series"][index]
            if not count:
                assert (strand["total"], strand["overdue"], strand["plans"]) == (None, None, [])
                assert point == {
                    "quarter": str(quarter),
                    **dict.fromkeys(("total", "complete", "ongoing", "at_risk")),
                }
                continue
            plan_rows = [_row(plan) for plan in strand["plans"]]
            assert plan_rows == [_summed([expected[next(plan_index)]]) for _ in range(count)]
            assert _row(strand) == _summed(plan_rows)
            assert point == {"quarter": str(quarter), **_with_total(_row(strand)["counts"])}
            strand_rows.append(_summed(plan_rows))
        totals = body["totals"]
        assert _row(totals) == _summed(strand_rows)
        assert trend["totals"][index] == {
            "quarter": str(quarter),
            **{k: totals[k] for k in ("total", "complete", "ongoing", "at_risk")},
            **{
                f"{k}_pct": percent(totals[k], totals["total"])
                for k in ("complete", "ongoing", "at_risk")
            },
        }
