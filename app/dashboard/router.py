"""The quarterly dashboard, its trend, and quarter locks."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfNoneMatch, not_modified
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.exports import csv_response
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.quarters import QUARTER_PATTERN, Quarter, QuarterError
from app.core.schemas import Id
from app.dashboard import service
from app.dashboard.schemas import DashboardRead, DriftRead, Include, TrendRead
from app.periods import service as periods
from app.periods.schemas import LockCreate, LockInfo, LockRead
from app.strategies import service as strategies

router = APIRouter(
    prefix="/dashboard",
    tags=tag(
        "dashboard",
        "A quarter's task counts by strand and plan as at its last day, the trend over quarters, "
        "and quarter locks.",
    ),
)

StrategyQuery = Annotated[
    Id | None,
    Query(description="The strategy; by default the one running today, else the latest."),
]


def _parse(text: str, field: str) -> Quarter:
    """A quarter from a query or path; a bad one is a 422 naming the parameter."""
    try:
        return Quarter.parse(text)
    except QuarterError as error:
        raise Invalid(str(error), field=field) from None


def _quarter_query(description: str, alias: str | None = None) -> Any:
    return Query(
        alias=alias,
        max_length=20,
        description=description,
        examples=["2020-21-Q2"],
        json_schema_extra={"pattern": QUARTER_PATTERN},
    )


async def quarter_or_current(
    quarter: Annotated[
        str | None, _quarter_query("`2020-21-Q2` or `2020/21 Q2`; default: the current one.")
    ] = None,
) -> Quarter:
    return periods.current_quarter() if quarter is None else _parse(quarter, "quarter")


async def quarter_filter(
    quarter: Annotated[str | None, _quarter_query("Only this quarter's locks.")] = None,
) -> Quarter | None:
    return None if quarter is None else _parse(quarter, "quarter")


async def quarter_in_path(
    quarter: Annotated[
        str,
        Path(
            max_length=20,
            description="A quarter: `2020-21-Q2`.",
            json_schema_extra={"pattern": QUARTER_PATTERN},
        ),
    ],
) -> Quarter:
    return _parse(quarter, "quarter")


async def trend_range(
    first: Annotated[
        str | None,
        _quarter_query("The first quarter; default: the first of `to`'s year.", alias="from"),
    ] = None,
    last: Annotated[
        str | None, _quarter_query("The last quarter; default: the current one.", alias="to")
    ] = None,
) -> list[Quarter]:
    return service.trend_quarters(
        None if first is None else _parse(first, "from"),
        None if last is None else _parse(last, "to"),
    )


QuarterDep = Annotated[Quarter, Depends(quarter_or_current)]
QuarterPathDep = Annotated[Quarter, Depends(quarter_in_path)]


async def included(
    include: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Optional parts, comma-separated: `pillars` (counts per 4P pillar) and "
            "`overdue` (tasks past their due date, not complete, as at the quarter's end).",
            examples=["pillars,overdue"],
        ),
    ] = None,
) -> frozenset[Include]:
    names = [name.strip() for name in (include or "").split(",") if name.strip()]
    unknown = sorted(set(names) - {part.value for part in Include})
    if unknown:
        raise Invalid(
            f"cannot include {', '.join(unknown)}: choose from pillars, overdue", field="include"
        )
    return frozenset(Include(name) for name in names)


IncludeDep = Annotated[frozenset[Include], Depends(included)]
FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    Query(description="`csv` for the board's table; `Accept: text/csv` asks for it too."),
]

CSV_DOC = (
    "With `format=csv` or `Accept: text/csv`: a row per strand (`N/A` where it has no plan) and a "
    "Total row printed as the board does, `139 (53%)`; `Overdue` and the pillar columns follow "
    "when included."
)
POLLING = {
    304: {"description": "Nothing changed since the ETag sent in If-None-Match."},
}


def _wants_csv(format_: str | None, request: Request) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _unchanged(tag: str, **headers: str) -> Response:
    return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag, **headers})


@router.get(
    "",
    response_model=DashboardRead,
    responses={200: {"content": {"text/csv": {}}, "description": CSV_DOC}, **POLLING},
)
async def get_dashboard(
    request: Request,
    session: SessionDep,
    include: IncludeDep,
    quarter: QuarterDep,
    strategy_id: StrategyQuery = None,
    published: Annotated[
        bool,
        Query(description="The figures frozen when the quarter was locked (404 if it is not)."),
    ] = False,
    format: FormatQuery = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A quarter's task counts by strand and plan, as at its last day; ETag for cheap polling."""
    as_csv = _wants_csv(format, request)

    def tag_of(found: int, state: tuple) -> str:
        return service.figures_etag(
            state=state,
            kind="dashboard",
            params=(
                found,
                str(quarter),
                service.overdue_before(quarter),
                published,
                sorted(include),
                as_csv,
            ),
        )

    # A poll is answered from the fingerprint read in the last moments when nothing has been
    # committed here since, else by one statement of index look-ups, here on the event loop:
    # a 304 makes no trip to a worker thread. Counting does.
    unchanged = _recalled_304(request, session, strategy_id, quarter, if_none_match, tag_of)
    if unchanged is not None:
        return unchanged
    found, state, lock = service.strategy_and_state(
        session=session, strategy_id=strategy_id, quarter=quarter
    )
    tag = tag_of(found, state)
    return await _polled(
        tag,
        if_none_match,
        _dashboard_answer,
        session=session,
        strategy_id=found,
        state=state,
        quarter=quarter,
        lock=lock,
        published=published,
        include=include,
        as_csv=as_csv,
    )


