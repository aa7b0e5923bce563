from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from app.core.schemas import Day, Id, InputModel, OutputModel, TaskNo, example, text
from app.tasks.models import Pillar, Status

Title = text(2_000, 1)
How = text(10_000)
Owner = text(200)
DueText = text(200)
Note = text(5_000)
CommentBody = text(5_000, 1)


class TaskCreate(InputModel):
    model_config = example(
        {
            "plan_id": 1,
            "pillar": "prevent",
            "title": "Raise awareness of coercive control with partner agencies",
            "task_no": 3,
            "how": "Training sessions delivered; attendance recorded",
            "owner": "DA Coordinator",
            "due_date": "2018-09-30",
            "due_text": "Sep-18",
            "status": "ongoing",
            "added_on": "2018-05-04",
        }
    )
    plan_id: Id
    pillar: Pillar
    title: Title
    task_no: TaskNo | None = None
    how: How = ""
    owner: Owner = ""
    due_date: Day | None = None
    due_text: DueText = ""
    status: Status = Status.ongoing
    added_on: Day | None = Field(default=None, description="Defaults to today.")


class TaskUpdate(InputModel):
    """Any editable field but status (status changes are dated events)."""

    model_config = example(
        {"owner": "DA Coordinator", "due_date": "2020-12-31", "due_text": "Dec-20"}
    )

    pillar: Pillar | None = None
    title: Title | None = None
    task_no: TaskNo | None = None
    how: How | None = None
    owner: Owner | None = None
    due_date: Day | None = None
    due_text: DueText | None = None


class TaskRead(OutputModel):
    model_config = example(
        {
            "id": 17,
            "plan_id": 1,
            "strand_id": 1,
            "strand": "domestic-abuse",
            "pillar": "prevent",
            "task_no": 3,
            "title": "Raise awareness of coercive control with partner agencies",
            "how": "Training sessions delivered; attendance recorded",
            "owner": "DA Coordinator",
            "due_date": "2018-09-30",
            "due_text": "Sep-18",
            "status": "at_risk",
            "added_on": "2018-05-04",
            "linked_task_ids": [5],
            "overdue": False,
            "version": 4,
            "created_at": "2018-05-04T09:00:00Z",
            "created_by": "seed",
            "updated_at": "2020-09-14T10:32:05Z",
            "updated_by": "DA lead",
        }
    )
    id: int
    plan_id: Id
    strand_id: Id
    strand: str = Field(description="The strand's slug.")
    pillar: Pillar
    task_no: int | None
    title: str
    how: str
    owner: str
    due_date: date | None
    due_text: str
    status: Status
    added_on: date
    linked_task_ids: list[int] = Field(
        default_factory=list,
        description="Tasks of the plan that its How says it is linked to (`Linked to (N)`).",
    )
    overdue: bool
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class StatusChange(InputModel):
    model_config = example(
        {
            "status": "at_risk",
            "effective_date": "2020-09-14",
            "note": "Training postponed: venue unavailable",
        }
    )
    status: Status
    effective_date: Day | None = Field(default=None, description="Defaults to today.")
    note: Note = ""


class BatchStatusChange(StatusChange):
    task_id: Id


class StatusBatch(InputModel):
    model_config = example(
        {
            "events": [
                {"task_id": 17, "status": "complete", "effective_date": "2020-09-30", "note": ""},
                {
                    "task_id": 18,
                    "status": "at_risk",
                    "effective_date": "2020-09-30",
                    "note": "Funding delayed",
                },
            ]
        }
    )
    events: list[BatchStatusChange] = Field(min_length=1, max_length=500)


class StatusEventRead(OutputModel):
    model_config = example(
        {
            "id": 512,
            "task_id": 17,
            "status": "at_risk",
            "effective_date": "2020-09-14",
            "note": "Training postponed: venue unavailable",
            "recorded_by": "DA lead",
            "recorded_at": "2020-09-14T10:32:05Z",
        }
    )
    id: int
    task_id: Id
    status: Status
    effective_date: date
    note: str
    recorded_by: str
    recorded_at: datetime


class CommentCreate(InputModel):
    model_config = example({"body": "Venue confirmed for the October session."})

    body: CommentBody = Field(description="The note, as plain text.")


class CommentRead(OutputModel):
    model_config = example(
        {
            "id": 31,
            "task_id": 17,
            "body": "Venue confirmed for the October session.",
            "recorded_by": "DA lead",
            "recorded_at": "2020-09-14T10:32:05Z",
        }
    )

    id: int
    task_id: Id
    body: str
    recorded_by: str
    recorded_at: datetime


class StatusBatchRead(OutputModel):
    model_config = example(
        {
            "events": [
                {
                    "id": 512,
                    "task_id": 17,
                    "status": "at_risk",
                    "effective_date": "2020-09-14",
                    "note": "Training postponed: venue unavailable",
                    "recorded_by": "DA lead",
                    "recorded_at": "2020-09-14T10:32:05Z",
                }
            ]
        }
    )
    events: list[StatusEventRead]


class TaskSort(StrEnum):
    plan_order = "plan_order"
    due_date = "due_date"
    due_date_desc = "-due_date"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    title = "title"
    status = "status"
