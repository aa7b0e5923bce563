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
        # `updated_since` and the list of every task's events read them in recorded order.
        sa.Index("ix_status_event_recorded_at", "recorded_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", ondelete="CASCADE")
    status: Status = Field(sa_type=sa.Enum(Status, native_enum=False, length=16))
    effective_date: date
    note: str = Field(default="", sa_type=sa.Text)
    recorded_by: str = Field(sa_type=sa.String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskComment(SQLModel, table=True):
    """A note on a task without a change of status: kept in its history, counted nowhere."""

    __tablename__ = "task_comment"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    body: str = Field(sa_type=sa.Text)
    recorded_by: str = Field(sa_type=sa.String(100))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StatusSpan(SQLModel, table=True):
    """The quarters at whose last day a task stands in one status: ordinals `from_q <= q < until_q`.

    Derived from the task and its events and rewritten whenever either changes (see
    `app.tasks.spans`), so that a quarter's counts are one scan of an index rather than a walk
    over the whole history. The task's plan, pillar and due date are copied onto each span for the
    same reason. Withdrawn spans, and spans that hold at no quarter's end, are not kept.
    """

    __audit__ = False  # derived from tasks and events, which are audited

    __tablename__ = "status_span"
    __table_args__ = (
        # Serves both the dashboard (one quarter) and the trend (the spans grouped as they come).
        sa.Index(
            "ix_status_span_counts", "plan_id", "pillar", "status", "from_q", "until_q", "due_date"
        ),
        # Serves the running quarter's overdue count: the open tasks due between today and its end.
        sa.Index(
            "ix_status_span_due", "due_date", "status", "from_q", "until_q", "plan_id", "pillar"
        ),
    )

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    from_q: int = Field(primary_key=True)
    until_q: int
    plan_id: int
    pillar: Pillar = Field(sa_type=sa.Enum(Pillar, native_enum=False, length=16))
    status: Status = Field(sa_type=sa.Enum(Status, native_enum=False, length=16))
    due_date: date | None = None


class SpanStep(SQLModel, table=True):
    """The spans counted as steps: by plan, pillar and status, how many more tasks stand in it
    from quarter `q` on than at the quarter before (the spans that start in `q`, less those that
    end there); with `overdue`, the open spans counted over the quarters in which their task is
    overdue. Kept in step with the spans.

    A count at a quarter's end is the sum of the steps up to that quarter, so a dashboard reads
    a row per plan, pillar, status and quarter of history, and a trend of many quarters reads the
    same rows once, summing each into every quarter from its own on. A step that falls to 0 keeps
    its row; it counts nothing.
    """

    __audit__ = False  # derived from tasks and events, which are audited

    __tablename__ = "span_step"

    plan_id: int = Field(foreign_key="delivery_plan.id", primary_key=True, ondelete="CASCADE")
    pillar: Pillar = Field(primary_key=True, sa_type=sa.Enum(Pillar, native_enum=False, length=16))
    status: Status = Field(primary_key=True, sa_type=sa.Enum(Status, native_enum=False, length=16))
    overdue: bool = Field(default=False, primary_key=True)
    q: int = Field(primary_key=True)
    n: int


class TaskLink(SQLModel, table=True):
    """One task's `Linked to action (N)`: the task whose How names another task of its plan."""

    __tablename__ = "task_link"
    __table_args__ = (sa.UniqueConstraint("task_id", "linked_task_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    linked_task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