def _recalled_304(
    request: Request,
    session: Session,
    strategy_id: int | None,
    quarter: Quarter | None,
    if_none_match: str | None,
    tag_of: Callable[[int, tuple], str],
) -> Response | None:
    """A 304 when the poller's ETag is the one `tag_of` makes of the fingerprint recalled (see
    `service.recalled_state`), without a statement; else None, for a fresh read to decide."""
    if not if_none_match:
        return None
    recalled = service.recalled_state(
        session=session,
        strategy_id=strategy_id,
        quarter=quarter,
        trust_seconds=request.app.state.settings.poll_trust_seconds,
    )
    if recalled is None:
        return None
    found, state, _ = recalled
    tag = tag_of(found, state)
    return _unchanged(tag, Vary="Accept") if not_modified(if_none_match, tag) else None


async def _polled(
    tag: str, if_none_match: str | None, answer: Callable[..., Response], **arguments: Any
) -> Response:
    """304 when the poller has `tag` already; else `answer`, counted on a worker thread."""
    if not_modified(if_none_match, tag):
        return _unchanged(tag, Vary="Accept")
    response = await run_in_threadpool(answer, **arguments)
    response.headers["ETag"] = tag
    response.headers["Vary"] = "Accept"
    return response


def _dashboard_answer(
    *,
    session: Session,
    strategy_id: int,
    state: tuple,
    quarter: Quarter,
    lock: LockInfo | None,
    published: bool,
    include: frozenset[Include],
    as_csv: bool,
) -> Response:
    if not published and not as_csv:
        return JSONResponse(
            service.live_json(
                session=session,
                strategy_id=strategy_id,
                quarter=quarter,
                lock=lock,
                include=include,
                state=state,
            )
        )
    if published:
        figures = service.published_dashboard(
            session=session, strategy_id=strategy_id, quarter=quarter
        )
    else:
        figures = service.live_dashboard(
            session=session, strategy_id=strategy_id, quarter=quarter, lock=lock
        )
    if as_csv:
        header, rows = service.csv_table(figures, include)
        suffix = "-published" if published else ""
        return csv_response(f"dashboard-{quarter}{suffix}.csv", header, rows)
    return JSONResponse(service.as_json(figures, include))


