from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.quarters import QuarterField
from app.core.schemas import Id, example
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
    model_config = example(
        {"id": 1, "name": "Domestic Abuse", "total": 22, "complete": 15, "ongoing": 6, "at_risk": 1}
    )
    id: int
    name: str
    total: int
    complete: int
    ongoing: int
    at_risk: int
    overdue: int | None = Field(default=None, description=OVERDUE_TEXT)
    pillars: Pillars | None = Field(default=None, description=PILLARS_TEXT)


class StrandFigures(BaseModel):
    model_config = example(
        {
            "slug": "domestic-abuse",
            "name": "Domestic Abuse",
            "has_plan": True,
            "total": 22,
            "complete": 15,
            "ongoing": 6,
            "at_risk": 1,
            "plans": [
                {
                    "id": 1,
                    "name": "Domestic Abuse",
                    "total": 22,
                    "complete": 15,
                    "ongoing": 6,
                    "at_risk": 1,
                }
            ],
        }
    )
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
    model_config = example(
        {
            "total": 224,
            "complete": 139,
            "ongoing": 82,
            "at_risk": 3,
            "complete_pct": 62,
            "ongoing_pct": 37,
            "at_risk_pct": 1,
        }
    )
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

    model_config = example(
        {
            "quarter": "2020-21-Q2",
            "as_at": "2020-09-30",
            "strategy_id": 1,
            "locked": False,
            "published": False,
            "lock": None,
            "strands": [
                {
                    "slug": "domestic-abuse",
                    "name": "Domestic Abuse",
                    "has_plan": True,
                    "total": 22,
                    "complete": 15,
                    "ongoing": 6,
                    "at_risk": 1,
                    "plans": [
                        {
                            "id": 1,
                            "name": "Domestic Abuse",
                            "total": 22,
                            "complete": 15,
                            "ongoing": 6,
                            "at_risk": 1,
                        }
                    ],
                },
                {
                    "slug": "house-burglary-and-street-robbery",
                    "name": "House Burglary and Street Robbery",
                    "has_plan": False,
                    "total": None,
                    "complete": None,
                    "ongoing": None,
                    "at_risk": None,
                    "plans": [],
                },
            ],
            "totals": {
                "total": 22,
                "complete": 15,
                "ongoing": 6,
                "at_risk": 1,
                "complete_pct": 68,
                "ongoing_pct": 27,
                "at_risk_pct": 5,
            },
        }
    )

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
    model_config = example(
        {"quarter": "2020-21-Q2", "total": 22, "complete": 15, "ongoing": 6, "at_risk": 1}
    )
    quarter: QuarterField
    total: int | None
    complete: int | None
    ongoing: int | None
    at_risk: int | None


class QuarterTotals(BaseModel):
    model_config = example(
        {
            "quarter": "2020-21-Q2",
            "total": 224,
            "complete": 139,
            "ongoing": 82,
            "at_risk": 3,
            "complete_pct": 62,
            "ongoing_pct": 37,
            "at_risk_pct": 1,
        }
    )
    quarter: QuarterField
    total: int
    complete: int
    ongoing: int
    at_risk: int
    complete_pct: int | None
    ongoing_pct: int | None
    at_risk_pct: int | None


class StrandTrend(BaseModel):
    model_config = example(
        {
            "slug": "domestic-abuse",
            "name": "Domestic Abuse",
            "has_plan": True,
            "series": [
                {"quarter": "2020-21-Q2", "total": 22, "complete": 15, "ongoing": 6, "at_risk": 1}
            ],
        }
    )
    slug: str
    name: str
    has_plan: bool
    series: list[QuarterCounts]


class TrendRead(BaseModel):
    """The dashboard counts of each quarter of a range: the board's Q1…Q4 columns."""

    model_config = example(
        {
            "quarters": ["2020-21-Q2"],
            "strategy_id": 1,
            "strands": [
                {
                    "slug": "domestic-abuse",
                    "name": "Domestic Abuse",
                    "has_plan": True,
                    "series": [
                        {
                            "quarter": "2020-21-Q2",
                            "total": 22,
                            "complete": 15,
                            "ongoing": 6,
                            "at_risk": 1,
                        }
                    ],
                }
            ],
            "totals": [
                {
                    "quarter": "2020-21-Q2",
                    "total": 224,
                    "complete": 139,
                    "ongoing": 82,
                    "at_risk": 3,
                    "complete_pct": 62,
                    "ongoing_pct": 37,
                    "at_risk_pct": 1,
                }
            ],
        }
    )

    quarters: list[QuarterField]
    strategy_id: Id
    strands: list[StrandTrend]
    totals: list[QuarterTotals]


class Difference(BaseModel):
    model_config = example(
        {
            "strand": "domestic-abuse",
            "plan_id": 1,
            "plan": "Domestic Abuse",
            "field": "at_risk",
            "published": 1,
            "live": 2,
        }
    )
    strand: str | None = Field(description="The strand's slug; null for the totals.")
    plan_id: Id | None = Field(description="Null for a strand's own figures and the totals.")
    plan: str | None
    field: str = Field(description="`complete`, `overdue`, `prevent.at_risk`, `complete_pct`…")
    published: int | None
    live: int | None


class DriftRead(BaseModel):
    """Where a quarter's live figures now differ from the ones published when it was locked."""

    model_config = example(
        {
            "quarter": "2020-21-Q2",
            "as_at": "2020-09-30",
            "lock": {
                "id": 4,
                "strategy_id": 1,
                "quarter": "2020-21-Q2",
                "starts_on": "2020-07-01",
                "ends_on": "2020-09-30",
                "in_force": True,
                "locked_at": "2020-10-20T16:00:00Z",
                "locked_by": "admin",
                "unlocked_at": None,
                "unlocked_by": None,
            },
            "drifted": True,
            "differences": [
                {
                    "strand": "domestic-abuse",
                    "plan_id": 1,
                    "plan": "Domestic Abuse",
                    "field": "at_risk",
                    "published": 1,
                    "live": 2,
                }
            ],
        }
    )

    quarter: QuarterField
    as_at: date
    lock: LockRead
    drifted: bool
    differences: list[Difference]
