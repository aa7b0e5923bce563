"""The log of reminder passes: one row per person and day, queued as mail or skipped."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class ReminderStatus(enum.StrEnum):
    queued = "queued"
    skipped = "skipped"


class Reminder(SQLModel, table=True):
    """What a pass decided for one person on one day: at most one, so a second run sends none.

    Written in the same transaction as the digest's mail message (when there is one).
    """

    __tablename__ = "reminder"
    # Written by the reminder pass, not by people: it is the record of itself.
    __audit__ = False
    __table_args__ = (sa.UniqueConstraint("person_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    day: date = Field(index=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10))
    return_deadline: date
    name: str = Field(default="", sa_type=sa.String(200))
    email: str = Field(default="", sa_type=sa.String(320))
    status: ReminderStatus = Field(sa_type=sa.Enum(ReminderStatus, native_enum=False, length=16))
    reason: str = Field(default="", sa_type=sa.String(200))
    items: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    mail_message_id: int | None = Field(
        default=None, foreign_key="mail_message.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
