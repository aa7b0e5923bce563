"""Quarterly returns: a strand lead's narrative for a quarter, and every saved version of it."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class ReturnStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"


class QuarterlyReturn(SQLModel, table=True):
    __tablename__ = "quarterly_return"
    __table_args__ = (sa.UniqueConstraint("strand_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    strand_id: int = Field(foreign_key="strand.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10), index=True)
    insight: str = Field(default="", sa_type=sa.Text)
    delivery_achieved: str = Field(default="", sa_type=sa.Text)
    delivery_scheduled: str = Field(default="", sa_type=sa.Text)
    status: ReturnStatus = Field(
        default=ReturnStatus.draft, sa_type=sa.Enum(ReturnStatus, native_enum=False, length=16)
    )
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(sa_type=sa.String(100))
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: str | None = Field(default=None, sa_type=sa.String(100))


class ReturnRevision(SQLModel, table=True):
    """The return as it stood after each change: who made it, when, and what it did."""

    __tablename__ = "return_revision"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="quarterly_return.id", index=True, ondelete="CASCADE")
    version: int
    action: str = Field(sa_type=sa.String(16))
    status: ReturnStatus = Field(sa_type=sa.Enum(ReturnStatus, native_enum=False, length=16))
    insight: str = Field(default="", sa_type=sa.Text)
    delivery_achieved: str = Field(default="", sa_type=sa.Text)
    delivery_scheduled: str = Field(default="", sa_type=sa.Text)
    recorded_by: str = Field(sa_type=sa.String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
