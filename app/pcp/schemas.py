from datetime import date, datetime

from pydantic import Field, model_validator

from app.core.quarters import QuarterField
from app.core.schemas import (
    Day,
    Id,
    InputModel,
    LongText,
    Name,
    OutputModel,
    Position,
    Rank,
    Slug,
    Whole,
    example,
    text,
)
from app.pcp.models import ContributorKind, Layout

Commentary = text(20_000)
LeadIn = text(300, 1)
Label = text(100)
Wording = text(200)
Title = text(300, 1)
CommitmentText = text(5_000, 1)


class PcpPlanCreate(InputModel):
    model_config = example(
        {
            "name": "Police and Crime Plan 2021-2024",
            "slug": "police-and-crime-plan-2021-2024",
            "starts_on": "2021-04-01",
            "ends_on": "2024-03-31",
            "layout": "table",
        }
    )
    name: Name
    slug: Slug | None = None
    starts_on: Day
    ends_on: Day
    layout: Layout = Layout.headings

    @model_validator(mode="after")
    def _ends_after_start(self) -> "PcpPlanCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class PriorityCreate(InputModel):
    model_config = example(
        {
            "number": 1,
            "title": "Tackling serious violence",
            "objective": "Fewer people hurt by serious violence.",
        }
    )
    number: Whole = Field(ge=1, le=100)
    title: Title
    objective: LongText = ""


class CommitmentCreate(InputModel):
    model_config = example(
        {
            "priority": 1,
            "text": "Work with partners to reduce knife crime among young people.",
            "lead_in": "We will:",
        }
    )
    priority: Whole = Field(ge=1, le=100, description="The priority's number.")
    text: CommitmentText
    lead_in: LeadIn = "We will:"
    position: Rank | None = None


class ContributorCreate(InputModel):
    model_config = example(
        {
            "name": "North LPA",
            "slug": "north-lpa",
            "full_name": "North Local Policing Area",
            "kind": "area",
        }
    )
    name: Name
    slug: Slug | None = None
    full_name: Title | None = None
    kind: ContributorKind = ContributorKind.area
    position: Rank | None = None


class CommitmentRead(OutputModel):
    model_config = example(
        {
            "id": 12,
            "position": 1,
            "lead_in": "We will:",
            "text": "Work with partners to reduce knife crime among young people.",
        }
    )
    id: int
    position: int
    lead_in: str
    text: str


class PriorityRead(OutputModel):
    model_config = example(
        {
            "id": 3,
            "number": 1,
            "title": "Tackling serious violence",
            "objective": "Fewer people hurt by serious violence.",
            "commitments": [
                {
                    "id": 12,
                    "position": 1,
                    "lead_in": "We will:",
                    "text": "Work with partners to reduce knife crime among young people.",
                }
            ],
        }
    )
    id: int
    number: int
    title: str
    objective: str
    commitments: list[CommitmentRead] = Field(default_factory=list)


class ContributorRead(OutputModel):
    model_config = example(
        {
            "id": 2,
            "slug": "north-lpa",
            "name": "North LPA",
            "full_name": "North Local Policing Area",
            "kind": "area",
            "position": 1,
        }
    )
    id: int
    slug: str
    name: str
    full_name: str
    kind: ContributorKind
    position: int


class PlanSummary(OutputModel):
    model_config = example(
        {
            "id": 1,
            "slug": "police-and-crime-plan-2021-2024",
            "name": "Police and Crime Plan 2021-2024",
            "starts_on": "2021-04-01",
            "ends_on": "2024-03-31",
            "layout": "table",
            "version": 1,
        }
    )
    id: int
    slug: str
    name: str
    starts_on: date
    ends_on: date
    layout: Layout
    version: int


class PcpPlanRead(PlanSummary):
    model_config = example(
        {
            "id": 1,
            "slug": "police-and-crime-plan-2021-2024",
            "name": "Police and Crime Plan 2021-2024",
            "starts_on": "2021-04-01",
            "ends_on": "2024-03-31",
            "layout": "table",
            "version": 1,
            "priorities": [
                {
                    "id": 3,
                    "number": 1,
                    "title": "Tackling serious violence",
                    "objective": "Fewer people hurt by serious violence.",
                    "commitments": [
                        {
                            "id": 12,
                            "position": 1,
                            "lead_in": "We will:",
                            "text": "Work with partners to reduce knife crime among young people.",
                        }
                    ],
                }
            ],
            "contributors": [
                {
                    "id": 2,
                    "slug": "north-lpa",
                    "name": "North LPA",
                    "full_name": "North Local Policing Area",
                    "kind": "area",
                    "position": 1,
                }
            ],
        }
    )
    priorities: list[PriorityRead]
    contributors: list[ContributorRead]


