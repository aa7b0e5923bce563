from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.quarters import QuarterField
from app.core.schemas import Id
from app.periods.schemas import LockInfo, LockRead
from app.tasks.models import Pillar


class Include(StrEnum):
    """Optional parts of a dashboard, asked for with `?include=pillars,overdue`."""

    pillars = "pillars"
    overdue = "overdue"


class PillarCounts(BaseModel):
    total: int
    complete: int
    ongoing: int
    at_risk: int


Pillars = dict[Pillar, PillarCounts]

OVERDUE_TEXT = (
    "Only with `include=overdue`: tasks due before the quarter's last day (before today for the "
    "quarter in progress) that were neither complete nor withdrawn as at it."
)
PILLARS_TEXT = "Only with `include=pillars`: the counts of each 4P pillar."


class PlanFigures(BaseModel):
    id: int
    name: str
    total: int
    complete: int
    ongoing: int
    at_risk: int
    overdue: int | None = Field(default=None, description=OVERDUE_TEXT)
    pillars: Pillars | None = Field(default=None, description=PILLARS_TEXT)


class StrandFigures(BaseModel):
    slug: str
    name: str
    has_plan: bool = Field(
        description="False for a strand with no delivery plan: its counts are null (N/A)."
    )
    total: int | None
    complete: int | None
    ongoing: int | None
    at_risk: int | None
    overdue: int | None = Field(default=None, description=OVERDUE_TEXT)
    pillars: Pillars | None = Field(default=None, description=PILLARS_TEXT)
    plans: list[PlanFigures]


class TotalFigures(BaseModel):
    total: int
    complete: int
    ongoing: int
    at_risk: int
    complete_pct: int | None = Field(description="Whole percent of total, halves rounded up.")
    ongoing_pct: int | None
    at_risk_pct: int | None
    overdue: int | None = Field(default=None, description=OVERDUE_TEXT)
    pillars: Pillars | None = Field(default=None, description=PILLARS_TEXT)


class DashboardRead(BaseModel):
    """A quarter's figures as at its last day, by strand in the strategy's order."""

    quarter: QuarterField
    as_at: date
    strategy_id: Id
    locked: bool = Field(description="Whether the quarter is locked (its board report published).")
    published: bool = Field(
        default=False,
        description="True when these are the figures frozen when the quarter was locked.",
    )
    lock: LockInfo | None = Field(default=None, description="When and by whom, if locked.")
    strands: list[StrandFigures]
    totals: TotalFigures


class QuarterCounts(BaseModel):
    quarter: QuarterField
    total: int | None
    complete: int | None
    ongoing: int | None
    at_risk: int | None


class QuarterTotals(BaseModel):
    quarter: QuarterField
    total: int
    complete: int
    ongoing: int
    at_risk: int
    complete_pct: int | None
    ongoing_pct: int | None
    at_risk_pct: int | None


class StrandTrend(BaseModel):
    slug: str
    name: str
    has_plan: bool
    series: list[QuarterCounts]


class TrendRead(BaseModel):
    """The dashboard counts of each quarter of a range: the board's Q1…Q4 columns."""

    quarters: list[QuarterField]
    strategy_id: Id
    strands: list[StrandTrend]
    totals: list[QuarterTotals]


class Difference(BaseModel):
    strand: str | None = Field(description="The strand's slug; null for the totals.")
    plan_id: Id | None = Field(description="Null for a strand's own figures and the totals.")
    plan: str | None
    field: str = Field(description="`complete`, `overdue`, `prevent.at_risk`, `complete_pct`…")
    published: int | None
    live: int | None


class DriftRead(BaseModel):
    """Where a quarter's live figures now differ from the ones published when it was locked."""

    quarter: QuarterField
    as_at: date
    lock: LockRead
    drifted: bool
    differences: list[Difference]
