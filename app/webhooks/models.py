"""Webhook subscriptions, the outbox of events, and one delivery per event and subscription."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class EventType(enum.StrEnum):
    """Every event a subscription can ask for; each domain emits its own with `emit(...)`.

    Task events' data start with `task_id`, `strand` (slug) and `plan_id`, then:
    `task.created` the `task` as GET /tasks/{id} shows it; `task.updated` the `changes`
    (`{field: {"old", "new"}}`) and the `task`; `task.status_changed` the `event_id`, the
    `status` it records, the task's `old_status` and `new_status`, `effective_date`, `note`,
    `recorded_by` and `recorded_at`; `task.commented` the `comment_id`, `body`, `recorded_by`
    and `recorded_at`. Risk events carry the `ref`, `strand` and the `risk` as
    GET /risks/{ref} shows it; `risk.updated` adds the `action` (updated, closed, reopened) and
    the `changes`. `return.submitted` carries the `strand`, `quarter` and the `return`.
    `commentary.submitted` carries the `plan`, `quarter`, `contributor` and the submitted
    `commentaries` (each as GET /pcp/commentary/{id} shows it).
    `quarter.locked` carries the `quarter`, `strategy_id`, who locked it and the published
    figures. `board_paper.published` carries the `quarter`, `strategy_id`, `version`, the
    `reason` of a restatement, who published it and when, and each format's `sha256`.
    """

    task_created = "task.created"
    task_updated = "task.updated"
    task_status_changed = "task.status_changed"
    task_commented = "task.commented"
    risk_created = "risk.created"
    risk_updated = "risk.updated"
    quarter_locked = "quarter.locked"
    return_submitted = "return.submitted"
    commentary_submitted = "commentary.submitted"
    board_paper_published = "board_paper.published"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookSubscription(SQLModel, table=True):
    """A receiver and what it asked for; the worker keeps how it has been answering.

    `consecutive_failures` counts the rounds of failed attempts since its last success, and no
    delivery is sent to it before `backoff_until`: a receiver that keeps failing is tried once a
    backoff (doubling, capped), not once per delivery, and the others are not held up by it.
    """

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=sa.String(2000))
    # Kept in clear because every delivery is signed with it; it is never sent back by the API.
    secret: str = Field(sa_type=sa.String(200))
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = Field(default=True, index=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", sa_type=sa.String(100))
    consecutive_failures: int = Field(default=0)
    backoff_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookEvent(SQLModel, table=True):
    """The outbox: written in the same transaction as the change it reports."""

    __tablename__ = "webhook_event"
    # The outbox and delivery log are the record of themselves; the audit trail keeps the changes.
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    # Stored as the dotted value receivers see (`task.created`), not the Python name.
    type: EventType = Field(
        sa_type=sa.Enum(
            EventType,
            native_enum=False,
            length=32,
            values_callable=lambda kind: [member.value for member in kind],
        )
    )
    data: dict = Field(default_factory=dict, sa_type=sa.JSON)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event on its way to one subscription, and the log of trying to get it there.

    The id is what receivers see in `X-Tracker-Delivery`: a UUID, the same on every retry, so that
    it stays unique across databases restored from backups. While an attempt is in flight,
    `next_attempt_at` is when another worker may take the delivery over if this one has died.
    """

    __tablename__ = "webhook_delivery"
    __audit__ = False
    __table_args__ = (
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, sa_type=sa.String(36))
    subscription_id: int = Field(
        foreign_key="webhook_subscription.id", index=True, ondelete="CASCADE"
    )
    # The event's id, without a foreign key (see migration 0027): pruning removes an event only
    # once no delivery needs it.
    event_id: int = Field(index=True)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending,
        sa_type=sa.Enum(DeliveryStatus, native_enum=False, length=16),
    )
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = Field(default=None)
    last_error: str = Field(default="", sa_type=sa.String(500))
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set when an admin asked for an earlier delivery to be sent again.
    replay_of: str | None = Field(
        default=None,
        foreign_key="webhook_delivery.id",
        index=True,
        ondelete="SET NULL",
        sa_type=sa.String(36),
    )
    replayed_by: str = Field(default="", sa_type=sa.String(100))
