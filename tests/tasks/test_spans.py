"""The spans the dashboard counts are the events restated in quarters, on either database."""

from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from app.auth.models import Role
from app.auth.service import Actor
from app.cli import app as cli
from app.core.config import get_settings
from app.core.db import write_session
from app.core.quarters import ordinal_of
from app.tasks import service as tasks
from app.tasks import spans
from app.tasks.models import Pillar, SpanStep, Status, StatusSpan, Task
from app.tasks.schemas import TaskCreate
from tests import factories
from tests.dbutil import assert_spans_match_events


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dates(date(1900, 1, 1), date(9999, 12, 31)), min_size=1, max_size=20))
def test_the_databases_quarter_ordinal_is_pythons(engine: Engine, days: list[date]) -> None:
    day = sa.bindparam("day", type_=sa.Date)
    statement = sa.select(spans.ordinal(day))
    with engine.connect() as connection:
        got = [connection.execute(statement, {"day": d}).scalar_one() for d in days]
    assert got == [ordinal_of(d) for d in days]


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.dates(date(1900, 1, 1), date(9999, 12, 30))
        | st.sampled_from([date(2020, 3, 31), date(2020, 6, 30), date(2021, 9, 30)])
        | st.sampled_from([date(2020, 12, 31), date(2021, 3, 30), date(2021, 6, 29)]),
        min_size=1,
        max_size=20,
    )
)
def test_a_task_is_overdue_from_the_first_quarter_ending_after_its_due_date(
    engine: Engine, days: list[date]
) -> None:
    """Due on a quarter's last day, a task is not overdue at that quarter's end, only the next;
    alike in the database (a changed task's spans) and in Python (a new task's)."""
    day = sa.bindparam("day", type_=sa.Date)
    statement = sa.select(spans.overdue_from(day))
    with engine.connect() as connection:
        got = [connection.execute(statement, {"day": d}).scalar_one() for d in days]
    assert got == [ordinal_of(d + timedelta(days=1)) for d in days]
    assert [spans.overdue_from_day(d) for d in days] == got


ranges = st.tuples(st.integers(8000, 8040), st.integers(1, 12) | st.none())


@given(st.lists(st.tuples(ranges, st.integers(-3, 3)), max_size=30), st.integers(7995, 8060))
def test_the_steps_up_to_a_quarter_count_the_ranges_that_hold_it(moves, quarter: int) -> None:
    counted = Counter()
    for (from_q, length), n in moves:
        until_q = spans.OPEN_ENDED if length is None else from_q + length
        counted[7, "prevent", "ongoing", False, from_q, until_q] += n
    stepped = spans.steps(counted)
    held = sum(n for (*_, f, u), n in counted.items() if f <= quarter < u)
    assert sum(n for (*_, q), n in stepped.items() if q <= quarter) == held
    assert all(key[:4] == (7, "prevent", "ongoing", False) for key in stepped)


def test_rebuild_spans_restores_counts_lost_behind_the_apis_back(
    client: TestClient, admin: dict, engine: Engine, database_url: str, monkeypatch, world
) -> None:
    plan = world["hate_plan"]["id"]
    for n, status in enumerate(("ongoing", "complete", "at_risk"), 1):
        task = factories.task(client, admin, plan, f"Task {n}", task_no=n)
        factories.status(client, admin, task["id"], status, "2020-06-01")
    params = {"quarter": "2020-21-Q1", "strategy_id": world["strategy"]["id"]}

    def totals() -> dict:
        body = client.get(
            "/api/v1/dashboard/trend",
            params={"from": "2020-21-Q1", "to": "2020-21-Q1", "strategy_id": params["strategy_id"]},
            headers=admin,
        ).json()
        counts = client.get("/api/v1/dashboard", params=params, headers=admin).json()["totals"]
        return {"dashboard": counts["total"], "trend": body["totals"][0]["total"]}

    assert totals() == {"dashboard": 3, "trend": 3}
    with engine.begin() as connection:  # a restore, say, that brought the events but not these
        connection.execute(sa.delete(SpanStep))
        connection.execute(sa.delete(StatusSpan))
    assert totals() == {"dashboard": 0, "trend": 0}

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["rebuild-spans"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "status spans rebuilt: 3" in result.output
    assert totals() == {"dashboard": 3, "trend": 3}
    assert_spans_match_events(engine)


def test_a_savepoint_rolled_back_takes_only_its_own_tasks_spans_with_it(
    engine: Engine, world: dict
) -> None:
    """The tasks made before the savepoint keep their spans, the one it took back has none,
    though the one made after it may be given the same id (SQLite reuses it)."""
    actor = Actor(token_id=0, name="spans", role=Role.admin, strands=frozenset())
    plan_id = world["hate_plan"]["id"]

    def create(session: Session, title: str, status: Status) -> None:
        data = TaskCreate(plan_id=plan_id, pillar=Pillar.prevent, title=title, status=status)
        tasks.create_task(session=session, actor=actor, data=data)

    with write_session(engine) as session:
        create(session, "Kept", Status.at_risk)
        savepoint = session.begin_nested()
        create(session, "Taken back", Status.ongoing)
        savepoint.rollback()
        create(session, "Kept too", Status.complete)
        session.commit()
    assert_spans_match_events(engine)
    with engine.connect() as connection:
        spans_kept = connection.execute(
            sa.select(Task.title, StatusSpan.status)
            .join(Task, Task.id == StatusSpan.task_id)
            .where(Task.plan_id == plan_id)
            .order_by(Task.title)
        ).all()
    assert spans_kept == [("Kept", Status.at_risk), ("Kept too", Status.complete)]
