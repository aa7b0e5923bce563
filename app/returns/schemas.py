from datetime import datetime

from app.core.quarters import QuarterField
from app.core.schemas import Id, InputModel, OutputModel, text
from app.returns.models import ReturnStatus

Narrative = text(20_000)


class ReturnWrite(InputModel):
    """The three narratives; any left out keep their saved text."""

    insight: Narrative | None = None
    delivery_achieved: Narrative | None = None
    delivery_scheduled: Narrative | None = None


class ReturnRead(OutputModel):
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
    version: int
    action: str
    status: ReturnStatus
    insight: str
    delivery_achieved: str
    delivery_scheduled: str
    recorded_by: str
    recorded_at: datetime
