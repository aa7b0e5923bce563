"""The quarterly dashboard and trend through the API, as board authors and the intranet read it."""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.base import today
from app.core.quarters import Quarter
from app.dashboard import service
from tests import factories
from tests.dashboard.helpers import batch, by_strand, counts, dashboard


@pytest.fixture
def board(client: TestClient, admin: dict) -> dict[str, Any]:
    """Four strands: one plan, two plans (one empty), no plan at all, and a plan with no tasks."""
    strategy = factories.strategy(client, admin)
    da = factories.strand(client, admin, strategy["id"], "Domestic Abuse")
    gangs = factories.strand(client, admin, strategy["id"], "Gangs & Knife Crime")
    factories.strand(client, admin, strategy["id"], "House Burglary & Street Robbery")
    hate = factories.strand(client, admin, strategy["id"], "Hate Crime")
    return {
        "strategy": strategy,
        "da": factories.plan(client, admin, da["id"], "Domestic Abuse"),
        "knife": factories.plan(client, admin, gangs["id"], "Knife Crime"),
        "county": factories.plan(client, admin, gangs["id"], "Gangs / County Lines"),
        "hate": factories.plan(client, admin, hate["id"], "Hate Crime"),
    }


def _fill(client: TestClient, admin: dict, board: dict) -> None:
    da = board["da"]["id"]
    done, going, risky, dropped = (factories.task(client, admin, da) for _ in range(4))
    factories.task(client, admin, da, added_on="2020-07-15")
    factories.task(client, admin, board["knife"]["id"])
    batch(
        client,
        admin,
        [
            (done["id"], "complete", "2020-05-01"),
            (risky["id"], "at_risk", "2020-06-01"),
            (dropped["id"], "withdrawn", "2020-05-10"),
            (going["id"], "complete", "2020-08-03"),
        ],
    )
    # Another strategy's tasks never reach this one's dashboard.
    other = factories.strategy(
        client, admin, name="Earlier strategy", starts_on="2015-04-01", ends_on="2018-03-31"
    )
    strand = factories.strand(client, admin, other["id"], "Domestic Abuse")
    factories.task(client, admin, factories.plan(client, admin, strand["id"], "Elsewhere")["id"])


def _plan(plan: dict, total: int, complete: int, ongoing: int, at_risk: int) -> dict:
    return {
        "id": plan["id"],
        "name": plan["name"],
        "total": total,
        "complete": complete,
        "ongoing": ongoing,
        "at_risk": at_risk,
    }


def test_quarter_is_counted_as_at_its_last_day_by_strand_and_plan(
    client: TestClient, admin: dict, board: dict
) -> None:
    _fill(client, admin, board)
    body = dashboard(client, admin, "2020-21-Q1", strategy_id=board["strategy"]["id"])
    assert body == {
        "quarter": "2020-21-Q1",
        "as_at": "2020-06-30",
        "strategy_id": board["strategy"]["id"],
        "locked": False,
        "published": False,
        "lock": None,
        "strands": [
            {
                "slug": "domestic-abuse",
                "name": "Domestic Abuse",
                "has_plan": True,
                "total": 3,
                "complete": 1,
                "ongoing": 1,
                "at_risk": 1,
                "plans": [_plan(board["da"], 3, 1, 1, 1)],
            },
            {
                "slug": "gangs-and-knife-crime",
                "name": "Gangs & Knife Crime",
                "has_plan": True,
                "total": 1,
                "complete": 0,
                "ongoing": 1,
                "at_risk": 0,
                "plans": [_plan(board["knife"], 1, 0, 1, 0), _plan(board["county"], 0, 0, 0, 0)],
            },
            {
                "slug": "house-burglary-and-street-robbery",
                "name": "House Burglary & Street Robbery",
                "has_plan": False,
                "total": None,
                "complete": None,
                "ongoing": None,
                "at_risk": None,
                "plans": [],
            },
            {
                "slug": "hate-crime",
                "name": "Hate Crime",
                "has_plan": True,
                "total": 0,
                "complete": 0,
                "ongoing": 0,
                "at_risk": 0,
                "plans": [_plan(board["hate"], 0, 0, 0, 0)],
            },
        ],
        "totals": {
            "total": 4,
            "complete": 1,
            "ongoing": 2,
            "at_risk": 1,
            "complete_pct": 25,
            "ongoing_pct": 50,
            "at_risk_pct": 25,
        },
    }


