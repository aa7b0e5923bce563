import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from app.core.schemas import Day, Id, InputModel, OutputModel, example, text
from app.risks.models import RiskAction, RiskResponse, RiskStatus
from app.risks.scoring import BANDS_TEXT, Rating

REF_PATTERN = r"^[A-Z]{1,3}[1-9][0-9]{0,4}$"

REF_HELP = "1-3 letters and a number without leading zeros, e.g. A13"


def _ref(value: str) -> str:
    value = value.upper()
    if not re.fullmatch(REF_PATTERN, value):
        raise ValueError(f"a ref is {REF_HELP}")
    return value


Ref = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(_ref),
    WithJsonSchema({"type": "string", "pattern": REF_PATTERN, "example": "A13"}),
    Field(description=f"{REF_HELP}; lower case is read as capitals."),
]
Description = text(5_000, 1)
Mitigation = text(10_000, 1)
Owner = text(200, 1)
ClosureReason = text(5_000, 1)
Level = Annotated[int, Field(ge=1, le=5, strict=True)]

LEVEL_HELP = "1-5; send likelihood and impact together."


class RiskCreate(InputModel):
    model_config = example(
        {
            "strand_id": 1,
            "task_id": 17,
            "description": "Training venue not available this quarter",
            "owner": "DA Coordinator",
            "mitigation": "Book a partner agency's venue",
            "response": "treat",
            "registered_on": "2020-09-14",
            "review_on": "2020-12-01",
            "likelihood": 3,
            "impact": 4,
        }
    )
    strand_id: Id
    description: Description
    owner: Owner
    mitigation: Mitigation
    response: RiskResponse = Field(
        description="The 5 Ts: treat, tolerate, transfer, terminate, take."
    )
    ref: Ref | None = Field(default=None, description="Made as the next `A<n>` when not given.")
    task_id: Id | None = Field(default=None, description="A task of the same strand.")
    registered_on: Day | None = Field(default=None, description="Defaults to today.")
    review_on: Day | None = None
    likelihood: Level | None = Field(
        default=None, description=f"Now, after mitigation; {LEVEL_HELP} Defaults to inherent."
    )
    impact: Level | None = Field(default=None, description=f"Now; {LEVEL_HELP}")
    inherent_likelihood: Level | None = Field(
        default=None, description=f"Before mitigation; {LEVEL_HELP}"
    )
    inherent_impact: Level | None = Field(default=None, description=f"Before; {LEVEL_HELP}")
    target_likelihood: Level | None = Field(default=None, description=f"Aimed at; {LEVEL_HELP}")
    target_impact: Level | None = Field(default=None, description=f"Aimed at; {LEVEL_HELP}")


class RiskUpdate(InputModel):
    """Any field but the ref; null clears an optional one. Closing needs a closure_reason."""

    model_config = example(
        {
            "status": "closed",
            "closed_on": "2020-11-30",
            "closure_reason": "Sessions delivered at the partner's venue",
        }
    )

    strand_id: Id | None = Field(
        default=None, description="Another strand of the same strategy; needs write rights on both."
    )
    description: Description | None = None
    owner: Owner | None = None
    mitigation: Mitigation | None = None
    response: RiskResponse | None = None
    task_id: Id | None = None
    registered_on: Day | None = None
    review_on: Day | None = None
    likelihood: Level | None = None
    impact: Level | None = None
    inherent_likelihood: Level | None = None
    inherent_impact: Level | None = None
    target_likelihood: Level | None = None
    target_impact: Level | None = None
    status: RiskStatus | None = Field(
        default=None, description="`closed` needs a closure_reason; `open` clears both."
    )
    closed_on: Day | None = Field(default=None, description="Defaults to today when closing.")
    closure_reason: ClosureReason | None = None