TREND_CSV_DOC = (
    "With `format=csv` or `Accept: text/csv`: a row per strand and quarter (`N/A` where it has "
    "no plan), then each quarter's Total row printed as the board does, `139 (53%)`."
)


@router.get(
    "/trend",
    response_model=TrendRead,
    responses={200: {"content": {"text/csv": {}}, "description": TREND_CSV_DOC}, **POLLING},
)
async def get_trend(
    request: Request,
    session: SessionDep,
    quarters: Annotated[list[Quarter], Depends(trend_range)],
    strategy_id: StrategyQuery = None,
    format: FormatQuery = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The dashboard counts of each quarter from `from` to `to` (at most 40), by strand."""
    # Polled as a dashboard is: the fingerprint recalled or read here on the event loop;
    # counting is done on a worker thread.
    as_csv = _wants_csv(format, request)

    def tag_of(found: int, state: tuple) -> str:
        return service.figures_etag(
            state=state, kind="trend", params=(found, str(quarters[0]), str(quarters[-1]), as_csv)
        )

    unchanged = _recalled_304(request, session, strategy_id, None, if_none_match, tag_of)
    if unchanged is not None:
        return unchanged
    found, state, _ = service.strategy_and_state(session=session, strategy_id=strategy_id)
    tag = tag_of(found, state)
    return await _polled(
        tag,
        if_none_match,
        _trend_answer,
        session=session,
        strategy_id=found,
        state=state,
        quarters=quarters,
        as_csv=as_csv,
    )


def _trend_answer(
    *, session: Session, strategy_id: int, state: tuple, quarters: list[Quarter], as_csv: bool
) -> Response:
    if as_csv:
        figures = service.trend(session=session, strategy_id=strategy_id, quarters=quarters)
        header, rows = service.trend_csv_table(figures)
        return csv_response(f"trend-{quarters[0]}-{quarters[-1]}.csv", header, rows)
    return JSONResponse(
        service.trend_json(
            session=session,
            strategy_id=strategy_id,
            quarters=quarters,
            state=state,
        )
    )


@router.post("/locks", status_code=status.HTTP_201_CREATED)
def lock_quarter(data: LockCreate, session: SessionDep, actor: ActorDep) -> LockRead:
    """Lock a quarter (admin): freeze its figures as published and refuse events dated into it."""
    lock = service.lock_quarter(session=session, actor=actor, data=data)
    return LockRead.model_validate(lock)


@router.get("/locks")
def list_locks(
    session: SessionDep,
    page: PageDep,
    quarter: Annotated[Quarter | None, Depends(quarter_filter)],
    strategy_id: StrategyQuery = None,
    in_force: Annotated[
        bool | None, Query(description="Only locks in force (true) or lifted (false).")
    ] = None,
) -> Page[LockRead]:
    """Every locking of a quarter, newest first, with who lifted it and when if it was."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    items, total = periods.list_locks(
        session=session,
        strategy=strategy,
        page=page,
        quarter=quarter,
        in_force=in_force,
    )
    return page.of(items, total)


@router.delete("/locks/{quarter}")
def unlock_quarter(
    quarter: QuarterPathDep, session: SessionDep, actor: ActorDep, strategy_id: StrategyQuery = None
) -> LockRead:
    """Unlock a quarter (admin); the lock stays on record with who lifted it and when."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    lock = periods.unlock_quarter(session=session, actor=actor, strategy=strategy, quarter=quarter)
    return LockRead.model_validate(lock)


@router.get("/locks/{quarter}/drift")
def quarter_drift(
    quarter: QuarterPathDep, session: SessionDep, strategy_id: StrategyQuery = None
) -> DriftRead:
    """Where the quarter's live figures now differ from those published when it was locked."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    return service.drift(session=session, strategy=strategy, quarter=quarter)