def test_each_quarter_sees_the_tasks_and_statuses_of_its_own_end(
    client: TestClient, admin: dict, board: dict
) -> None:
    _fill(client, admin, board)
    before = dashboard(client, admin, "2019-20-Q4")
    assert by_strand(before)["domestic-abuse"] == (0, 0, 0, 0)
    assert counts(before["totals"]) == (0, 0, 0, 0)
    assert before["totals"]["complete_pct"] is None
    # The task added in July joins; the one completed in August is complete, as it is today.
    after = dashboard(client, admin, "2020/21 Q2")
    assert after["quarter"] == "2020-21-Q2"
    assert by_strand(after)["domestic-abuse"] == (4, 2, 1, 1)
    assert counts(after["totals"]) == (5, 2, 2, 1)


def test_pillars_and_overdue_are_given_when_asked_for(
    client: TestClient, admin: dict, board: dict
) -> None:
    plan = board["da"]["id"]

    def make(pillar: str, due: str | None) -> int:
        return factories.task(client, admin, plan, pillar=pillar, due_date=due)["id"]

    late = make("prevent", "2020-05-01")
    due_on_the_day = make("pursue", "2020-06-30")
    done_in_time = make("protect", "2020-05-01")
    done_late = make("prepare", "2020-05-01")
    dropped = make("prevent", "2020-05-01")
    make("pursue", None)
    batch(
        client,
        admin,
        [
            (done_in_time, "complete", "2020-06-01"),
            (done_late, "at_risk", "2020-04-20"),
            (done_late, "complete", "2020-07-10"),
            (dropped, "withdrawn", "2020-06-01"),
        ],
    )
    assert late and due_on_the_day
    q1 = dashboard(client, admin, "2020-21-Q1", include="pillars,overdue")
    da = q1["strands"][0]
    assert (da["overdue"], da["plans"][0]["overdue"], q1["totals"]["overdue"]) == (2, 2, 2)
    assert da["pillars"] == {
        "prevent": {"total": 1, "complete": 0, "ongoing": 1, "at_risk": 0},
        "pursue": {"total": 2, "complete": 0, "ongoing": 2, "at_risk": 0},
        "protect": {"total": 1, "complete": 1, "ongoing": 0, "at_risk": 0},
        "prepare": {"total": 1, "complete": 0, "ongoing": 0, "at_risk": 1},
    }
    assert q1["totals"]["pillars"] == da["pillars"]
    no_plan = q1["strands"][2]
    assert (no_plan["overdue"], no_plan["pillars"]) == (None, None)
    assert q1["strands"][1]["pillars"]["prevent"] == {
        "total": 0,
        "complete": 0,
        "ongoing": 0,
        "at_risk": 0,
    }

    q2 = dashboard(client, admin, "2020-21-Q2", include="overdue")
    assert q2["strands"][0]["overdue"] == 2
    assert "pillars" not in q2["strands"][0] and "pillars" not in q2["totals"]
    plain = dashboard(client, admin, "2020-21-Q2")
    assert "overdue" not in plain["strands"][0] and "overdue" not in plain["totals"]
    assert "overdue" not in plain["strands"][0]["plans"][0]


