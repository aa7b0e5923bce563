"""The board author's dashboard: the strategy's trend, the tasks at risk with their risks, and
counts that open the tasks behind them.

It reads what the board report reads (`app.reports.service.build`) and the dashboard's figures
for every quarter of the strategy so far, so the page and the paper never disagree.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.quarters import Quarter, QuarterError, quarter_range
from app.dashboard import service as dashboard
from app.periods.service import current_quarter
from app.reports import charts
from app.reports import service as reports
from app.reports.render.html import datauri
from app.strategies import service as strategies
from app.strategies.models import Strategy
from app.tasks.models import Status
from app.web.access import signed_in
from app.web.render import html

router = APIRouter(include_in_schema=False)

STATUSES = (("complete", "Complete"), ("ongoing", "Ongoing"), ("at_risk", "At risk"))


def _quarter_label(quarter: Quarter) -> str:
    return f"Q{quarter.number}\n{quarter.financial_year.replace('-', '/')}"


def latest_quarter(strategy: Strategy) -> Quarter:
    """The quarter the board reports on next: the last one ended, within the strategy."""
    first = Quarter.of(strategy.starts_on)
    return max(first, min(current_quarter().previous(), Quarter.of(strategy.ends_on)))


@router.get("/board")
def board(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The quarter's figures with links to their tasks, the trend so far, the tasks at risk."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        strategy = strategies.current_strategy(session=session)
        first = Quarter.of(strategy.starts_on)
        chosen = Quarter.parse(quarter) if quarter else latest_quarter(strategy)
        report = reports.build(session=session, strategy_id=strategy.id, quarter=chosen)
        quarters = list(quarter_range(first, max(first, chosen)))
        figures = dashboard.figures_of(session=session, strategy=strategy, quarters=quarters)
    except QuarterError as error:
        message = str(error)
        return html(
            request, "message.html", 422, actor=actor, title="No such quarter", message=message
        )
    except DomainError as error:
        return html(
            request,
            "message.html",
            error.status,
            actor=actor,
            title="Not available",
            message=error.detail,
        )
    bars = [
        charts.Bar(_quarter_label(f.quarter), f.totals.complete, f.totals.ongoing, f.totals.at_risk)
        for f in figures
    ]
    title = f"{strategy.name}: tasks by status at the end of each quarter"
    return html(
        request,
        "board.html",
        actor=actor,
        strategy=strategy,
        quarter=chosen,
        choices=reports.quarter_choices(strategy),
        figures=figures[-1],
        trend=figures,
        chart=datauri(charts.trend(bars, title)),
        chart_title=title,
        report=report,
        statuses=STATUSES,
    )


@router.get("/board/tasks")
def counted_tasks(
    request: Request,
    session: SessionDep,
    quarter: Annotated[str, Query(max_length=20)],
    strand: Annotated[str, Query(max_length=80)],
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The tasks behind one of the board's counts, with their status as at the quarter's end."""
    actor = signed_in(request, session)
    if actor is None:
        return RedirectResponse("/sign-in", status_code=303)
    labels = dict(STATUSES)
    if status and status not in labels:
        message = f"{status!r} is not one of the counted statuses: {', '.join(labels)}"
        return html(
            request, "message.html", 422, actor=actor, title="No such count", message=message
        )
    try:
        strategy = strategies.current_strategy(session=session)
        chosen = Quarter.parse(quarter)
        record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy.id)
    except QuarterError as error:
        return html(
            request, "message.html", 422, actor=actor, title="No such quarter", message=str(error)
        )
    except NotFound as error:
        return html(
            request, "message.html", 404, actor=actor, title="No such strand", message=error.detail
        )
    found = dashboard.counted_tasks(
        session=session,
        strategy=strategy,
        quarter=chosen,
        strand=record,
        status=Status(status) if status else None,
    )
    return html(
        request,
        "board_tasks.html",
        actor=actor,
        strand=record,
        quarter=chosen,
        status_label=labels.get(status),
        tasks=found,
    )