class CommentaryCreate(InputModel):
    model_config = example(
        {
            "plan": "police-and-crime-plan-2021-2024",
            "quarter": "2021-22-Q1",
            "contributor": "north-lpa",
            "commitment_id": 12,
            "body": "Two school knife-awareness weeks held.",
            "joint_with": [],
        }
    )
    plan: Slug
    quarter: QuarterField
    contributor: Slug
    commitment_id: Id
    body: Commentary = ""
    joint_with: list[Slug] = Field(default_factory=list, max_length=20)
    position: Position | None = None


class CommentaryUpdate(InputModel):
    model_config = example(
        {
            "body": "Two school knife-awareness weeks held; a third is booked.",
            "joint_with": ["south-lpa"],
        }
    )
    body: Commentary | None = None
    joint_with: list[Slug] | None = Field(default=None, max_length=20)


class CommentaryRead(OutputModel):
    model_config = example(
        {
            "id": 40,
            "plan": "police-and-crime-plan-2021-2024",
            "quarter": "2021-22-Q1",
            "contributor": "north-lpa",
            "commitment_id": 12,
            "priority": 1,
            "position": 0,
            "body": "Two school knife-awareness weeks held.",
            "joint_with": [],
            "status": "draft",
            "version": 1,
            "created_at": "2021-07-05T11:20:00Z",
            "created_by": "North LPA lead",
            "updated_at": "2021-07-05T11:20:00Z",
            "updated_by": "North LPA lead",
        }
    )
    id: int
    plan: str
    quarter: QuarterField
    contributor: str
    commitment_id: int
    priority: int
    position: int
    body: str
    joint_with: list[str]
    status: str = Field(description="`draft` until the contributor submits the quarter.")
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class SubmissionCreate(InputModel):
    model_config = example({"quarter": "2021-22-Q1", "contributor": "north-lpa"})
    quarter: QuarterField
    contributor: Slug


class SubmissionRead(OutputModel):
    model_config = example(
        {
            "id": 8,
            "plan": "police-and-crime-plan-2021-2024",
            "quarter": "2021-22-Q1",
            "contributor": "north-lpa",
            "commentaries": 14,
            "submitted_at": "2021-07-05T11:20:00Z",
            "submitted_by": "North LPA lead",
        }
    )
    id: int
    plan: str
    quarter: QuarterField
    contributor: str
    commentaries: int
    submitted_at: datetime
    submitted_by: str


class CarryForward(InputModel):
    """Start the quarter after `from_quarter` with a copy of a contributor's commentary."""

    model_config = example({"contributor": "north-lpa", "from_quarter": "2021-22-Q1"})

    contributor: Slug
    from_quarter: QuarterField


class UpdateWrite(InputModel):
    model_config = example(
        {
            "title": "Police and Crime Plan quarterly update",
            "version_label": "Version 1.0",
            "produced": "July 2021",
            "data_to": "30 June 2021",
        }
    )
    title: Wording | None = None
    version_label: Label | None = None
    produced: Label | None = None
    data_to: Label | None = None
    unit: Wording | None = None
    author: Wording | None = None
    document_owner: Wording | None = None
    sensitivity: Label | None = None
    layout: Layout | None = None


class UpdateRead(OutputModel):
    model_config = example(
        {
            "plan": "police-and-crime-plan-2021-2024",
            "quarter": "2021-22-Q1",
            "title": "Police and Crime Plan quarterly update",
            "version_label": "Version 1.0",
            "produced": "July 2021",
            "data_to": "30 June 2021",
            "unit": "Performance Analysis Unit",
            "author": "PAU analyst",
            "document_owner": "Head of PAU",
            "sensitivity": "OFFICIAL",
            "layout": "table",
            "version": 1,
        }
    )
    plan: str
    quarter: QuarterField
    title: str
    version_label: str
    produced: str
    data_to: str
    unit: str
    author: str
    document_owner: str
    sensitivity: str
    layout: Layout
    version: int


class LinkCreate(InputModel):
    model_config = example(
        {
            "strand": "gangs-and-knife-crime",
            "plan": "police-and-crime-plan-2021-2024",
            "priority": 1,
        }
    )
    strand: Slug
    plan: Slug
    priority: Whole = Field(ge=1, le=100, description="The priority's number.")


class LinkRead(OutputModel):
    model_config = example(
        {
            "id": 5,
            "strand": "gangs-and-knife-crime",
            "strand_name": "Gangs & Knife Crime",
            "plan": "police-and-crime-plan-2021-2024",
            "priority": 1,
            "priority_title": "Tackling serious violence",
            "created_at": "2021-07-05T11:20:00Z",
            "created_by": "admin",
        }
    )
    id: int
    strand: str
    strand_name: str
    plan: str
    priority: int
    priority_title: str
    created_at: datetime
    created_by: str
