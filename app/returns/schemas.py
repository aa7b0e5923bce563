from datetime import datetime

from app.core.quarters import QuarterField
from app.core.schemas import Id, InputModel, OutputModel, example, text
from app.returns.models import ReturnStatus

Narrative = text(20_000)


class ReturnWrite(InputModel):
    """The three narratives; any left out keep their saved text."""

    model_config = example(
        {
            "insight": "Reports rose by 8% on the quarter.",
            "delivery_achieved": "Two awareness sessions held.",
            "delivery_scheduled": "Launch the workplace champions scheme.",
        }
    )

    insight: Narrative | None = None
    delivery_achieved: Narrative | None = None
    delivery_scheduled: Narrative | None = None


class ReturnRead(OutputModel):
    model_config = example(
        {
            "id": 9,
            "strand": "domestic-abuse",
            "strand_id": 1,
            "quarter": "2020-21-Q2",
            "insight": "Reports rose by 8% on the quarter.",
            "delivery_achieved": "Two awareness sessions held.",
            "delivery_scheduled": "Launch the workplace champions scheme.",
            "status": "submitted",
            "version": 3,
            "created_at": "2020-10-02T09:00:00Z",
            "created_by": "DA lead",
            "updated_at": "2020-10-09T15:20:00Z",
            "updated_by": "DA lead",
            "submitted_at": "2020-10-09T15:20:00Z",
            "submitted_by": "DA lead",
        }
    )
    id: int
    strand: str
    strand_id: Id
    quarter: QuarterField
    insight: str
    delivery_achieved: str
    delivery_scheduled: str
    status: ReturnStatus
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    submitted_at: datetime | None
    submitted_by: str | None


class ReturnRevisionRead(OutputModel):
    model_config = example(
        {
            "version": 3,
            "action": "submitted",
            "status": "submitted",
            "insight": "Reports rose by 8% on the quarter.",
            "delivery_achieved": "Two awareness sessions held.",
            "delivery_scheduled": "Launch the workplace champions scheme.",
            "recorded_by": "DA lead",
            "recorded_at": "2020-10-09T15:20:00Z",
        }
    )
    version: int
    action: str
    status: ReturnStatus
    insight: str
    delivery_achieved: str
    delivery_scheduled: str
    recorded_by: str
    recorded_at: datetime
