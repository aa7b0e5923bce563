"""The benchmark's floor, the fastest SQL for a dashboard's counts, gives the API's answer."""

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.quarters import Quarter
from bench import floors
from tests import factories
from tests.dashboard.helpers import batch, dashboard


def test_the_floor_sql_counts_what_the_dashboard_shows(
    client: TestClient, admin: dict, engine: sa.Engine
) -> None:
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
