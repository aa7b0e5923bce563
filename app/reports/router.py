"""The board report as a file: a web page, Word, Markdown or Excel."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.core.db import SessionDep
from app.dashboard.router import QuarterDep, StrategyQuery
from app.reports import render, service
from app.reports.schemas import ReportFormat

router = APIRouter(prefix="/reports", tags=["reports"])

FILES = {
    200: {
        "content": {f.media_type.split(";")[0]: {} for f in render.FORMATS.values()},
        "description": "The report, with a Content-Disposition filename "
        "(`board-report-2020-21-Q2.docx`); the web page is shown inline, the others downloaded.",
    }
}


@router.get("/board", response_class=Response, responses=FILES)
def board_report(
    session: SessionDep,
    quarter: QuarterDep,
    format: Annotated[
        ReportFormat, Query(description="`html` (default), `docx`, `md` or `xlsx`.")
    ] = ReportFormat.html,
    strategy_id: StrategyQuery = None,
) -> Response:
    """A quarter's board report: summary, tasks at risk, a section per strand, and charts."""
    report = service.build(session=session, strategy_id=strategy_id, quarter=quarter)
    return Response(
        render.render(report, format),
        media_type=render.FORMATS[format].media_type,
        headers={
            "Content-Disposition": render.content_disposition(report, format),
            "Cache-Control": "private, no-store",
        },
    )
