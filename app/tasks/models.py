"""Tasks of a 4P delivery plan and the dated status events that give each its status."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class Pillar(enum.StrEnum):
    prevent = "prevent"
    pursue = "pursue"
    protect = "protect"
    prepare = "prepare"


class Status(enum.StrEnum):
    ongoing = "ongoing"
    at_risk = "at_risk"
    complete = "complete"
    withdrawn = "withdrawn"


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        # Some plans number their tasks afresh under each pillar.
        sa.UniqueConstraint("plan_id", "pillar", "task_no"),
        sa.Index("ix_task_strand_id_status", "strand_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="delivery_plan.id", index=True, ondelete="CASCADE")
    # Copied from the plan when the task is made, so that strand filters and counts need no join.
    strand_id: int = Field(foreign_key="strand.id", ondelete="CASCADE")
    pillar: Pillar = Field(sa_type=sa.Enum(Pillar, native_enum=False, length=16))
    task_no: int | None = Field(default=None)
    title: str = Field(sa_type=sa.Text)
    how: str = Field(default="", sa_type=sa.Text)
    owner: str = Field(default="", sa_type=sa.String(200))
    due_date: date | None = Field(default=None, index=True)
    due_text: str = Field(default="", sa_type=sa.String(200))
    added_on: date
    # The status of the latest event, kept in step by the service that records events.
    status: Status = Field(sa_type=sa.Enum(Status, native_enum=False, length=16))
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_by: str = Field(default="", sa_type=sa.String(100))


class StatusEvent(SQLModel, table=True):
    __tablename__ = "status_event"
    __table_args__ = (
        sa.Index("ix_status_event_task_id_effective_date", "task_id", "effective_date", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    status: Status = Field(sa_type=sa.Enum(Status, native_enum=False, length=16))
    effective_date: date
    note: str = Field(default="", sa_type=sa.Text)
    recorded_by: str = Field(sa_type=sa.String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskLink(SQLModel, table=True):
    """One task's `Linked to action (N)`: the task whose How names another task of its plan."""

    __tablename__ = "task_link"
    __table_args__ = (sa.UniqueConstraint("task_id", "linked_task_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    linked_task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
