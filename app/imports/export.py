"""Delivery plans written back out in the Appendix 2 layout the importer reads.

One sheet per plan — a title row naming the plan, a blank row, the header, then its tasks with the
pillar on the first row of each pillar's group, each with its Status and the day it took effect —
and a leads sheet first, so that importing an export changes nothing. A CSV holds one plan in the
same layout; one holding several plans has a last `Plan` column saying which each row belongs to.
"""

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi.responses import Response
from sqlmodel import Session, select

from app.core.exports import XLSX, csv_response, safe_text
from app.core.schemas import scrub_text, slugify
from app.imports.reader import STATUS_LABELS
from app.imports.schemas import PlanExportFormat
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand
from app.tasks.models import StatusEvent, Task
from app.tasks.service import TaskFilters, task_query

HEADER = (
    "Strand",
    "Task",
    "How will this be delivered?/ How will we measure performance?",
    "Who",
    "When",
    "Task No",
    "Status",
    "Status since",
)
LEADS_SHEET = "Strand Leads & Review Dates"
LEADS_HEADER = ("Area", "Tactical Lead", "Operational Lead", "Strand")
WIDTHS = (12, 60, 80, 24, 20, 9, 12, 12, 30)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass
class PlanExport:
    name: str
    strand: str
    tactical_lead: str
    operational_lead: str
    tasks: list[Task] = field(default_factory=list)
    status_since: dict[int, date] = field(default_factory=dict)

    def rows(self) -> Iterator[list[Any]]:
        """The plan's task rows, the pillar written on the first row of each of its groups."""
        pillar = None
        for task in self.tasks:
            shown = task.pillar.value.upper() if task.pillar != pillar else ""
            pillar = task.pillar
            yield [
                shown,
                task.title,
                task.how,
                task.owner,
                task.due_text,
                task.task_no,
                STATUS_LABELS[task.status],
                self.status_since.get(task.id),  # type: ignore[arg-type]
            ]


def plans_of_tasks(*, session: Session, filters: TaskFilters) -> list[PlanExport]:
    """Every task the filters match (not a page), grouped by plan in the plans' order."""
    rows = session.execute(task_query(filters)).all()
    plan_ids = list(dict.fromkeys(task.plan_id for task, _ in rows))
    plans = _plans(session, plan_ids)
    since = status_dates(session, [task.id for task, _ in rows])
    for task, _ in rows:
        plans[task.plan_id].tasks.append(task)
        plans[task.plan_id].status_since[task.id] = since[task.id]  # type: ignore[index]
    return [plans[plan_id] for plan_id in plan_ids]


def status_dates(session: Session, task_ids: Sequence[int]) -> dict[int, date]:
    """The day each task's status took effect: its latest event's effective date."""
    found: dict[int, date] = {}
    for start in range(0, len(task_ids), 10_000):
        chunk = task_ids[start : start + 10_000]
        found.update(
            session.execute(
                sa.select(StatusEvent.task_id, sa.func.max(StatusEvent.effective_date))
                .where(StatusEvent.task_id.in_(chunk))  # type: ignore[attr-defined]
                .group_by(StatusEvent.task_id)
            ).all()
        )
    return found


def plan_export(*, session: Session, plan_id: int) -> PlanExport:
    """One plan with all its tasks, even when it has none."""
    plan = strategies.get_plan(session=session, plan_id=plan_id)
    found = plans_of_tasks(session=session, filters=TaskFilters(plan_id=(plan.id,)))
    return found[0] if found else _plans(session, [plan.id])[plan.id]  # type: ignore[index]


def _plans(session: Session, plan_ids: Sequence[int]) -> dict[int, PlanExport]:
    if not plan_ids:
        return {}
    statement = (
        select(DeliveryPlan, Strand.slug)
        .join(Strand, Strand.id == DeliveryPlan.strand_id)  # type: ignore[arg-type]
        .where(DeliveryPlan.id.in_(plan_ids))  # type: ignore[union-attr]
    )
    return {
        plan.id: PlanExport(plan.name, slug, plan.tactical_lead, plan.operational_lead)
        for plan, slug in session.execute(statement).all()
    }  # type: ignore[misc]


def download(plans: Sequence[PlanExport], fmt: PlanExportFormat, stem: str) -> Response:
    filename = f"{stem}.{fmt.value}"
    if fmt is PlanExportFormat.csv:
        title, rows = csv_layout(plans)
        return csv_response(filename, [title], rows)
    return Response(
        xlsx_workbook(plans),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def file_stem(plan: PlanExport) -> str:
    return f"{plan.strand}--{slugify(plan.name) or 'plan'}"


def csv_layout(plans: Sequence[PlanExport]) -> tuple[str, Iterator[Sequence[Any]]]:
    """The title and the rows below it: blank, header, tasks (with a Plan column for several)."""
    several = len(plans) > 1
    title = plans[0].name if len(plans) == 1 else "Delivery plans"

    def rows() -> Iterator[Sequence[Any]]:
        yield []
        yield [*HEADER, "Plan"] if several else list(HEADER)
        for plan in plans:
            for row in plan.rows():
                yield [*row, plan.name] if several else row

    return title, rows()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    return value


def _sheet_title(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("-", " ".join(scrub_text(name).split())).strip("' ")[:31] or "Plan"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def xlsx_workbook(plans: Sequence[PlanExport]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cells(sheet: Any, values: Sequence[Any], *, font: Font | None = None) -> list:
        row = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_clean(value))
            cell.alignment = wrap
            if font is not None:
                cell.font = font
            row.append(cell)
        return row

    taken = {LEADS_SHEET.lower()}
    leads = workbook.create_sheet(LEADS_SHEET)
    for letter, width in zip("ABCD", (40, 30, 30, 40), strict=True):
        leads.column_dimensions[letter].width = width
    leads.append(cells(leads, [LEADS_SHEET], font=bold))
    leads.append([])
    leads.append(cells(leads, LEADS_HEADER, font=bold))
    for plan in plans:
        leads.append(
            cells(leads, [plan.name, plan.tactical_lead, plan.operational_lead, plan.strand])
        )
    for plan in plans:
        sheet = workbook.create_sheet(_sheet_title(plan.name, taken))
        for letter, width in zip("ABCDEFGH", WIDTHS, strict=False):
            sheet.column_dimensions[letter].width = width
        sheet.append(cells(sheet, [plan.name], font=bold))
        sheet.append([])
        sheet.append(cells(sheet, HEADER, font=bold))
        for row in plan.rows():
            sheet.append(cells(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
