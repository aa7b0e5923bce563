"""The quarter's board paper: its sections, and publishing and restating it."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.quarters import QuarterParam
from app.core.schemas import Id
from app.papers import service
from app.papers.schemas import BoardPaperRead, BoardPaperWrite
from app.periods import publications
from app.periods.schemas import PublicationRead, RestatementCreate, RestatementRead
from app.reports import publishing
from app.strategies import service as strategies

router = APIRouter(
    prefix="/board-papers",
    tags=tag(
        "board papers",
        "Each quarter's board paper: the author's Markdown sections around the generated parts, "
        "published (closing the quarter) and restated with a reason.",
    ),
)

QuarterPath = Annotated[QuarterParam, Path(description="e.g. 2020-21-Q2")]
StrategyQuery = Annotated[Id | None, Query(description="Default: the current strategy.")]


@router.get("/{quarter}")
def get_board_paper(
    quarter: QuarterPath, session: SessionDep, response: Response, strategy_id: StrategyQuery = None
) -> BoardPaperRead:
    """The quarter's paper; a quarter not yet written starts from the previous one's text."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    paper = service.read(session=session, strategy=strategy, quarter=quarter)
    set_etag(response, service.paper_etag(paper.strategy_id, quarter, paper.version))
    return paper


@router.put("/{quarter}", responses={201: {"model": BoardPaperRead, "description": "Created"}})
def save_board_paper(
    quarter: QuarterPath,
    data: BoardPaperWrite,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: IfMatch = None,
    strategy_id: StrategyQuery = None,
) -> BoardPaperRead:
    """Write the paper's sections (admin; If-Match from GET, also for the first save)."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    paper, created = service.save(
        session=session,
        actor=actor,
        strategy=strategy,
        quarter=quarter,
        data=data,
        if_match=if_match,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, service.paper_etag(paper.strategy_id, quarter, paper.version))
    return paper


@router.post("/{quarter}/publish", status_code=status.HTTP_201_CREATED)
def publish_board_paper(
    quarter: QuarterPath, session: SessionDep, actor: ActorDep, strategy_id: StrategyQuery = None
) -> PublicationRead:
    """Publish the paper (admin): close this quarter and every earlier one, and keep each
    format's bytes; a second publish needs a restatement first (409)."""
    publication = publishing.publish(
        session=session, actor=actor, strategy_id=strategy_id, quarter=quarter
    )
    return publications.describe(session=session, publication=publication)


@router.get("/{quarter}/versions")
def list_board_paper_versions(
    quarter: QuarterPath, session: SessionDep, strategy_id: StrategyQuery = None
) -> list[PublicationRead]:
    """Every published version of the quarter's paper, oldest first, with its files' digests."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    found = publications.versions(
        session=session,
        kind=service.KIND,
        key=service.key_of(strategy.id, quarter),  # type: ignore[arg-type]
    )
    return [publications.describe(session=session, publication=p) for p in found]


@router.post("/{quarter}/restatements", status_code=status.HTTP_201_CREATED)
def restate_board_paper(
    quarter: QuarterPath,
    data: RestatementCreate,
    session: SessionDep,
    actor: ActorDep,
    strategy_id: StrategyQuery = None,
) -> RestatementRead:
    """Reopen a published quarter for correction (admin), with the reason its next version
    will give."""
    restatement = publishing.restate(
        session=session, actor=actor, strategy_id=strategy_id, quarter=quarter, reason=data.reason
    )
    return RestatementRead.model_validate(restatement)