def test_trend_gives_each_quarters_counts(client: TestClient, admin: dict, board: dict) -> None:
    _fill(client, admin, board)
    response = client.get(
        "/api/v1/dashboard/trend", params={"from": "2019-20-Q4", "to": "2020-21-Q2"}, headers=admin
    )
    assert response.status_code == 200
    trend = response.json()
    quarters = ["2019-20-Q4", "2020-21-Q1", "2020-21-Q2"]
    assert trend["quarters"] == quarters
    assert [s["slug"] for s in trend["strands"]] == [
        "domestic-abuse",
        "gangs-and-knife-crime",
        "house-burglary-and-street-robbery",
        "hate-crime",
    ]
    assert trend["strands"][0]["series"] == [
        {"quarter": "2019-20-Q4", "total": 0, "complete": 0, "ongoing": 0, "at_risk": 0},
        {"quarter": "2020-21-Q1", "total": 3, "complete": 1, "ongoing": 1, "at_risk": 1},
        {"quarter": "2020-21-Q2", "total": 4, "complete": 2, "ongoing": 1, "at_risk": 1},
    ]
    assert trend["strands"][2]["has_plan"] is False
    assert {point["total"] for point in trend["strands"][2]["series"]} == {None}
    for quarter, totals in zip(quarters, trend["totals"], strict=True):
        assert totals == {"quarter": quarter, **dashboard(client, admin, quarter)["totals"]}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_queries_do_not_grow_with_the_range_or_the_data(
    client: TestClient, admin: dict, board: dict, engine: Engine
) -> None:
    def count_queries(url: str, **params: str) -> int:
        # Asked twice, the second counted: the strands and plans read by the first are not
        # read again while they stand unchanged.
        assert client.get(url, params=params, headers=admin).status_code == 200
        with statements(engine) as seen:
            assert client.get(url, params=params, headers=admin).status_code == 200
        return len(seen)

    trend = "/api/v1/dashboard/trend"
    two = count_queries(trend, **{"from": "2020-21-Q1", "to": "2020-21-Q2"})
    forty = count_queries(trend, **{"from": "2011-12-Q3", "to": "2021-22-Q2"})
    small = count_queries("/api/v1/dashboard", quarter="2020-21-Q2", include="pillars,overdue")
    _fill(client, admin, board)
    for name in ("Extremism", "Hate Online", "Fraud"):
        strand = factories.strand(client, admin, board["strategy"]["id"], name)
        plan = factories.plan(client, admin, strand["id"], name)
        for _ in range(3):
            factories.task(client, admin, plan["id"])
    assert count_queries(trend, **{"from": "2011-12-Q3", "to": "2021-22-Q2"}) == two == forty
    large = count_queries("/api/v1/dashboard", quarter="2020-21-Q2", include="pillars,overdue")
    assert large == small


def test_strands_and_plans_show_as_they_stand_after_every_change(
    client: TestClient, admin: dict, board: dict
) -> None:
    """The strands and plans a dashboard read are not read again while they stand unchanged:
    every change to them shows in the next dashboard and trend."""
    _fill(client, admin, board)
    trend_params = {"from": "2020-21-Q1", "to": "2020-21-Q2"}

    def names() -> tuple[list[str], list[list[str]], list[str]]:
        body = dashboard(client, admin, "2020-21-Q2", include="pillars")
        trend = client.get("/api/v1/dashboard/trend", params=trend_params, headers=admin).json()
        return (
            [s["name"] for s in body["strands"]],
            [[p["name"] for p in s["plans"]] for s in body["strands"]],
            [s["name"] for s in trend["strands"]],
        )

    def patch(url: str, **fields: Any) -> None:
        tag = client.get(url, headers=admin).headers["etag"]
        response = client.patch(url, json=fields, headers={**admin, "If-Match": tag})
        assert response.status_code == 200, response.text

    before = names()
    assert names() == before
    patch("/api/v1/strands/domestic-abuse", name="Domestic Abuse & Stalking")
    strands, plans, trend = names()
    assert strands[0] == trend[0] == "Domestic Abuse & Stalking"
    patch(f"/api/v1/plans/{board['knife']['id']}", name="Knife Crime & Weapons")
    assert names()[1][1] == ["Knife Crime & Weapons", "Gangs / County Lines"]
    # A plan retired before the quarter's end leaves its strand's count.
    patch(f"/api/v1/plans/{board['da']['id']}", ends_on="2020-06-30")
    body = dashboard(client, admin, "2020-21-Q2")
    assert body["strands"][0]["has_plan"] is False and body["strands"][0]["plans"] == []
    assert dashboard(client, admin, "2020-21-Q1")["strands"][0]["has_plan"] is True
    patch("/api/v1/strands/domestic-abuse", position=9)
    strands, _, trend = names()
    assert strands[0] == trend[0] == "Gangs & Knife Crime"
    assert strands[-1] == trend[-1] == "Domestic Abuse & Stalking"
    added = factories.strand(client, admin, board["strategy"]["id"], "Fraud")
    factories.plan(client, admin, added["id"], "Fraud")
    strands, plans, trend = names()
    assert strands[-1] == trend[-1] == "Fraud" and plans[-1] == ["Fraud"]


