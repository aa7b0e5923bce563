from datetime import date, datetime

from pydantic import Field, model_validator

from app.core.quarters import QuarterField
from app.core.schemas import Day, Id, InputModel, LongText, Name, OutputModel, Slug, Whole, text
from app.pcp.models import ContributorKind, Layout

Commentary = text(20_000)
LeadIn = text(300, 1)
Label = text(100)
Wording = text(200)
Title = text(300, 1)
CommitmentText = text(5_000, 1)


class PlanCreate(InputModel):
    name: Name
    slug: Slug | None = None
    starts_on: Day
    ends_on: Day
    layout: Layout = Layout.headings

    @model_validator(mode="after")
    def _ends_after_start(self) -> "PlanCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class PriorityCreate(InputModel):
    number: Whole = Field(ge=1, le=100)
    title: Title
    objective: LongText = ""


class CommitmentCreate(InputModel):
    priority: Whole = Field(ge=1, le=100, description="The priority's number.")
    text: CommitmentText
    lead_in: LeadIn = "We will:"
    position: Whole | None = Field(default=None, ge=1, le=1000)


class ContributorCreate(InputModel):
    name: Name
    slug: Slug | None = None
    full_name: Title | None = None
    kind: ContributorKind = ContributorKind.area
    position: Whole | None = Field(default=None, ge=1, le=1000)


class CommitmentRead(OutputModel):
    id: int
    position: int
    lead_in: str
    text: str


class PriorityRead(OutputModel):
    id: int
    number: int
    title: str
    objective: str
    commitments: list[CommitmentRead] = Field(default_factory=list)


class ContributorRead(OutputModel):
    id: int
    slug: str
    name: str
    full_name: str
    kind: ContributorKind
    position: int


class PlanSummary(OutputModel):
    id: int
    slug: str
    name: str
    starts_on: date
    ends_on: date
    layout: Layout
    version: int


class PlanRead(PlanSummary):
    priorities: list[PriorityRead]
    contributors: list[ContributorRead]


class CommentaryCreate(InputModel):
    plan: Slug
    quarter: QuarterField
    contributor: Slug
    commitment_id: Id
    body: Commentary = ""
    joint_with: list[Slug] = Field(default_factory=list, max_length=20)
    position: Whole | None = Field(default=None, ge=0, le=1000)


class CommentaryUpdate(InputModel):
    body: Commentary | None = None
    joint_with: list[Slug] | None = Field(default=None, max_length=20)


class CommentaryRead(OutputModel):
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
    quarter: QuarterField
    contributor: Slug


class SubmissionRead(OutputModel):
    id: int
    plan: str
    quarter: QuarterField
    contributor: str
    commentaries: int
    submitted_at: datetime
    submitted_by: str


class CarryForward(InputModel):
    """Start the quarter after `from_quarter` with a copy of a contributor's commentary."""

    contributor: Slug
    from_quarter: QuarterField


class UpdateWrite(InputModel):
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
    strand: Slug
    plan: Slug
    priority: Whole = Field(ge=1, le=100, description="The priority's number.")


class LinkRead(OutputModel):
    id: int
    strand: str
    strand_name: str
    plan: str
    priority: int
    priority_title: str
    created_at: datetime
    created_by: str
