"""The benchmark's floors, the fastest SQL for a dashboard's and a trend's counts, give the API's
answers."""

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.quarters import Quarter
from bench import floors
from tests import factories
from tests.dashboard.helpers import batch, dashboard


def _history(client: TestClient, admin: dict) -> tuple[dict, list[int]]:
    """Two plans of one strand, with tasks in three pillars due around the end of 2020-21 Q1."""
    strategy = factories.strategy(client, admin)
    strand = factories.strand(client, admin, strategy["id"], "Hate Crime")
    plans = [factories.plan(client, admin, strand["id"], f"Plan {n}")["id"] for n in (1, 2)]
    due = ("2020-06-29", "2020-06-30", "2020-07-01", None)
    ids = [
        factories.task(
            client, admin, plans[n % 2], f"Task {n}", task_no=n + 1, pillar=pillar, due_date=on
        )["id"]
        for n, (pillar, on) in enumerate(
            (p, d) for p in ("prevent", "pursue", "protect") for d in due
        )
    ]
    batch(client, admin, [(ids[1], "at_risk", "2020-05-01"), (ids[2], "complete", "2020-06-30")])
    batch(client, admin, [(ids[3], "withdrawn", "2020-05-01"), (ids[4], "complete", "2020-07-01")])
    return strategy, plans


def test_the_floor_sql_counts_what_the_dashboard_shows(
    client: TestClient, admin: dict, engine: sa.Engine
) -> None:
    strategy, plans = _history(client, admin)
    body = dashboard(client, admin, "2020-21-Q1", strategy_id=strategy["id"], include="overdue")
    with engine.connect() as connection:
        floor = floors.dashboard_counts(connection, strategy["id"], Quarter.parse("2020-21-Q1"))
        floors.check(connection, strategy["id"], Quarter.parse("2020-21-Q1"), body)
    # Plan 1 has the tasks due 29 June and 1 July: one completed on 30 June, one only after the
    # quarter (so ongoing at its end, and overdue). Plan 2 has those due on 30 June (the
    # quarter's last day: not yet overdue) and those with no due date, one of them withdrawn.
    assert floor == {
        plans[0]: {"complete": 1, "ongoing": 5, "at_risk": 0, "overdue": 3},
        plans[1]: {"complete": 0, "ongoing": 4, "at_risk": 1, "overdue": 0},
    }


def test_the_trend_floor_sql_counts_what_the_trend_shows(
    client: TestClient, admin: dict, engine: sa.Engine
) -> None:
    strategy, plans = _history(client, admin)
    response = client.get(
        "/api/v1/dashboard/trend",
        params={"from": "2019-20-Q4", "to": "2020-21-Q2", "strategy_id": strategy["id"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    quarters = [Quarter.parse(q) for q in ("2019-20-Q4", "2020-21-Q1", "2020-21-Q2")]
    with engine.connect() as connection:
        floor = floors.trend_counts(connection, strategy["id"], quarters)
        floors.check_trend(connection, strategy["id"], quarters, response.json())
    # The tasks are added on 1 April 2020, so none counts in 2019-20 Q4; of plan 1's six, one is
    # complete on 30 June, the next on 1 July. Plan 2 has one at risk from 1 May and one
    # withdrawn then (counted nowhere after).
    none = {"complete": 0, "ongoing": 0, "at_risk": 0}
    assert floor[plans[0]] == [
        none,
        {"complete": 1, "ongoing": 5, "at_risk": 0},
        {"complete": 2, "ongoing": 4, "at_risk": 0},
    ]
    assert floor[plans[1]] == [
        none,
        {"complete": 0, "ongoing": 4, "at_risk": 1},
        {"complete": 0, "ongoing": 4, "at_risk": 1},
    ]
