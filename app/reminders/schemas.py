"""The reminder log as the API shows it."""

import enum
from datetime import date, datetime

from pydantic import Field

from app.core.schemas import OutputModel


class ReminderState(enum.StrEnum):
    """Where a digest stands: its mail pending, sent or failed, or the person skipped."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class ReminderItem(OutputModel):
    kind: str = Field(
        description="`return_missing`, `task_overdue`, `task_not_updated` or `risk_review_due`."
    )
    ref: str = Field(description="The task's id, the risk's ref or the strand's slug.")
    title: str
    detail: str
    url: str = Field(description="Where in the lead's workspace to put it right.")


class ReminderRead(OutputModel):
    id: int
    day: date
    quarter: str
    return_deadline: date
    person_id: int
    name: str
    email: str
    state: ReminderState
    reason: str = Field(description="Why the person was skipped (no e-mail, reminders off).")
    items: list[ReminderItem]
    message_id: str | None = Field(description="The mail's Message-ID, when one was queued.")
    attempts: int
    last_error: str
    sent_at: datetime | None
    created_at: datetime
