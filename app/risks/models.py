"""The risk register: risks of a strand (optionally tied to one of its tasks) and their history."""

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class RiskResponse(enum.StrEnum):
    """The 5 Ts: how the risk is answered."""

    treat = "treat"
    tolerate = "tolerate"
    transfer = "transfer"
    terminate = "terminate"
    take = "take"


class RiskStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class RiskAction(enum.StrEnum):
    created = "created"
    updated = "updated"
    closed = "closed"
    reopened = "reopened"


def _level_checks(*pairs: str) -> list[sa.CheckConstraint]:
    """Each level 1-5, and a likelihood never without its impact (nor the other way round)."""
    checks = []
    for prefix in pairs:
        likelihood, impact = f"{prefix}likelihood", f"{prefix}impact"
        checks += [
            sa.CheckConstraint(f"{likelihood} BETWEEN 1 AND 5", name=f"{likelihood}_level"),
            sa.CheckConstraint(f"{impact} BETWEEN 1 AND 5", name=f"{impact}_level"),
            sa.CheckConstraint(
                f"({likelihood} IS NULL) = ({impact} IS NULL)",
                name=f"{prefix or 'residual_'}pair",
            ),
        ]
    return checks


class Risk(SQLModel, table=True):
    __tablename__ = "risk"
    __table_args__ = (
        sa.UniqueConstraint("strategy_id", "ref"),
        *_level_checks("inherent_", "", "target_"),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)", name="closed_on_when_closed"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Copied from the strand, so that refs can be unique within the strategy.
    strategy_id: int = Field(foreign_key="strategy.id", ondelete="CASCADE")
    strand_id: int = Field(foreign_key="strand.id", index=True, ondelete="CASCADE")
    task_id: int | None = Field(
        default=None, foreign_key="task.id", index=True, ondelete="SET NULL"
    )
    ref: str = Field(sa_type=sa.String(8))
    # The ref split in two, for the next number of a sequence and for A2 to sort before A13.
    ref_prefix: str = Field(sa_type=sa.String(3))
    ref_number: int
    description: str = Field(sa_type=sa.Text)
    owner: str = Field(sa_type=sa.String(200))
    mitigation: str = Field(sa_type=sa.Text)
    response: RiskResponse = Field(sa_type=sa.Enum(RiskResponse, native_enum=False, length=16))
    registered_on: date
    review_on: date | None = Field(default=None)
    inherent_likelihood: int | None = Field(default=None)
    inherent_impact: int | None = Field(default=None)
    likelihood: int | None = Field(default=None)
    impact: int | None = Field(default=None)
    target_likelihood: int | None = Field(default=None)
    target_impact: int | None = Field(default=None)
    status: RiskStatus = Field(
        default=RiskStatus.open, sa_type=sa.Enum(RiskStatus, native_enum=False, length=16)
    )
    closed_on: date | None = Field(default=None)
    closure_reason: str = Field(default="", sa_type=sa.Text)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", sa_type=sa.String(100))


class RiskEvent(SQLModel, table=True):
    """One change to a risk: who, when, and each changed field's value before and after."""

    __tablename__ = "risk_event"

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True, ondelete="CASCADE")
    action: RiskAction = Field(sa_type=sa.Enum(RiskAction, native_enum=False, length=16))
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    recorded_by: str = Field(sa_type=sa.String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
