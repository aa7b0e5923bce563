"""The 2020/21 Q1-Q2 board report (seeds/003), rebuilt through the API, gives its figures back.

Only strands whose printed figures add up are rebuilt: the report's Child Abuse row (30 tasks =
1 + 17 + 0) and its Total column (ongoing printed 129, summing to 117) are the board's slips.
"""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests import factories
from tests.dashboard.helpers import batch, by_plan, by_strand, counts, dashboard

# Strand → plan → (complete, ongoing, at risk) as at the end of 2020/21 Q1 and of Q2.
REPORT: dict[str, dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]]] = {
    "Domestic Abuse": {"Domestic Abuse": ((41, 18, 1), (46, 13, 1))},
    "Gangs and Knife Crime": {
        "Knife Crime": ((7, 6, 0), (7, 6, 0)),
        "Gangs / County Lines": ((11, 10, 2), (11, 10, 2)),
    },
    "Night Time Economy": {"Night Time Economy": ((1, 23, 0), (11, 13, 0))},
    "House Burglary and Street Robbery": {},
    "Serious and Organised Crime": {"Serious and Organised": ((8, 9, 0), (9, 8, 0))},
}


def _status(index: int, complete: int, ongoing: int, at_risk: int) -> str:
    """The status of a plan's index-th task when the plan stands at these counts."""
    if index < complete:
        return "complete"
    if index < complete + at_risk:
        return "at_risk"
    return "ongoing"


def _rebuild(client: TestClient, admin: dict) -> dict[str, Any]:
    """The plans' tasks, added in 2018, and their status history to the end of 2020."""
    strategy = factories.strategy(client, admin)
    events: list[tuple[int, str, str]] = []
    for strand_name, plans in REPORT.items():
        strand = factories.strand(client, admin, strategy["id"], strand_name)
        for plan_name, (q1, q2) in plans.items():
            plan = factories.plan(client, admin, strand["id"], plan_name)
            for index in range(sum(q1)):
                task = factories.task(client, admin, plan["id"], added_on="2018-06-01")
                then, now = _status(index, *q1), _status(index, *q2)
                if then != "ongoing":
                    on = date(2019, 9, 1) + timedelta(days=3 * index)
                    events.append((task["id"], then, str(on)))
                if now != then:
                    events.append((task["id"], now, str(date(2020, 7, 10) + timedelta(index))))
                elif now == "ongoing" and index % 5 == 0:
                    # Completed after the report: Q1 and Q2 must not see it.
                    events.append((task["id"], "complete", "2020-10-20"))
            # Neither a task withdrawn in 2019 nor one added in October belongs to Q1 or Q2.
            dropped = factories.task(client, admin, plan["id"], added_on="2018-06-01")
            events.append((dropped["id"], "withdrawn", "2019-10-01"))
            factories.task(client, admin, plan["id"], added_on="2020-10-05")
    batch(client, admin, events)
    return strategy


def test_the_boards_quarters_come_back_from_the_rebuilt_plans(
    client: TestClient, admin: dict
) -> None:
    _rebuild(client, admin)
    q1 = dashboard(client, admin, "2020-21-Q1")
    q2 = dashboard(client, admin, "2020/21 Q2")
    assert by_plan(q1) == {
        "Domestic Abuse": (60, 41, 18, 1),
        "Knife Crime": (13, 7, 6, 0),
        "Gangs / County Lines": (23, 11, 10, 2),
        "Night Time Economy": (24, 1, 23, 0),
        "Serious and Organised": (17, 8, 9, 0),
    }
    assert by_plan(q2) == {
        "Domestic Abuse": (60, 46, 13, 1),
        "Knife Crime": (13, 7, 6, 0),
        "Gangs / County Lines": (23, 11, 10, 2),
        "Night Time Economy": (24, 11, 13, 0),
        "Serious and Organised": (17, 9, 8, 0),
    }
    # The executive summary's rows: strands in the report's order, N/A where there is no plan.
    assert list(by_strand(q2).items()) == [
        ("domestic-abuse", (60, 46, 13, 1)),
        ("gangs-and-knife-crime", (36, 18, 16, 2)),
        ("night-time-economy", (24, 11, 13, 0)),
        ("house-burglary-and-street-robbery", (None, None, None, None)),
        ("serious-and-organised-crime", (17, 9, 8, 0)),
    ]
    assert q1["totals"] == {
        "total": 137,
        "complete": 68,
        "ongoing": 66,
        "at_risk": 3,
        "complete_pct": 50,
        "ongoing_pct": 48,
        "at_risk_pct": 2,
    }
    assert q2["totals"] == {
        "total": 137,
        "complete": 84,
        "ongoing": 50,
        "at_risk": 3,
        "complete_pct": 61,
        "ongoing_pct": 36,
        "at_risk_pct": 2,
    }

    # The strand pages' Q1 and Q2 columns.
    trend = client.get(
        "/api/v1/dashboard/trend", params={"from": "2020-21-Q1", "to": "2020-21-Q2"}, headers=admin
    ).json()
    columns = {s["slug"]: [counts(point) for point in s["series"]] for s in trend["strands"]}
    assert columns["domestic-abuse"] == [(60, 41, 18, 1), (60, 46, 13, 1)]
    assert columns["night-time-economy"] == [(24, 1, 23, 0), (24, 11, 13, 0)]
    assert columns["house-burglary-and-street-robbery"] == [(None, None, None, None)] * 2
    assert [counts(t) for t in trend["totals"]] == [(137, 68, 66, 3), (137, 84, 50, 3)]

    board_table = client.get(
        "/api/v1/dashboard", params={"quarter": "2020-21-Q2", "format": "csv"}, headers=admin
    ).text.splitlines()
    assert board_table[4] == "House Burglary and Street Robbery,N/A,N/A,N/A,N/A"
    assert board_table[-1] == "Total,137,84 (61%),50 (36%),3 (2%)"
