from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import OutputModel, example
from app.webhooks.models import EventType


class ChangeRead(OutputModel):
    model_config = example(
        {
            "cursor": "1042",
            "event_id": 1040,
            "type": "task.status_changed",
            "occurred_at": "2020-09-14T10:32:05Z",
            "data": {"task_id": 17, "strand": "domestic-abuse", "plan_id": 1, "status": "at_risk"},
        }
    )

    cursor: str = Field(description="Pass it as `after` to resume just after this change.")
    event_id: int = Field(description="The event's id, as webhook deliveries of it carry.")
    type: EventType
    occurred_at: datetime
    data: dict[str, Any] = Field(description="As a webhook delivery of the event carries it.")


class ChangesRead(OutputModel):
    model_config = example(
        {
            "items": [
                {
                    "cursor": "1042",
                    "event_id": 1040,
                    "type": "task.status_changed",
                    "occurred_at": "2020-09-14T10:32:05Z",
                    "data": {"task_id": 17, "strand": "domestic-abuse", "status": "at_risk"},
                }
            ],
            "cursor": "1042",
            "has_more": False,
        }
    )

    items: list[ChangeRead]
    cursor: str = Field(
        description="Where to resume: send it as `after` next time (the same `after` when "
        "nothing is new)."
    )
    has_more: bool = Field(description="More changes are waiting: ask again straight away.")
