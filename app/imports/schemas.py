from enum import StrEnum

from pydantic import Field

from app.core.schemas import OutputModel, example
from app.tasks.models import Pillar


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    skipped = "skipped"


class PlanExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


ROW_EXAMPLE = {
    "row": 4,
    "outcome": "updated",
    "pillar": "prevent",
    "task_no": 3,
    "title": "Raise awareness of coercive control with partner agencies",
    "task_id": 17,
    "changes": ["owner"],
    "reason": None,
}
PLAN_EXAMPLE = {
    "sheet": "DA 4P",
    "name": "Domestic Abuse",
    "plan_id": 1,
    "plan": "unchanged",
    "plan_changes": [],
    "rows_read": 23,
    "created": 0,
    "updated": 1,
    "unchanged": 21,
    "skipped": 1,
    "not_in_file": 0,
    "warnings": [],
    "rows": [ROW_EXAMPLE],
}
IMPORT_EXAMPLE = {
    "dry_run": True,
    "file": "Domestic Abuse 4P.xlsx",
    "strand": "domestic-abuse",
    "rows_read": 23,
    "created": 0,
    "updated": 1,
    "unchanged": 21,
    "skipped": 1,
    "warnings": [],
    "plans": [PLAN_EXAMPLE],
}


class RowOutcome(OutputModel):
    model_config = example(ROW_EXAMPLE)
    row: int = Field(description="The row's number in its sheet, as a spreadsheet shows it.")
    outcome: Outcome
    pillar: Pillar | None = None
    task_no: int | None = None
    title: str = Field(default="", description="The task text, shortened to 100 characters.")
    task_id: int | None = Field(default=None, description="None for a task a dry run would add.")
    changes: list[str] = Field(default_factory=list, description="The fields an update changes.")
    reason: str | None = Field(default=None, description="Why a skipped row is not a task.")


class PlanOutcome(OutputModel):
    model_config = example(PLAN_EXAMPLE)
    sheet: str
    name: str
    plan_id: int | None = Field(default=None, description="None for a plan a dry run would add.")
    plan: Outcome = Field(description="Whether the plan itself was created, updated or unchanged.")
    plan_changes: list[str] = Field(default_factory=list)
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    not_in_file: int = Field(description="Tasks of the plan the file does not name, left as is.")
    warnings: list[str] = Field(default_factory=list)
    rows: list[RowOutcome]


class ImportReport(OutputModel):
    model_config = example(IMPORT_EXAMPLE)
    dry_run: bool = Field(description="True: nothing was written; this is what an import would do.")
    file: str
    strand: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    warnings: list[str] = Field(default_factory=list)
    plans: list[PlanOutcome]
