"""Strategies, strands and delivery plans."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, etag, set_etag
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.schemas import Id
from app.strategies import service
from app.strategies.schemas import (
    PlanCreate,
    PlanRead,
    PlanUpdate,
    StrandCreate,
    StrandRead,
    StrandUpdate,
    StrategyCreate,
    StrategyRead,
    StrategyUpdate,
)

STRATEGIES = tag(
    "strategies", "The strategies: a name and the dates it runs; every record belongs to one."
)
STRANDS = tag(
    "strands",
    "The strategy's thematic strands, by slug (`domestic-abuse`), with their leads and plans.",
)
PLANS = tag("plans", "The 4P delivery plans of each strand, and their export as spreadsheets.")
router = APIRouter()

StrategyQuery = Annotated[
    Id | None,
    Query(description="The strategy; by default the one running today, else the latest."),
]


@router.post("/strategies", status_code=status.HTTP_201_CREATED, tags=STRATEGIES)
def create_strategy(
    data: StrategyCreate, session: SessionDep, actor: ActorDep, response: Response
) -> StrategyRead:
    """Create a strategy (admin)."""
    strategy = service.create_strategy(session=session, actor=actor, data=data)
    set_etag(response, etag("strategy", strategy.id, strategy.version))
    return StrategyRead.model_validate(strategy)


@router.get("/strategies", tags=STRATEGIES)
def list_strategies(session: SessionDep) -> list[StrategyRead]:
    """Every strategy, oldest first."""
    return [StrategyRead.model_validate(s) for s in service.list_strategies(session=session)]


@router.get("/strategies/{strategy_id:int}", tags=STRATEGIES)
def get_strategy(strategy_id: Id, session: SessionDep, response: Response) -> StrategyRead:
    """One strategy."""
    strategy = service.get_strategy(session=session, strategy_id=strategy_id)
    set_etag(response, etag("strategy", strategy.id, strategy.version))
    return StrategyRead.model_validate(strategy)


@router.patch("/strategies/{strategy_id:int}", tags=STRATEGIES)
def update_strategy(
    strategy_id: Id,
    data: StrategyUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> StrategyRead:
    """Change a strategy's name or dates (admin; If-Match required)."""
    strategy = service.get_strategy(session=session, strategy_id=strategy_id, for_update=True)
    strategy = service.update_strategy(
        session=session, actor=actor, strategy=strategy, data=data, if_match=if_match
    )
    set_etag(response, etag("strategy", strategy.id, strategy.version))
    return StrategyRead.model_validate(strategy)


@router.post("/strands", status_code=status.HTTP_201_CREATED, tags=STRANDS)
def create_strand(
    data: StrandCreate, session: SessionDep, actor: ActorDep, response: Response
) -> StrandRead:
    """Add a thematic strand to a strategy (admin); the slug is made from the name if not given."""
    strand = service.create_strand(session=session, actor=actor, data=data)
    set_etag(response, etag("strand", strand.id, strand.version))
    return service.with_plans(session=session, strands=[strand])[0]


@router.get("/strands", tags=STRANDS)
def list_strands(session: SessionDep, strategy_id: StrategyQuery = None) -> list[StrandRead]:
    """The strategy's strands in its order, each with its delivery plans."""
    strategy = service.resolve_strategy(session=session, strategy_id=strategy_id)
    strands = service.list_strands(session=session, strategy=strategy)
    return service.with_plans(session=session, strands=strands)


@router.get("/strands/{slug}", tags=STRANDS)
def get_strand(
    slug: str, session: SessionDep, response: Response, strategy_id: StrategyQuery = None
) -> StrandRead:
    """One strand, with its delivery plans."""
    strand = service.get_strand(session=session, slug=slug, strategy_id=strategy_id)
    set_etag(response, etag("strand", strand.id, strand.version))
    return service.with_plans(session=session, strands=[strand])[0]


@router.patch("/strands/{slug}", tags=STRANDS)
def update_strand(
    slug: str,
    data: StrandUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    strategy_id: StrategyQuery = None,
    if_match: IfMatch = None,
) -> StrandRead:
    """Change a strand's lead, aims or forums (its lead or an admin; If-Match required)."""
    strand = service.get_strand(
        session=session, slug=slug, strategy_id=strategy_id, for_update=True
    )
    strand = service.update_strand(
        session=session, actor=actor, strand=strand, data=data, if_match=if_match
    )
    set_etag(response, etag("strand", strand.id, strand.version))
    return service.with_plans(session=session, strands=[strand])[0]


@router.post("/plans", status_code=status.HTTP_201_CREATED, tags=PLANS)
def create_plan(
    data: PlanCreate, session: SessionDep, actor: ActorDep, response: Response
) -> PlanRead:
    """Add a 4P delivery plan to a strand (its lead or an admin)."""
    plan = service.create_plan(session=session, actor=actor, data=data)
    set_etag(response, etag("plan", plan.id, plan.version))
    return PlanRead.model_validate(plan)


@router.get("/plans", tags=PLANS)
def list_plans(
    session: SessionDep,
    strand: Annotated[str | None, Query(description="A strand's slug.")] = None,
    strategy_id: StrategyQuery = None,
) -> list[PlanRead]:
    """Delivery plans, by strand and position."""
    strand_record = (
        service.get_strand(session=session, slug=strand, strategy_id=strategy_id)
        if strand
        else None
    )
    plans = service.list_plans(session=session, strand=strand_record)
    return [PlanRead.model_validate(p) for p in plans]


@router.get("/plans/{plan_id:int}", tags=PLANS)
def get_plan(plan_id: Id, session: SessionDep, response: Response) -> PlanRead:
    """One delivery plan."""
    plan = service.get_plan(session=session, plan_id=plan_id)
    set_etag(response, etag("plan", plan.id, plan.version))
    return PlanRead.model_validate(plan)


@router.patch("/plans/{plan_id:int}", tags=PLANS)
def update_plan(
    plan_id: Id,
    data: PlanUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    """Rename a plan or change its leads (the strand's lead or an admin; If-Match required)."""
    plan = service.get_plan(session=session, plan_id=plan_id, for_update=True)
    plan = service.update_plan(
        session=session, actor=actor, plan=plan, data=data, if_match=if_match
    )
    set_etag(response, etag("plan", plan.id, plan.version))
    return PlanRead.model_validate(plan)
