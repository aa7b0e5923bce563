"""The quarter's timetable: when returns are due and when the board meets."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.dependencies import ActorDep
from app.core.concurrency import UpsertIfMatch, set_etag
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.quarters import QuarterParam
from app.core.schemas import Id
from app.periods import service
from app.periods.schemas import TimetableRead, TimetableWrite
from app.strategies import service as strategies

router = APIRouter(
    tags=tag(
        "timetable",
        "Each quarter's timetable: the return deadline (working days after the quarter's end "
        "unless an admin sets it), the board date and the days reminders go out.",
    )
)

QuarterPath = Annotated[QuarterParam, Path(description="e.g. 2020-21-Q4")]
StrategyQuery = Annotated[Id | None, Query(description="Default: the current strategy.")]


@router.get("/timetable/{quarter}")
def get_timetable(
    quarter: QuarterPath,
    session: SessionDep,
    request: Request,
    response: Response,
    strategy_id: StrategyQuery = None,
) -> TimetableRead:
    """The quarter's return deadline, board date and reminder days (defaults where none set)."""
    settings = request.app.state.settings
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    read, etag = service.get_timetable(
        session=session,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        quarter=quarter,  # type: ignore[arg-type]
        working_days=settings.return_working_days,
        reminder_offsets=settings.reminder_days,
    )
    set_etag(response, etag)
    return read


@router.put(
    "/timetable/{quarter}",
    responses={201: {"model": TimetableRead, "description": "Created"}},
)
def set_timetable(
    quarter: QuarterPath,
    data: TimetableWrite,
    session: SessionDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    if_match: UpsertIfMatch = None,
    strategy_id: StrategyQuery = None,
) -> TimetableRead:
    """Set the quarter's return deadline and board date (admin; If-Match to change them)."""
    settings = request.app.state.settings
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    read, etag, created = service.set_timetable(
        session=session,
        actor=actor,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        quarter=quarter,  # type: ignore[arg-type]
        data=data,
        if_match=if_match,
        working_days=settings.return_working_days,
        reminder_offsets=settings.reminder_days,
    )
    set_etag(response, etag)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return read
