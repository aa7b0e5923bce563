"""The shapes of quarter locks, publications and restatements as the API shows them."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.quarters import QuarterField
from app.core.schemas import Day, Id, InputModel, OutputModel, example, text


class LockInfo(BaseModel):
    model_config = example({"id": 4, "locked_at": "2020-10-20T16:00:00Z", "locked_by": "admin"})

    id: int
    locked_at: datetime
    locked_by: str


class LockCreate(InputModel):
    model_config = example({"quarter": "2020-21-Q2", "strategy_id": 1})

    quarter: QuarterField
    strategy_id: Id | None = Field(
        default=None, description="The strategy; by default the one running today, else the latest."
    )


class LockRead(OutputModel):
    model_config = example(
        {
            "id": 4,
            "strategy_id": 1,
            "quarter": "2020-21-Q2",
            "starts_on": "2020-07-01",
            "ends_on": "2020-09-30",
            "in_force": True,
            "locked_at": "2020-10-20T16:00:00Z",
            "locked_by": "admin",
            "unlocked_at": None,
            "unlocked_by": None,
        }
    )

    id: int
    strategy_id: Id
    quarter: str
    starts_on: date
    ends_on: date
    in_force: bool
    locked_at: datetime
    locked_by: str
    unlocked_at: datetime | None
    unlocked_by: str | None


class TimetableWrite(InputModel):
    model_config = example({"return_deadline": "2020-10-16", "board_date": "2020-11-03"})

    return_deadline: Day | None = Field(
        default=None,
        description="When the quarter's returns are due; null: the default, working days after "
        "the quarter's end.",
        examples=["2021-04-16"],
    )
    board_date: Day | None = Field(
        default=None, description="When the board meets on the quarter.", examples=["2021-05-04"]
    )


class TimetableRead(BaseModel):
    model_config = example(
        {
            "strategy_id": 1,
            "quarter": "2020-21-Q2",
            "return_deadline": "2020-10-16",
            "return_deadline_is_default": False,
            "board_date": "2020-11-03",
            "reminder_days": ["2020-10-09", "2020-10-14"],
            "updated_at": "2020-09-14T10:32:05Z",
            "updated_by": "admin",
        }
    )

    strategy_id: int
    quarter: str
    return_deadline: date
    return_deadline_is_default: bool = Field(
        description="True while no admin has set the deadline: it is then the default."
    )
    board_date: date | None
    reminder_days: list[date] = Field(description="The days reminders go out, oldest first.")
    updated_at: datetime | None
    updated_by: str | None


class PublicationFileRead(BaseModel):
    format: str
    media_type: str
    filename: str
    sha256: str = Field(description="The hex SHA-256 of the bytes, served as their ETag.")
    size: int


class PublicationRead(BaseModel):
    """One published version of a document, with the digest of each of its files."""

    model_config = example(
        {
            "kind": "board_paper",
            "key": "1/2020-21-Q2",
            "version": 1,
            "reason": "",
            "changes": [],
            "published_at": "2020-10-20T16:00:00Z",
            "published_by": "admin",
            "files": [
                {
                    "format": "pdf",
                    "media_type": "application/pdf",
                    "filename": "board-paper-2020-21-Q2-v1.pdf",
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "size": 184322,
                }
            ],
        }
    )

    kind: str = Field(description="Which document: `board_paper`.")
    key: str = Field(description="Which of them: `{strategy_id}/{quarter}` for a board paper.")
    version: int
    reason: str = Field(description="Why it was restated; empty for a first version.")
    changes: list[dict[str, Any]] = Field(description="What changed against the version before.")
    published_at: datetime
    published_by: str
    files: list[PublicationFileRead]


class RestatementCreate(InputModel):
    model_config = example(
        {"reason": "The Hate Crime figures left out two tasks added in September."}
    )
    reason: text(2000, 1) = Field(description="Why the published version must be corrected.")  # type: ignore[valid-type]


class RestatementRead(OutputModel):
    model_config = example(
        {
            "kind": "board_paper",
            "key": "1/2020-21-Q2",
            "reason": "The Hate Crime figures left out two tasks added in September.",
            "of_version": 1,
            "restated_at": "2020-11-02T09:15:00Z",
            "restated_by": "admin",
            "published_version": 1,
        }
    )
    kind: str
    key: str
    reason: str
    of_version: int
    restated_at: datetime
    restated_by: str
    published_version: int | None
