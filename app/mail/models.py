"""The mail outbox: one row per message, written in the transaction that decides to send it."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class MailStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class MailMessage(SQLModel, table=True):
    """A message on its way to one recipient, and the log of trying to get it there.

    `message_id` is the `Message-ID` header, fixed when the row is written, so every retry sends
    the same message. While an attempt is in flight, `next_attempt_at` is when another worker may
    take it over if this one has died.
    """

    __tablename__ = "mail_message"
    # The outbox is the record of itself; the audit trail keeps the changes that queued it.
    __audit__ = False
    __table_args__ = (
        sa.Index("ix_mail_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_type=sa.String(200), unique=True)
    to_address: str = Field(sa_type=sa.String(320))
    to_name: str = Field(default="", sa_type=sa.String(200))
    subject: str = Field(sa_type=sa.String(300))
    text_body: str = Field(sa_type=sa.Text)
    html_body: str = Field(sa_type=sa.Text)
    status: MailStatus = Field(
        default=MailStatus.pending, sa_type=sa.Enum(MailStatus, native_enum=False, length=16)
    )
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_code: int | None = Field(default=None)
    last_error: str = Field(default="", sa_type=sa.String(500))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