class RiskRead(OutputModel):
    model_config = example(
        {
            "id": 3,
            "ref": "A13",
            "strategy_id": 1,
            "strand_id": 1,
            "strand": "domestic-abuse",
            "task_id": 17,
            "description": "Training venue not available this quarter",
            "owner": "DA Coordinator",
            "mitigation": "Book a partner agency's venue",
            "response": "treat",
            "registered_on": "2020-09-14",
            "review_on": "2020-12-01",
            "review_overdue": False,
            "likelihood": 3,
            "impact": 4,
            "score": 12,
            "rating": "high",
            "inherent_likelihood": 4,
            "inherent_impact": 4,
            "inherent_score": 16,
            "inherent_rating": "very_high",
            "target_likelihood": 2,
            "target_impact": 3,
            "target_score": 6,
            "target_rating": "medium",
            "status": "open",
            "closed_on": None,
            "closure_reason": "",
            "version": 2,
            "created_at": "2020-09-14T10:32:05Z",
            "created_by": "DA lead",
            "updated_at": "2020-09-14T10:32:05Z",
            "updated_by": "DA lead",
        }
    )
    id: int
    ref: str
    strategy_id: Id
    strand_id: Id
    strand: str = Field(description="The strand's slug.")
    task_id: Id | None
    description: str
    owner: str
    mitigation: str
    response: RiskResponse
    registered_on: date
    review_on: date | None
    review_overdue: bool = Field(description="Open, and the review date has passed.")
    likelihood: int | None = Field(description="Now (residual), 1-5.")
    impact: int | None = Field(description="Now (residual), 1-5.")
    score: int | None = Field(description=BANDS_TEXT)
    rating: Rating | None = Field(description=BANDS_TEXT)
    inherent_likelihood: int | None
    inherent_impact: int | None
    inherent_score: int | None
    inherent_rating: Rating | None
    target_likelihood: int | None
    target_impact: int | None
    target_score: int | None
    target_rating: Rating | None
    status: RiskStatus
    closed_on: date | None
    closure_reason: str
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class RiskEventRead(OutputModel):
    model_config = example(
        {
            "id": 40,
            "action": "updated",
            "changes": {"likelihood": {"before": 4, "after": 3}},
            "recorded_by": "DA lead",
            "recorded_at": "2020-09-14T10:32:05Z",
        }
    )
    id: int
    action: RiskAction
    changes: dict[str, dict[str, Any]] = Field(
        description="Each changed field: `{before, after}` (before is null on creation)."
    )
    recorded_by: str
    recorded_at: datetime


class RiskSort(StrEnum):
    score_desc = "-score"
    score = "score"
    ref = "ref"
    registered_on = "registered_on"
    registered_on_desc = "-registered_on"
    review_on = "review_on"
    updated_at_desc = "-updated_at"


class RatingFilter(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"
    unscored = "unscored"


class RiskExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class TaskAtRiskWithoutOpenRisk(OutputModel):
    model_config = example(
        {
            "task_id": 17,
            "task_no": 3,
            "title": "Raise awareness of coercive control with partner agencies",
            "plan_id": 1,
            "strand": "domestic-abuse",
            "strand_name": "Domestic Abuse",
        }
    )
    task_id: Id
    task_no: int | None
    title: str
    plan_id: Id
    strand: str
    strand_name: str


class OpenRiskOnFinishedTask(OutputModel):
    model_config = example(
        {
            "ref": "A7",
            "description": "Partner data not shared",
            "task_id": 12,
            "task_title": "Agree a data-sharing protocol",
            "task_status": "complete",
            "strand": "domestic-abuse",
            "strand_name": "Domestic Abuse",
        }
    )
    ref: str
    description: str
    task_id: Id
    task_title: str
    task_status: str
    strand: str
    strand_name: str


class OpenRiskPastReview(OutputModel):
    model_config = example(
        {
            "ref": "A13",
            "description": "Training venue not available this quarter",
            "owner": "DA Coordinator",
            "review_on": "2020-09-01",
            "task_id": 17,
            "strand": "domestic-abuse",
            "strand_name": "Domestic Abuse",
        }
    )
    ref: str
    description: str
    owner: str
    review_on: date
    task_id: Id | None
    strand: str
    strand_name: str


class DataQualityReport(OutputModel):
    model_config = example(
        {
            "strategy_id": 1,
            "as_at": "2020-09-30",
            "quarter": "2020-21-Q2",
            "tasks_at_risk_without_open_risk": [
                {
                    "task_id": 17,
                    "task_no": 3,
                    "title": "Raise awareness of coercive control with partner agencies",
                    "plan_id": 1,
                    "strand": "domestic-abuse",
                    "strand_name": "Domestic Abuse",
                }
            ],
            "open_risks_on_finished_tasks": [
                {
                    "ref": "A7",
                    "description": "Partner data not shared",
                    "task_id": 12,
                    "task_title": "Agree a data-sharing protocol",
                    "task_status": "complete",
                    "strand": "domestic-abuse",
                    "strand_name": "Domestic Abuse",
                }
            ],
            "open_risks_past_review": [
                {
                    "ref": "A13",
                    "description": "Training venue not available this quarter",
                    "owner": "DA Coordinator",
                    "review_on": "2020-09-01",
                    "task_id": 17,
                    "strand": "domestic-abuse",
                    "strand_name": "Domestic Abuse",
                }
            ],
        }
    )
    strategy_id: Id
    as_at: date
    quarter: str | None
    tasks_at_risk_without_open_risk: list[TaskAtRiskWithoutOpenRisk]
    open_risks_on_finished_tasks: list[OpenRiskOnFinishedTask]
    open_risks_past_review: list[OpenRiskPastReview]
