from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from app.core.schemas import (
    Day,
    Id,
    InputModel,
    LongText,
    Name,
    OutputModel,
    PersonName,
    Position,
    Slug,
    example,
    text,
)


def _served(day: date) -> date:
    if not 2000 <= day.year <= 2099:
        raise ValueError("a strategy runs within the years the tracker serves, 2000 to 2099")
    return day


# A strategy's dates bound every quarter of it that is locked, reported or published.
StrategyDay = Annotated[
    Day,
    AfterValidator(_served),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"}
    ),
]


class StrategyCreate(InputModel):
    model_config = example(
        {
            "name": "Crime Prevention Strategy 2018-21",
            "starts_on": "2018-04-01",
            "ends_on": "2021-03-31",
        }
    )
    name: Name
    starts_on: StrategyDay
    ends_on: StrategyDay

    @model_validator(mode="after")
    def _ends_after_start(self) -> "StrategyCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class StrategyUpdate(InputModel):
    model_config = example({"ends_on": "2021-09-30"})
    name: Name | None = None
    starts_on: StrategyDay | None = None
    ends_on: StrategyDay | None = None


class StrategyRead(OutputModel):
    model_config = example(
        {
            "id": 1,
            "name": "Crime Prevention Strategy 2018-21",
            "starts_on": "2018-04-01",
            "ends_on": "2021-03-31",
            "version": 1,
            "created_at": "2018-04-01T09:00:00Z",
            "updated_at": "2018-04-01T09:00:00Z",
        }
    )
    id: int
    name: str
    starts_on: date
    ends_on: date
    version: int
    created_at: datetime
    updated_at: datetime


Aims = list[text(2_000, 1)]


class StrandCreate(InputModel):
    model_config = example(
        {
            "strategy_id": 1,
            "name": "Domestic Abuse",
            "lead": "Det Supt Alex Brown",
            "purpose": "Reduce the harm caused by domestic abuse.",
            "strategic_aims": ["Increase reporting"],
            "partnership_forums": ["Domestic Abuse Partnership Board"],
        }
    )
    strategy_id: Id
    name: Name
    slug: Slug | None = None
    lead: PersonName = ""
    purpose: LongText = ""
    strategic_aims: Aims = Field(default_factory=list, max_length=50)
    partnership_forums: Aims = Field(default_factory=list, max_length=50)
    position: Position | None = None


class StrandUpdate(InputModel):
    model_config = example({"lead": "Det Supt Chris Green"})
    name: Name | None = None
    lead: PersonName | None = None
    purpose: LongText | None = None
    strategic_aims: Aims | None = Field(default=None, max_length=50)
    partnership_forums: Aims | None = Field(default=None, max_length=50)
    position: Position | None = None


LIVE_FROM = "The first day the plan counts; none: from the start."
LIVE_UNTIL = "The last day the plan counts (retired or replaced); none: still live."


class PlanCreate(InputModel):
    model_config = example(
        {
            "strand_id": 1,
            "name": "Domestic Abuse",
            "tactical_lead": "DCI Jane Smith",
            "operational_lead": "DI Sam Patel",
        }
    )
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
    model_config = example({"operational_lead": "DI Kim Lee"})
    name: Name | None = None
    tactical_lead: PersonName | None = None
    operational_lead: PersonName | None = None
    starts_on: Day | None = Field(default=None, description=LIVE_FROM)
    ends_on: Day | None = Field(default=None, description=LIVE_UNTIL)


class PlanRead(OutputModel):
    model_config = example(
        {
            "id": 1,
            "strand_id": 1,
            "name": "Domestic Abuse",
            "position": 1,
            "tactical_lead": "DCI Jane Smith",
            "operational_lead": "DI Sam Patel",
            "version": 1,
        }
    )
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
    model_config = example(
        {
            "id": 1,
            "strategy_id": 1,
            "slug": "domestic-abuse",
            "name": "Domestic Abuse",
            "position": 1,
            "lead": "Det Supt Alex Brown",
            "purpose": "Reduce the harm caused by domestic abuse.",
            "strategic_aims": ["Increase reporting"],
            "partnership_forums": ["Domestic Abuse Partnership Board"],
            "version": 1,
            "plans": [
                {
                    "id": 1,
                    "strand_id": 1,
                    "name": "Domestic Abuse",
                    "position": 1,
                    "tactical_lead": "DCI Jane Smith",
                    "operational_lead": "DI Sam Patel",
                    "version": 1,
                }
            ],
        }
    )
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
