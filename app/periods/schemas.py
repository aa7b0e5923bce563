"""The shapes of quarter locks as the API shows them."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.core.quarters import QuarterField
from app.core.schemas import Id, InputModel, OutputModel


class LockInfo(BaseModel):
    id: int
    locked_at: datetime
    locked_by: str


class LockCreate(InputModel):
    quarter: QuarterField
    strategy_id: Id | None = Field(
        default=None, description="The strategy; by default the one running today, else the latest."
    )


class LockRead(OutputModel):
    id: int
    strategy_id: Id
    quarter: str
    starts_on: date
    ends_on: date
    in_force: bool
    locked_at: datetime
    locked_by: str
    unlocked_at: datetime | None
    unlocked_by: str | None
