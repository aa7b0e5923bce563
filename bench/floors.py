"""The floors the API is measured against: the fastest SQL, written by hand, that gives the same
counts as the API, and a check that it does.

A quarter's dashboard counts, for a quarter that has ended, are one read of the steps kept by
plan, pillar, status and quarter (`span_step`): the rows up to the quarter, summed by plan and
pillar. Nothing smaller holds the answer. A trend's counts are one read of the rows up to its
last quarter: each row summed into every quarter from its own on, by plan and status only on
PostgreSQL (the fewest groups that hold the answer), and by pillar as well on SQLite (in the order
of the table's key, which spares it a sort).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.core.quarters import Quarter

DASHBOARD = sa.text(
    """
    SELECT c.plan_id, c.pillar,
           SUM(CASE WHEN NOT c.overdue AND c.status = 'complete' THEN c.n ELSE 0 END),
           SUM(CASE WHEN NOT c.overdue AND c.status = 'ongoing' THEN c.n ELSE 0 END),
           SUM(CASE WHEN NOT c.overdue AND c.status = 'at_risk' THEN c.n ELSE 0 END),
           SUM(CASE WHEN c.overdue THEN c.n ELSE 0 END)
    FROM span_step AS c
    WHERE c.plan_id IN (
            SELECT p.id FROM delivery_plan AS p JOIN strand AS s ON s.id = p.strand_id
            WHERE s.strategy_id = :strategy_id)
      AND c.q <= :q
    GROUP BY c.plan_id, c.pillar
    """
)
"""Per plan and pillar of a strategy: complete, ongoing, at risk and overdue at an ended
quarter's end (`q`, the quarter's ordinal)."""

FIELDS = ("complete", "ongoing", "at_risk", "overdue")


def dashboard_counts(
    connection: sa.Connection, strategy_id: int, quarter: Quarter
) -> dict[int, dict[str, int]]:
    """Per plan id, the four counts the floor statement gives (plans with no task left out)."""
    if quarter.last_day >= _today():
        raise ValueError(f"{quarter} has not ended: the floor is for an ended quarter")
    plans: dict[int, dict[str, int]] = {}
    rows = connection.execute(DASHBOARD, {"strategy_id": strategy_id, "q": quarter.ordinal})
    for plan_id, _pillar, *counts in rows:
        summed = plans.setdefault(plan_id, dict.fromkeys(FIELDS, 0))
        for name, value in zip(FIELDS, counts, strict=True):
            summed[name] += int(value)
    return plans


def api_counts(body: dict[str, Any]) -> dict[int, dict[str, int]]:
    """The same counts out of a `GET /dashboard?include=overdue` body (plans counting nothing
    left out, as the floor has no row for them)."""
    plans = {}
    for strand in body["strands"]:
        for plan in strand["plans"]:
            counts = {name: plan[name] for name in FIELDS}
            if any(counts.values()):
                plans[plan["id"]] = counts
    return plans


def check(connection: sa.Connection, strategy_id: int, quarter: Quarter, body: dict) -> None:
    """Refuse to measure against a floor that does not give the API's answer."""
    floor, api = dashboard_counts(connection, strategy_id, quarter), api_counts(body)
    floor = {plan: counts for plan, counts in floor.items() if any(counts.values())}
    if floor != api:
        raise AssertionError(f"the floor SQL counts {floor}, the API {api}")


TREND_STATUSES = ("complete", "ongoing", "at_risk")


def trend_statement(n: int, dialect: str) -> sa.TextClause:
    """Per plan and status of a strategy (and pillar, on SQLite): the tasks in that status at the
    end of each of n quarters (`q0`…, ordinals; `last` the highest), one column each."""
    held = ", ".join(f"SUM(c.n) FILTER (WHERE c.q <= :q{i})" for i in range(n))
    return sa.text(
        f"""
        SELECT c.plan_id, c.status, {held}
        FROM span_step AS c
        WHERE c.plan_id IN (
                SELECT p.id FROM delivery_plan AS p JOIN strand AS s ON s.id = p.strand_id
                WHERE s.strategy_id = :strategy_id)
          AND NOT c.overdue AND c.q <= :last
        GROUP BY c.plan_id, {"c.pillar, " if dialect == "sqlite" else ""}c.status
        """
    )


def trend_counts(
    connection: sa.Connection, strategy_id: int, quarters: Sequence[Quarter]
) -> dict[int, list[dict[str, int]]]:
    """Per plan id, for each quarter, the three status counts the trend floor gives."""
    ordinals = [q.ordinal for q in quarters]
    params = {f"q{i}": ordinal for i, ordinal in enumerate(ordinals)}
    params.update(strategy_id=strategy_id, last=max(ordinals))
    plans: dict[int, list[dict[str, int]]] = {}
    statement = trend_statement(len(quarters), connection.dialect.name)
    for plan_id, status, *held in connection.execute(statement, params):
        series = plans.setdefault(plan_id, [dict.fromkeys(TREND_STATUSES, 0) for _ in quarters])
        for counts, n in zip(series, held, strict=True):
            counts[status] += int(n or 0)
    return plans


def check_trend(
    connection: sa.Connection, strategy_id: int, quarters: Sequence[Quarter], body: dict
) -> None:
    """Refuse to measure against a trend floor that does not give the API's answer: the floor's
    plans summed by strand, against each strand's series in a `GET /dashboard/trend` body."""
    strand_of = dict(
        connection.execute(
            sa.text(
                "SELECT p.id, s.slug FROM delivery_plan AS p JOIN strand AS s ON s.id = p.strand_id"
                " WHERE s.strategy_id = :strategy_id"
            ),
            {"strategy_id": strategy_id},
        ).all()
    )
    api = {
        strand["slug"]: [
            {name: point[name] for name in TREND_STATUSES} for point in strand["series"]
        ]
        for strand in body["strands"]
        if strand["has_plan"]
    }
    floor = {slug: [dict.fromkeys(TREND_STATUSES, 0) for _ in quarters] for slug in api}
    for plan_id, series in trend_counts(connection, strategy_id, quarters).items():
        for total, counts in zip(floor[strand_of[plan_id]], series, strict=True):
            for name in TREND_STATUSES:
                total[name] += counts[name]
    if floor != api:
        raise AssertionError(f"the trend floor SQL counts {floor}, the API {api}")


def _today() -> Any:
    from app.core.base import today

    return today()
