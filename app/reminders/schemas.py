"""The reminder log as the API shows it."""

import enum
from datetime import date, datetime

from pydantic import Field

from app.core.schemas import OutputModel, example


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
    model_config = example(
        {
            "id": 21,
            "day": "2021-04-12",
            "quarter": "2020-21-Q4",
            "return_deadline": "2021-04-16",
            "person_id": 7,
            "name": "Jane Smith",
            "email": "jane.smith@police.example.org",
            "state": "sent",
            "reason": "",
            "items": [
                {
                    "kind": "return_missing",
                    "ref": "domestic-abuse",
                    "title": "Domestic Abuse return for 2020/21 Q4",
                    "detail": "not submitted",
                    "url": "/workspace/domestic-abuse",
                }
            ],
            "message_id": "<20210412.21@tracker.example.org>",
            "attempts": 1,
            "last_error": "",
            "sent_at": "2021-04-12T07:00:03Z",
            "created_at": "2021-04-12T07:00:00Z",
        }
    )
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
