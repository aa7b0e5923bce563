"""Quarterly returns: each strand lead's narrative for a quarter."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, UpsertIfMatch, set_etag
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.quarters import QuarterParam
from app.core.query import UpdatedSince, any_of, since, values
from app.core.schemas import Id
from app.returns import service
from app.returns.models import ReturnStatus
from app.returns.schemas import ReturnRead, ReturnRevisionRead, ReturnWrite
from app.strategies import service as strategies

router = APIRouter(
    tags=tag(
        "returns",
        "Each strand's quarterly return: the lead's narrative (insight, delivery achieved and "
        "scheduled), draft until submitted.",
    )
)

QuarterPath = Annotated[QuarterParam, Path(description="e.g. 2020-21-Q2")]
StrategyQuery = Annotated[Id | None, Query(description="Default: the current strategy.")]


@router.get("/returns")
def list_returns(
    session: SessionDep,
    page: PageDep,
    quarter: Annotated[QuarterParam | None, Query(description="e.g. 2020-21-Q2")] = None,
    strand: Annotated[list[str] | None, any_of("A strand's slug.", max_length=80)] = None,
    status: Annotated[list[ReturnStatus] | None, any_of()] = None,
    strategy_id: StrategyQuery = None,
    updated_since: UpdatedSince = None,
) -> Page[ReturnRead]:
    """Quarterly returns, newest quarter first, in the strategy's strand order."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    items, total = service.list_returns(
        session=session,
        strategy_id=strategy.id,
        page=page,
        quarter=quarter,
        strands=values(strand),
        statuses=values(status),
        updated_since=since(updated_since),
    )
    return page.of(items, total)


@router.get("/returns/{strand}/{quarter}")
def get_return(
    strand: str,
    quarter: QuarterPath,
    session: SessionDep,
    response: Response,
    strategy_id: StrategyQuery = None,
) -> ReturnRead:
    """A strand's return for a quarter."""
    strand_record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy_id)
    record = service.get(session=session, strand=strand_record, quarter=quarter)
    set_etag(response, service.return_etag(record))
    return service.to_read(record, strand_record)


@router.put(
    "/returns/{strand}/{quarter}",
    responses={201: {"model": ReturnRead, "description": "Created"}},
)
def save_return(
    strand: str,
    quarter: QuarterPath,
    data: ReturnWrite,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: UpsertIfMatch = None,
    strategy_id: StrategyQuery = None,
) -> ReturnRead:
    """Write the draft return (201 when new; If-Match needed to change an existing one)."""
    strand_record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy_id)
    record, created = service.save(
        session=session,
        actor=actor,
        strand=strand_record,
        quarter=quarter,
        data=data,
        if_match=if_match,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, service.return_etag(record))
    return service.to_read(record, strand_record)


@router.post("/returns/{strand}/{quarter}/submit")
def submit_return(
    strand: str,
    quarter: QuarterPath,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
    strategy_id: StrategyQuery = None,
) -> ReturnRead:
    """Submit the return for the board; it needs all three narratives."""
    strand_record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy_id)
    record = service.submit(
        session=session, actor=actor, strand=strand_record, quarter=quarter, if_match=if_match
    )
    set_etag(response, service.return_etag(record))
    return service.to_read(record, strand_record)


@router.post("/returns/{strand}/{quarter}/reopen")
def reopen_return(
    strand: str,
    quarter: QuarterPath,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    strategy_id: StrategyQuery = None,
) -> ReturnRead:
    """Take a submitted return back to draft so it can be corrected."""
    strand_record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy_id)
    record = service.reopen(session=session, actor=actor, strand=strand_record, quarter=quarter)
    set_etag(response, service.return_etag(record))
    return service.to_read(record, strand_record)


@router.get("/returns/{strand}/{quarter}/history")
def return_history(
    strand: str, quarter: QuarterPath, session: SessionDep, strategy_id: StrategyQuery = None
) -> list[ReturnRevisionRead]:
    """Every saved version of the return, oldest first, with who saved it and when."""
    strand_record = strategies.get_strand(session=session, slug=strand, strategy_id=strategy_id)
    record = service.get(session=session, strand=strand_record, quarter=quarter)
    revisions = service.history(session=session, record=record)
    return [ReturnRevisionRead.model_validate(r) for r in revisions]