def test_the_dashboards_json_is_its_figures_own(
    client: TestClient, admin: dict, board: dict, engine: Engine
) -> None:
    """The JSON a dashboard sends, built without the figures' model, is the model's own dump,
    for every choice of optional parts, locked or not."""
    from itertools import combinations

    from sqlmodel import Session

    from app.dashboard import service
    from app.dashboard.schemas import Include
    from app.periods import service as periods

    _fill(client, admin, board)
    locked = client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q1"}, headers=admin)
    assert locked.status_code == 201, locked.text
    choices = [frozenset(c) for n in range(3) for c in combinations(Include, n)]
    with Session(engine) as session:
        strategy = session.get(service.Strategy, board["strategy"]["id"])
        for quarter in (Quarter.parse("2020-21-Q1"), Quarter.parse("2020-21-Q2")):
            lock = periods.lock_in_force(session=session, strategy_id=strategy.id, quarter=quarter)
            figures = service.live_dashboard(
                session=session, strategy_id=strategy.id, quarter=quarter, lock=lock
            )
            for include in choices:
                built = service.live_json(
                    session=session,
                    strategy_id=strategy.id,
                    quarter=quarter,
                    lock=lock,
                    include=include,
                )
                assert built == service.as_json(figures, include)
                assert list(built) == list(service.as_json(figures, include))


