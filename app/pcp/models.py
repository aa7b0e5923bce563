"""The Police and Crime Plan: priorities, "We will" commitments, contributors and their commentary.

A plan's quarterly update is written by its contributors (areas such as North LPA, units such as
the Serious Violence Unit): per quarter, each writes commentary on the commitments it delivers.
A contributor's commentary for a quarter is a draft until that contributor submits the quarter.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class Layout(enum.StrEnum):
    """How the quarterly update is set out: area headings (seeds 000, 002) or a table (004)."""

    headings = "headings"
    table = "table"


class ContributorKind(enum.StrEnum):
    area = "area"
    unit = "unit"
    # Force-wide commentary: the documents print it under the commitment without a heading.
    force = "force"


class PcpPlan(SQLModel, table=True):
    __tablename__ = "pcp_plan"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=sa.String(80), unique=True)
    name: str = Field(sa_type=sa.String(200), unique=True)
    starts_on: date
    ends_on: date
    layout: Layout = Field(
        default=Layout.headings, sa_type=sa.Enum(Layout, native_enum=False, length=16)
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PcpPriority(SQLModel, table=True):
    __tablename__ = "pcp_priority"
    __table_args__ = (sa.UniqueConstraint("plan_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(sa_type=sa.String(300))
    objective: str = Field(default="", sa_type=sa.Text)


class PcpCommitment(SQLModel, table=True):
    """One "We will": `lead_in` is how the plan introduces it ("Working with partners we will:")."""

    __tablename__ = "pcp_commitment"
    __table_args__ = (sa.UniqueConstraint("priority_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    priority_id: int = Field(foreign_key="pcp_priority.id", index=True, ondelete="CASCADE")
    position: int
    lead_in: str = Field(default="We will:", sa_type=sa.String(300))
    text: str = Field(sa_type=sa.Text)


class PcpContributor(SQLModel, table=True):
    __tablename__ = "pcp_contributor"
    __table_args__ = (sa.UniqueConstraint("plan_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    slug: str = Field(sa_type=sa.String(80))
    name: str = Field(sa_type=sa.String(200))
    # As the table layout's Who column writes it ("North Local Policing Authority (North LPA)").
    full_name: str = Field(default="", sa_type=sa.String(300))
    kind: ContributorKind = Field(
        default=ContributorKind.area, sa_type=sa.Enum(ContributorKind, native_enum=False, length=16)
    )
    position: int


class PcpCommentary(SQLModel, table=True):
    """A contributor's Markdown commentary on one commitment for one quarter.

    `position` orders the contributors under a commitment as the document shows them; `joint_with`
    names the other contributors (slugs) that the document credits with the same text.
    """

    __tablename__ = "pcp_commentary"
    __table_args__ = (sa.UniqueConstraint("commitment_id", "contributor_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    commitment_id: int = Field(foreign_key="pcp_commitment.id", index=True, ondelete="CASCADE")
    contributor_id: int = Field(foreign_key="pcp_contributor.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10), index=True)
    position: int = Field(default=0)
    body: str = Field(default="", sa_type=sa.Text)
    joint_with: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(sa_type=sa.String(100))


class PcpSubmission(SQLModel, table=True):
    """A contributor's commentary for a quarter, submitted: from then on it is no longer a draft."""

    __tablename__ = "pcp_submission"
    __table_args__ = (sa.UniqueConstraint("contributor_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    contributor_id: int = Field(foreign_key="pcp_contributor.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10), index=True)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_by: str = Field(sa_type=sa.String(100))


class PcpUpdate(SQLModel, table=True):
    """The title block of a plan's quarterly update, and its layout when not the plan's own."""

    __tablename__ = "pcp_update"
    __table_args__ = (sa.UniqueConstraint("plan_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="pcp_plan.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10))
    title: str = Field(default="", sa_type=sa.String(300))
    version_label: str = Field(default="", sa_type=sa.String(50))
    produced: str = Field(default="", sa_type=sa.String(100))
    data_to: str = Field(default="", sa_type=sa.String(100))
    unit: str = Field(default="", sa_type=sa.String(200))
    author: str = Field(default="", sa_type=sa.String(200))
    document_owner: str = Field(default="", sa_type=sa.String(200))
    sensitivity: str = Field(default="", sa_type=sa.String(100))
    layout: Layout | None = Field(
        default=None, sa_type=sa.Enum(Layout, native_enum=False, length=16)
    )
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", sa_type=sa.String(100))


class StrandPriorityLink(SQLModel, table=True):
    """A strand of the strategy delivers against a priority of the plan (seed 003 §6.1)."""

    __tablename__ = "strand_priority_link"
    __table_args__ = (sa.UniqueConstraint("strand_id", "priority_id"),)

    id: int | None = Field(default=None, primary_key=True)
    strand_id: int = Field(foreign_key="strand.id", index=True, ondelete="CASCADE")
    priority_id: int = Field(foreign_key="pcp_priority.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=sa.String(100))
