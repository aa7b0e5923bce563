"""The board report as a file: a web page, Word, PDF, Markdown or Excel."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.core.concurrency import IfNoneMatch, not_modified
from app.core.db import SessionDep
from app.core.openapi import tag
from app.dashboard.router import QuarterDep, StrategyQuery
from app.periods import files, publications
from app.reports import publishing, render, service
from app.reports.schemas import ReportFormat
from app.strategies import service as strategies

router = APIRouter(
    prefix="/reports",
    tags=tag(
        "reports",
        "The quarterly board report as a file: HTML, Word, Markdown or Excel.",
    ),
)

FILES = {
    200: {
        "content": {f.media_type.split(";")[0]: {} for f in render.FORMATS.values()},
        "description": "The report, with a Content-Disposition filename "
        "(`board-report-2020-21-Q2.docx`; `…-v2.docx` for a published version); the web page is "
        "shown inline, the others downloaded. A published paper comes with its SHA-256 as ETag "
        "and `X-Published-Version`.",
    },
    304: {
        "description": "What the ETag in If-None-Match names is unchanged: the published file, "
        "or the records a paper made now is made from."
    },
}


@router.get("/board", response_class=Response, responses=FILES)
def board_report(
    session: SessionDep,
    quarter: QuarterDep,
    format: Annotated[
        ReportFormat, Query(description="`html` (default), `docx`, `pdf`, `md` or `xlsx`.")
    ] = ReportFormat.html,
    version: Annotated[
        int | None,
        Query(ge=1, le=10_000, description="A published version (404 if there is none)."),
    ] = None,
    live: Annotated[
        bool,
        Query(description="Today's view of the quarter, even when its paper is published."),
    ] = False,
    strategy_id: StrategyQuery = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A quarter's board paper: once published, exactly the bytes published (latest version by
    default); otherwise, or with `live=true`, made now from the records."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    stored = None
    if not live:
        stored = publishing.published(
            session=session, strategy=strategy, quarter=quarter, version=version
        )
    if stored is not None:
        file = publications.file_of(session=session, publication=stored, fmt=format.value)
        return files.serve(
            file,
            publication=stored,
            inline=render.FORMATS[format].inline,
            if_none_match=if_none_match,
        )
    report = service.build(session=session, strategy_id=strategy.id, quarter=quarter, live=live)
    # A paper made now says when it was made; its tag names what it says of the records, so that a
    # client polling it is told "unchanged" across the minute its stamp turns over, and is told so
    # before the file is rendered.
    tag = service.report_etag(report, format.value)
    if not_modified(if_none_match, tag):
        return Response(
            status_code=304, headers={"ETag": tag, "Cache-Control": "private, no-store"}
        )
    return Response(
        render.render(report, format),
        media_type=render.FORMATS[format].media_type,
        headers={
            "Content-Disposition": render.content_disposition(report, format),
            "Cache-Control": "private, no-store",
            "ETag": tag,
        },
    )