def test_default_quarter_is_the_current_one_of_the_running_strategy(
    client: TestClient, admin: dict
) -> None:
    factories.strategy(client, admin)
    running = factories.strategy(
        client,
        admin,
        name="Crime Prevention Strategy (current)",
        starts_on=str(today() - timedelta(days=400)),
        ends_on=str(today() + timedelta(days=400)),
    )
    strand = factories.strand(client, admin, running["id"], "Serious & Organised Crime")
    factories.task(client, admin, factories.plan(client, admin, strand["id"], "SOC")["id"])
    response = client.get("/api/v1/dashboard", headers=admin)
    assert response.status_code == 200
    body = response.json()
    current = Quarter.of(today())
    assert (body["quarter"], body["as_at"]) == (str(current), str(current.last_day))
    assert body["strategy_id"] == running["id"]
    assert by_strand(body) == {"serious-and-organised-crime": (1, 0, 1, 0)}
    trend = client.get("/api/v1/dashboard/trend", headers=admin).json()
    assert trend["quarters"][0] == str(current.year_quarters()[0])
    assert trend["quarters"][-1] == str(current)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/dashboard", {"quarter": "2020-22-Q1"}, "quarter"),
        ("/api/v1/dashboard", {"quarter": "2020-21-Q5"}, "quarter"),
        ("/api/v1/dashboard", {"quarter": ""}, "quarter"),
        ("/api/v1/dashboard", {"include": "pillars,risks"}, "include"),
        ("/api/v1/dashboard", {"format": "xml"}, "format"),
        ("/api/v1/dashboard", {"published": "maybe"}, "published"),
        ("/api/v1/dashboard/trend", {"from": "2021-22-Q1", "to": "2020-21-Q4"}, "from"),
        ("/api/v1/dashboard/trend", {"from": "2010-11-Q2", "to": "2020-21-Q2"}, "to"),
        ("/api/v1/dashboard/trend", {"from": "Q1 2020", "to": "2020-21-Q2"}, "from"),
        ("/api/v1/dashboard/trend", {"to": "2020-21-Q9"}, "to"),
        ("/api/v1/dashboard/locks", {"quarter": "soon"}, "quarter"),
        ("/api/v1/dashboard/locks/2020-21-Q7/drift", {}, "quarter"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(
    client: TestClient, admin: dict, url: str, params: dict, field: str
) -> None:
    response = client.get(url, params=params, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_unknown_strategy_is_a_404(client: TestClient, admin: dict, board: dict) -> None:
    response = client.get("/api/v1/dashboard", params={"strategy_id": 999}, headers=admin)
    assert response.status_code == 404
    assert client.get("/api/v1/dashboard", headers={}).status_code == 401


def test_etag_lets_pollers_skip_unchanged_figures(
    client: TestClient, admin: dict, viewer: dict, board: dict
) -> None:
    task = factories.task(client, admin, board["da"]["id"])
    url, params = "/api/v1/dashboard", {"quarter": "2020-21-Q2"}
    first = client.get(url, params=params, headers=viewer)
    tag = first.headers["etag"]
    unchanged = client.get(url, params=params, headers={**viewer, "If-None-Match": tag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", tag)
    weak = client.get(url, params=params, headers={**viewer, "If-None-Match": f'"x", W/{tag}'})
    assert weak.status_code == 304
    others = [
        client.get(url, params={"quarter": "2020-21-Q1"}, headers=viewer),
        client.get(url, params={**params, "include": "overdue"}, headers=viewer),
        client.get(url, params={**params, "format": "csv"}, headers=viewer),
    ]
    assert len({tag, *(r.headers["etag"] for r in others)}) == 4

    factories.status(client, admin, task["id"], "complete", "2020-09-01")
    changed = client.get(url, params=params, headers={**viewer, "If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.json()["totals"]["complete"] == 1
    assert changed.headers["etag"] != tag

    trend = "/api/v1/dashboard/trend"
    span = {"from": "2020-21-Q1", "to": "2020-21-Q2"}
    trend_tag = client.get(trend, params=span, headers=viewer).headers["etag"]
    again = client.get(trend, params=span, headers={**viewer, "If-None-Match": trend_tag})
    assert again.status_code == 304
    client.post("/api/v1/dashboard/locks", json={"quarter": "2020-21-Q1"}, headers=admin)
    locked = client.get(trend, params=span, headers={**viewer, "If-None-Match": trend_tag})
    assert locked.status_code == 200


def test_a_poll_is_told_of_a_change_made_elsewhere_within_the_trust_interval(
    client: TestClient, admin: dict, viewer: dict, board: dict, engine: Engine, monkeypatch
) -> None:
    """A fingerprint once read answers polls for `poll_trust_seconds` while nothing is committed
    in this process; a change committed by another process is told once that has passed."""
    now = [1000.0]
    monkeypatch.setattr(service, "_clock", lambda: now[0])
    # As served: a token's use is written down once a minute, not at every request (a commit).
    monkeypatch.setattr(client.app.state.settings, "token_touch_seconds", 3600)
    factories.task(client, admin, board["da"]["id"])
    url, params = "/api/v1/dashboard", {"quarter": "2020-21-Q2"}
    tag = client.get(url, params=params, headers=viewer).headers["etag"]

    # Another process edits a strand: on a connection of its own, none of this process's commits.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("UPDATE strand SET updated_at = '2030-01-01 00:00:00.000000'")
        raw.commit()
    finally:
        raw.close()
    interval = client.app.state.settings.poll_trust_seconds
    now[0] += interval / 2
    within = client.get(url, params=params, headers={**viewer, "If-None-Match": tag})
    assert within.status_code == 304
    now[0] += interval / 2
    after = client.get(url, params=params, headers={**viewer, "If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["etag"] != tag


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_csv_is_the_boards_table_with_a_total_row(
    client: TestClient, admin: dict, board: dict
) -> None:
    _fill(client, admin, board)
    response = client.get(
        "/api/v1/dashboard", params={"quarter": "2020-21-Q1", "format": "csv"}, headers=admin
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="dashboard-2020-21-Q1.csv"'
    )
    assert _csv(response) == [
        ["Strand", "Total", "Complete", "Ongoing", "At risk"],
        ["Domestic Abuse", "3", "1", "1", "1"],
        ["Gangs & Knife Crime", "1", "0", "1", "0"],
        ["House Burglary & Street Robbery", "N/A", "N/A", "N/A", "N/A"],
        ["Hate Crime", "0", "0", "0", "0"],
        ["Total", "4", "1 (25%)", "2 (50%)", "1 (25%)"],
    ]
    negotiated = client.get(
        "/api/v1/dashboard",
        params={"quarter": "2020-21-Q1", "include": "overdue,pillars"},
        headers={**admin, "Accept": "text/csv"},
    )
    rows = _csv(negotiated)
    assert rows[0] == [
        "Strand",
        "Total",
        "Complete",
        "Ongoing",
        "At risk",
        "Overdue",
        "Prevent",
        "Pursue",
        "Protect",
        "Prepare",
    ]
    assert rows[1] == ["Domestic Abuse", "3", "1", "1", "1", "0", "3", "0", "0", "0"]
    assert rows[3] == ["House Burglary & Street Robbery", *["N/A"] * 9]
    json_anyway = client.get(
        "/api/v1/dashboard",
        params={"quarter": "2020-21-Q1", "format": "json"},
        headers={**admin, "Accept": "text/csv"},
    )
    assert json_anyway.headers["content-type"] == "application/json"


def test_csv_never_carries_a_formula(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    factories.strand(client, admin, strategy["id"], "=HYPERLINK(1)", slug="trap")
    response = client.get(
        "/api/v1/dashboard", params={"quarter": "2020-21-Q1", "format": "csv"}, headers=admin
    )
    assert _csv(response)[1][0] == "'=HYPERLINK(1)"
