from datetime import date, datetime

from pydantic import Field, model_validator

from app.core.schemas import (
    Day,
    Id,
    InputModel,
    LongText,
    Name,
    OutputModel,
    PersonName,
    Slug,
    Whole,
    text,
)


class StrategyCreate(InputModel):
    name: Name
    starts_on: Day
    ends_on: Day

    @model_validator(mode="after")
    def _ends_after_start(self) -> "StrategyCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class StrategyUpdate(InputModel):
    name: Name | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None


class StrategyRead(OutputModel):
    id: int
    name: str
    starts_on: date
    ends_on: date
    version: int
    created_at: datetime
    updated_at: datetime


Aims = list[text(2_000, 1)]


class StrandCreate(InputModel):
    strategy_id: Id
    name: Name
    slug: Slug | None = None
    lead: PersonName = ""
    purpose: LongText = ""
    strategic_aims: Aims = Field(default_factory=list, max_length=50)
    partnership_forums: Aims = Field(default_factory=list, max_length=50)
    position: Whole | None = Field(default=None, ge=0, le=1000)


class StrandUpdate(InputModel):
    name: Name | None = None
    lead: PersonName | None = None
    purpose: LongText | None = None
    strategic_aims: Aims | None = Field(default=None, max_length=50)
    partnership_forums: Aims | None = Field(default=None, max_length=50)
    position: Whole | None = Field(default=None, ge=0, le=1000)


LIVE_FROM = "The first day the plan counts; none: from the start."
LIVE_UNTIL = "The last day the plan counts (retired or replaced); none: still live."


class PlanCreate(InputModel):
    strand_id: Id
    name: Name
    tactical_lead: PersonName = ""
    operational_lead: PersonName = ""
    starts_on: Day | None = Field(default=None, description=LIVE_FROM)
    ends_on: Day | None = Field(default=None, description=LIVE_UNTIL)

    @model_validator(mode="after")
    def _ends_after_start(self) -> "PlanCreate":
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class PlanUpdate(InputModel):
    name: Name | None = None
    tactical_lead: PersonName | None = None
    operational_lead: PersonName | None = None
    starts_on: Day | None = Field(default=None, description=LIVE_FROM)
    ends_on: Day | None = Field(default=None, description=LIVE_UNTIL)


class PlanRead(OutputModel):
    id: int
    strand_id: Id
    name: str
    position: int
    tactical_lead: str
    operational_lead: str
    starts_on: date | None = None
    ends_on: date | None = None
    version: int

    def live_on(self, day: date) -> bool:
        """Whether the plan counts in the figures as at the day."""
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or self.ends_on >= day
        )


class StrandRead(OutputModel):
    id: int
    strategy_id: Id
    slug: str
    name: str
    position: int
    lead: str
    purpose: str
    strategic_aims: list[str]
    partnership_forums: list[str]
    version: int
    plans: list[PlanRead] = Field(default_factory=list)
