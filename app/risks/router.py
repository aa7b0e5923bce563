"""The risk register: risks of each strand, their scores, 5T responses and history."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from starlette.convertors import Convertor, register_url_convertor

from app.auth.dependencies import ActorDep
from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.exports import XLSX, csv_response, xlsx_response
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.quarters import QUARTER_PATTERN, Quarter, QuarterError
from app.core.query import UpdatedSince, any_of, since, values
from app.core.schemas import Day, Id
from app.risks import service
from app.risks.models import RiskResponse, RiskStatus
from app.risks.schemas import (
    DataQualityReport,
    RatingFilter,
    RiskCreate,
    RiskEventRead,
    RiskExportFormat,
    RiskRead,
    RiskSort,
    RiskUpdate,
)
from app.risks.scoring import BANDS_TEXT


class RefConvertor(Convertor[str]):
    """A risk ref in a path (`A13`), so that `/risks/data-quality` is never taken for one."""

    regex = "[A-Za-z]{1,3}[0-9]{1,5}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("ref", RefConvertor())

router = APIRouter(
    tags=tag(
        "risks",
        "The risk register: risks of each strand with likelihood, impact, score, rating, the 5T "
        "response and a history of changes.",
    )
)

StrategyQuery = Annotated[
    Id | None,
    Query(description="The strategy; by default the one running today, else the latest."),
]
StrandQuery = Annotated[str | None, Query(max_length=80, description="A strand's slug.")]


@router.post("/risks", status_code=status.HTTP_201_CREATED)
def create_risk(
    data: RiskCreate, session: SessionDep, actor: ActorDep, response: Response
) -> RiskRead:
    """Register a risk of a strand (its lead or an admin); the ref is made if not given."""
    risk = service.create_risk(session=session, actor=actor, data=data)
    set_etag(response, service.risk_etag(risk))
    return service.read_one(session=session, risk=risk)


@router.get(
    "/risks",
    response_model=Page[RiskRead],
    responses={
        200: {
            "description": "A page of risks; with `format=csv` or `xlsx`, every matching risk.",
            "content": {"text/csv": {}, XLSX: {}},
        }
    },
)
def list_risks(
    session: SessionDep,
    page: PageDep,
    strategy_id: StrategyQuery = None,
    strand: Annotated[list[str] | None, any_of("A strand's slug.", max_length=80)] = None,
    status: Annotated[list[RiskStatus] | None, any_of()] = None,
    response: Annotated[list[RiskResponse] | None, any_of("The 5T response.")] = None,
    rating: Annotated[
        RatingFilter | None, Query(description=f"A band, or `unscored`. {BANDS_TEXT}.")
    ] = None,
    review_overdue: Annotated[
        bool | None, Query(description="Open, and the review date has passed.")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in description, mitigation, owner or ref."),
    ] = None,
    updated_since: UpdatedSince = None,
    sort: Annotated[RiskSort, Query(description="Highest score first by default.")] = (
        RiskSort.score_desc
    ),
    format: RiskExportFormat = RiskExportFormat.json,
) -> Any:
    """The risk register, filtered and sorted; as a page, or whole as CSV or Excel."""
    filters = service.RiskFilters(
        strategy_id=strategy_id,
        strand=values(strand),
        status=values(status),
        response=values(response),
        rating=rating,
        review_overdue=review_overdue,
        q=q,
        updated_since=since(updated_since),
    )
    if format is RiskExportFormat.json:
        items, total = service.list_risks(session=session, filters=filters, page=page, sort=sort)
        return page.of(items, total)
    header, rows = service.register_rows(session=session, filters=filters, sort=sort)
    if format is RiskExportFormat.csv:
        return csv_response("risk-register.csv", header, rows)
    return xlsx_response("risk-register.xlsx", [("Risk register", header, rows)])


@router.get("/risks/data-quality")
def data_quality(
    session: SessionDep,
    strategy_id: StrategyQuery = None,
    strand: StrandQuery = None,
    as_at: Annotated[Day | None, Query(description="A past day; today by default.")] = None,
    quarter: Annotated[
        str | None,
        Query(
            max_length=20,
            description="As at the quarter's end, e.g. 2020-21-Q2.",
            json_schema_extra={"pattern": QUARTER_PATTERN},
        ),
    ] = None,
) -> DataQualityReport:
    """At-risk tasks with no open risk, open risks of finished tasks, risks past review."""
    try:
        parsed = Quarter.parse(quarter) if quarter is not None else None
    except QuarterError as error:
        raise Invalid(str(error), field="quarter") from None
    return service.data_quality(
        session=session, strategy_id=strategy_id, strand=strand, as_at=as_at, quarter=parsed
    )


@router.get("/risks/{ref:ref}")
def get_risk(
    ref: str, session: SessionDep, response: Response, strategy_id: StrategyQuery = None
) -> RiskRead:
    """One risk by its ref; its ETag goes in If-Match when you PATCH it."""
    risk = service.get_risk(session=session, ref=ref, strategy_id=strategy_id)
    set_etag(response, service.risk_etag(risk))
    return service.read_one(session=session, risk=risk)


@router.patch("/risks/{ref:ref}")
def update_risk(
    ref: str,
    data: RiskUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    strategy_id: StrategyQuery = None,
    if_match: IfMatch = None,
) -> RiskRead:
    """Change, close or reopen a risk (its strand's lead or an admin; If-Match required)."""
    risk = service.get_risk(session=session, ref=ref, strategy_id=strategy_id, for_update=True)
    risk = service.update_risk(
        session=session, actor=actor, risk=risk, data=data, if_match=if_match
    )
    set_etag(response, service.risk_etag(risk))
    return service.read_one(session=session, risk=risk)


@router.get("/risks/{ref:ref}/history")
def risk_history(
    ref: str, session: SessionDep, strategy_id: StrategyQuery = None
) -> list[RiskEventRead]:
    """Every change to the risk, oldest first: who, when, and each field before and after."""
    risk = service.get_risk(session=session, ref=ref, strategy_id=strategy_id)
    return [RiskEventRead.model_validate(e) for e in service.history(session=session, risk=risk)]
