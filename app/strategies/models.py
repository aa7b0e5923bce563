"""Strategy, its thematic strands and their 4P delivery plans."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class Strategy(SQLModel, table=True):
    __tablename__ = "strategy"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200), unique=True)
    starts_on: date
    ends_on: date
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Strand(SQLModel, table=True):
    __tablename__ = "strand"
    __table_args__ = (sa.UniqueConstraint("strategy_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    slug: str = Field(sa_type=sa.String(80))
    name: str = Field(sa_type=sa.String(200))
    position: int = Field(default=0)
    lead: str = Field(default="", sa_type=sa.String(200))
    purpose: str = Field(default="", sa_type=sa.Text)
    strategic_aims: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    partnership_forums: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryPlan(SQLModel, table=True):
    __tablename__ = "delivery_plan"
    __table_args__ = (sa.UniqueConstraint("strand_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    strand_id: int = Field(foreign_key="strand.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=sa.String(200))
    position: int = Field(default=0)
    tactical_lead: str = Field(default="", sa_type=sa.String(200))
    operational_lead: str = Field(default="", sa_type=sa.String(200))
    starts_on: date | None = None
    """The first day the plan counts; None: from the start."""
    ends_on: date | None = None
    """The last day the plan counts (retired or replaced); None: still live."""
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
