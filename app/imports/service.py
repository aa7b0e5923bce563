"""Importing delivery plans: every row matched to its task, compared, then created or updated.

A row matches its task by plan, pillar and task number, or, where the sheet has no number, by its
text within the plan and pillar. The whole import is worked out first — which rows create, update,
leave alone or skip, and why — from one query for the plan's tasks and one for their links; a dry
run stops there and writes nothing. A real run then applies it through the task service (so an
import is recorded like any other edit) inside the caller's one transaction.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, select

from app.audit import service as audit
from app.auth.service import Actor, ensure_can_write
from app.core.base import today, utcnow
from app.core.config import Settings, get_settings
from app.core.db import insert_rows
from app.core.errors import Conflict, DomainError, Invalid, NotFound
from app.core.schemas import refused_character, scrub_text
from app.core.when import parse_when
from app.imports.links import linked_numbers
from app.imports.reader import (
    STATUS_LABELS,
    PlanLeads,
    PlanRow,
    PlanSheet,
    matches,
    read_plan_file,
)
from app.imports.schemas import ImportReport, Outcome, PlanOutcome, RowOutcome
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand
from app.strategies.schemas import PlanCreate, PlanUpdate
from app.tasks import service as tasks
from app.tasks.models import Pillar, Status, Task, TaskLink
from app.tasks.schemas import StatusChange, TaskCreate, TaskUpdate

Progress = Callable[[int, int], None]
# Where a row's task is, or will be: ("task", id) for one that exists, ("row", n) for a new one.
Ref = tuple[str, int]

COMPARED = ("title", "how", "owner", "due_text")
COLUMN_OF_FIELD = {
    "title": "Task",
    "how": "How",
    "owner": "Who",
    "due_text": "When",
    "task_no": "Task No",
    "pillar": "Strand",
}
SHOWN_TITLE = 100
# New tasks are written this many at a time: few statements, and a progress bar that moves.
CREATE_BATCH = 1_000


@dataclass
class _Item:
    """What the import will do with one row."""

    row: PlanRow
    outcome: Outcome = Outcome.skipped
    reason: str | None = None
    task: Task | None = None
    create: TaskCreate | None = None
    update: dict[str, Any] = field(default_factory=dict)
    status: Status | None = None
    changes: list[str] = field(default_factory=list)
    wanted_links: set[Ref] | None = None
    created_id: int | None = None

    @property
    def ref(self) -> Ref:
        if self.task is not None:
            return ("task", self.task.id)  # type: ignore[return-value]
        return ("row", self.row.number)

    @property
    def task_id(self) -> int | None:
        return self.task.id if self.task is not None else self.created_id


@dataclass
class _PlanWork:
    sheet: PlanSheet
    name: str
    plan: DeliveryPlan | None
    plan_is_new: bool
    plan_changes: dict[str, str]
    items: list[_Item]
    existing: list[Task]
    links: dict[int, list[TaskLink]]
    warnings: list[str]


# Stands in for the id of a plan the import has yet to create while its rows are validated;
# each task is given the real id before it is written.
PLAN_NOT_YET_MADE = 1


def import_file(
    *,
    session: Session,
    actor: Actor,
    content: bytes,
    filename: str,
    strand_slug: str,
    plan_name: str | None = None,
    dry_run: bool = False,
    added_on: date | None = None,
    effective_date: date | None = None,
    leads: PlanLeads | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Import the delivery plans of an .xlsx or .csv file into a strand, or say what it would do.

    `plan_name` names the plan of a one-plan file (instead of its title row or sheet name);
    `leads` gives that plan's leads when the file has no leads sheet; new tasks are added on
    `added_on` (today by default); a changed Status is recorded as an event effective on
    `effective_date` (today by default), refused, like any event, where that day's quarter is
    closed, with every refused row named.
    """
    settings = settings or get_settings()
    filename = " ".join(scrub_text(filename).split())[:200]
    ensure_can_write(actor, strand_slug)
    added_on = added_on or today()
    if added_on > today():
        raise Invalid(f"{added_on} is in the future", field="added_on")
    # Read before the first statement: on SQLite that statement takes the write lock, which
    # every other strand's writes wait for, and reading a large workbook takes seconds.
    parsed = read_plan_file(
        content,
        filename,
        max_rows=settings.import_max_rows,
        max_unpacked_bytes=settings.import_max_unpacked_bytes,
    )
    strand = _strand(session, strand_slug)
    if plan_name is not None and len(parsed.plans) > 1:
        raise Invalid(
            f"the file holds {len(parsed.plans)} plans; a plan name can only be given for one",
            field="plan",
        )
    warnings = list(parsed.warnings)
    names: dict[str, str] = {}
    works = []
    for sheet in parsed.plans:
        name = _plan_name(plan_name or sheet.name)
        if name in names:
            raise Invalid(
                f"{names[name]!r} and {sheet.source!r} both hold the plan {name!r}", field="file"
            )
        names[name] = sheet.source
        plan_leads = leads or _leads_for(parsed.leads, sheet, name, strand)
        works.append(_plan_work(session, strand, sheet, name, plan_leads, added_on))
    _warn_unused_leads(parsed.leads, [w.name for w in works], [w.sheet for w in works], warnings)
    effective_date = effective_date or today()
    _check_status_dates(session, works, effective_date)
    if not dry_run:
        total = sum(len(work.items) for work in works)
        done = 0
        for work in works:
            done = _apply(
                session, actor, strand, work, filename, effective_date, progress, done, total
            )
    report = _report(works, dry_run=dry_run, filename=filename, strand=strand, warnings=warnings)
    if not dry_run:
        audit.record(
            session=session,
            action="import",
            entity="strand",
            entity_id=str(strand.id),
            strand_id=strand.id,
            after=report.model_dump(mode="json", exclude={"plans", "dry_run"}),
        )
    return report


def _check_status_dates(session: Session, works: list[_PlanWork], effective_date: date) -> None:
    """Every Status the import changes must be recordable on `effective_date`; else name the
    rows, and nothing is written (422 for a day that cannot be, 409 for a closed quarter)."""
    errors: list[dict[str, str]] = []
    refused: set[type[DomainError]] = set()
    for work in works:
        for item in work.items:
            if item.task is None or item.status is None or item.row.status is None:
                continue
            field = f"{work.sheet.source} row {item.row.number}"
            try:
                tasks.check_event_date(
                    session=session, task=item.task, effective_date=effective_date, field=field
                )
            except (Invalid, Conflict) as error:
                errors.append({"field": field, "message": error.detail})
                refused.add(type(error))
    if Invalid in refused:
        raise Invalid(
            f"some Status changes cannot take effect on {effective_date}; nothing was imported",
            errors=errors,
        )
    if refused:
        raise Conflict(
            f"some Status changes fall in a closed quarter ({effective_date}); nothing was "
            "imported",
            errors=errors,
        )


def _strand(session: Session, slug: str) -> Strand:
    try:
        return strategies.get_strand(session=session, slug=slug)
    except NotFound as error:
        raise Invalid(error.detail, field="strand") from error


def _plan_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200 or refused_character(name):
        raise Invalid(
            "a plan name (the --plan given, or the title row or sheet name) must be 1 to 200 "
            "characters of text",
            field="plan",
        )
    return name


def _leads_for(
    leads: Sequence[PlanLeads], sheet: PlanSheet, name: str, strand: Strand
) -> PlanLeads | None:
    """The leads sheet's row whose area names this plan or its sheet."""
    found = next((lead for lead in leads if matches(lead.area, name)), None)
    found = found or next((lead for lead in leads if matches(lead.area, sheet.source)), None)
    if found is None:
        return None
    if found.strand and found.strand != strand.slug:
        raise Invalid(
            f"the leads sheet puts the plan {name!r} in the strand {found.strand!r}, "
            f"not {strand.slug!r}: import it into its own strand",
            field="strand",
        )
    return found


def _warn_unused_leads(
    leads: Sequence[PlanLeads], names: list[str], sheets: list[PlanSheet], warnings: list[str]
) -> None:
    for lead in leads:
        used = any(matches(lead.area, n) for n in names) or any(
            matches(lead.area, s.source) for s in sheets
        )
        if not used:
            warnings.append(f"the leads sheet's area {lead.area!r} matches no plan; not used")


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _plan_work(
    session: Session,
    strand: Strand,
    sheet: PlanSheet,
    name: str,
    leads: PlanLeads | None,
    added_on: date,
) -> _PlanWork:
    plan = session.exec(
        select(DeliveryPlan).where(DeliveryPlan.strand_id == strand.id, DeliveryPlan.name == name)
    ).first()
    wanted_leads = {}
    if leads is not None:
        wanted_leads = {
            key: value
            for key, value in (
                ("tactical_lead", leads.tactical_lead),
                ("operational_lead", leads.operational_lead),
            )
            if value
        }
    try:
        PlanUpdate(**wanted_leads)
    except ValidationError as error:
        raise Invalid(f"the leads of the plan {name!r}: {_invalid(error)}", field="file") from error
    plan_changes = wanted_leads
    existing: list[Task] = []
    links: dict[int, list[TaskLink]] = defaultdict(list)
    if plan is not None:
        plan_changes = {k: v for k, v in wanted_leads.items() if getattr(plan, k) != v}
        existing = list(
            session.exec(select(Task).where(Task.plan_id == plan.id).order_by(Task.id))  # type: ignore[arg-type]
        )
        in_plan = select(Task.id).where(Task.plan_id == plan.id)
        for link in session.exec(
            select(TaskLink).where(TaskLink.task_id.in_(in_plan))  # type: ignore[attr-defined]
        ):
            links[link.task_id].append(link)
    work = _PlanWork(
        sheet=sheet,
        name=name,
        plan=plan,
        plan_is_new=plan is None,
        plan_changes=plan_changes,
        items=[_Item(row=row, reason=row.skipped) for row in sheet.rows],
        existing=existing,
        links=links,
        warnings=[],
    )
    _match(work)
    for item in work.items:
        if item.reason is None:
            _compare(item, plan_id=plan.id if plan else PLAN_NOT_YET_MADE, added_on=added_on)
    _plan_links(work)
    return work


def _match(work: _PlanWork) -> None:
    """Pair rows with existing tasks: by number first, then by text; report repeated rows."""
    by_number = {(t.pillar, t.task_no): t for t in work.existing if t.task_no is not None}
    by_title: dict[tuple[Pillar, str], list[Task]] = defaultdict(list)
    for task in sorted(work.existing, key=lambda t: (t.task_no is not None, t.id)):
        by_title[(task.pillar, _title_key(task.title))].append(task)
    seen: dict[tuple, int] = {}
    claimed: set[int] = set()
    waiting = []
    for item in work.items:
        row = item.row
        if row.skipped:
            continue
        key = (
            ("no", row.pillar, row.task_no)
            if row.task_no is not None
            else ("text", row.pillar, _title_key(row.title))
        )
        if key in seen:
            item.reason = f"duplicate of row {seen[key]}"
            continue
        seen[key] = row.number
        match = by_number.get((row.pillar, row.task_no)) if row.task_no is not None else None
        if match is not None:
            item.task = match
            claimed.add(match.id)  # type: ignore[arg-type]
        else:
            waiting.append(item)
    for item in waiting:
        numbered = item.row.task_no is not None
        for task in by_title.get((item.row.pillar, _title_key(item.row.title)), []):  # type: ignore[arg-type]
            if task.id not in claimed and not (numbered and task.task_no is not None):
                item.task = task
                claimed.add(task.id)  # type: ignore[arg-type]
                break


def _invalid(error: ValidationError) -> str:
    messages = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        messages.append(f"{COLUMN_OF_FIELD.get(name, name)}: {problem['msg']}")
    return "; ".join(messages)


def _compare(item: _Item, *, plan_id: int, added_on: date) -> None:
    row = item.row
    if item.task is None:
        try:
            item.create = TaskCreate(
                plan_id=plan_id,
                pillar=row.pillar,  # type: ignore[arg-type]
                title=row.title,
                task_no=row.task_no,
                how=row.how,
                owner=row.owner,
                due_text=row.due_text,
                due_date=row.when.due_date,
                status=row.status or (Status.complete if row.when.complete else Status.ongoing),
                added_on=added_on,
            )
        except ValidationError as error:
            item.reason = _invalid(error)
            return
        item.outcome = Outcome.created
        return
    task = item.task
    wanted = {name: getattr(row, name) for name in COMPARED}
    if row.task_no is not None:
        wanted["task_no"] = row.task_no
    changes = {name: value for name, value in wanted.items() if getattr(task, name) != value}
    if changes:
        try:
            TaskUpdate(**changes)
        except ValidationError as error:
            item.reason = _invalid(error)
            return
    item.update = changes
    item.changes = list(changes)
    if "due_text" in changes and parse_when(row.due_text).due_date != task.due_date:
        item.changes.append("due_date")
    if row.status is not None:
        if row.status is not task.status:
            item.status = row.status
    elif "due_text" in changes:
        was_complete = parse_when(task.due_text).complete
        if row.when.complete and not was_complete and task.status is not Status.complete:
            item.status = Status.complete
        elif was_complete and not row.when.complete and task.status is Status.complete:
            item.status = Status.ongoing
    if item.status is not None:
        item.changes.append("status")
    item.outcome = Outcome.updated if item.changes else Outcome.unchanged


def _plan_links(work: _PlanWork) -> None:
    """Resolve each row's `Linked to (N)` to the plan's tasks as they will be after the import."""
    live = [item for item in work.items if item.outcome is not Outcome.skipped]
    renumbered = {
        item.task.id: item.update["task_no"]
        for item in live
        if item.task is not None and "task_no" in item.update
    }
    numbered: dict[int, list[tuple[Pillar, Ref]]] = defaultdict(list)
    for task in work.existing:
        number = renumbered.get(task.id, task.task_no)  # type: ignore[arg-type]
        if number is not None:
            numbered[number].append((task.pillar, ("task", task.id)))  # type: ignore[arg-type]
    for item in live:
        if item.task is None and item.row.task_no is not None:
            numbered[item.row.task_no].append((item.row.pillar, item.ref))  # type: ignore[arg-type]
    for item in live:
        wanted: set[Ref] = set()
        for number in linked_numbers(item.row.how):
            targets = [(p, ref) for p, ref in numbered.get(number, []) if ref != item.ref]
            same_pillar = [ref for p, ref in targets if p == item.row.pillar]
            if len(targets) == 1:
                wanted.add(targets[0][1])
            elif len(same_pillar) == 1:
                wanted.add(same_pillar[0])
            elif targets:
                work.warnings.append(
                    f"row {item.row.number}: more than one task {number}; that link was not made"
                )
            else:
                work.warnings.append(
                    f"row {item.row.number}: linked to task {number}, which the plan does not have"
                )
        current = (
            {("task", link.linked_task_id) for link in work.links.get(item.task.id, [])}  # type: ignore[arg-type]
            if item.task is not None
            else set()
        )
        if wanted != current:
            item.wanted_links = wanted
            if item.task is not None:
                item.changes.append("links")
                item.outcome = Outcome.updated


def _apply(
    session: Session,
    actor: Actor,
    strand: Strand,
    work: _PlanWork,
    filename: str,
    effective_date: date,
    progress: Progress | None,
    done: int,
    total: int,
) -> int:
    if work.plan is None:
        work.plan = strategies.create_plan(
            session=session,
            actor=actor,
            data=PlanCreate(strand_id=strand.id, name=work.name, **work.plan_changes),  # type: ignore[arg-type]
        )
    elif work.plan_changes:
        strategies.update_plan(
            session=session,
            actor=actor,
            plan=work.plan,
            data=PlanUpdate(**work.plan_changes),
            if_match="*",
        )
    ids: dict[Ref, int] = {}
    creating: list[_Item] = []

    def create_waiting() -> None:
        for item in creating:
            item.create.plan_id = work.plan.id  # type: ignore[union-attr]
        created = tasks.create_tasks(
            session=session,
            actor=actor,
            plan=work.plan,  # type: ignore[arg-type]
            items=[item.create for item in creating],  # type: ignore[misc]
        )
        for item, task_id in zip(creating, created, strict=True):
            ids[item.ref] = item.created_id = task_id
        creating.clear()

    for item in work.items:
        if item.create is not None and item.outcome is Outcome.created:
            creating.append(item)
            if len(creating) == CREATE_BATCH:
                create_waiting()
        elif item.task is not None and item.outcome is Outcome.updated:
            _update(session, actor, item, filename, effective_date)
        done += 1
        if progress is not None and not creating:
            progress(done, total)
    if creating:
        create_waiting()
        if progress is not None:
            progress(done, total)
    _apply_links(session, actor, work, ids)
    return done


def _update(
    session: Session, actor: Actor, item: _Item, filename: str, effective_date: date
) -> None:
    task = item.task
    assert task is not None
    if item.update:
        tasks.update_task(
            session=session,
            actor=actor,
            task=task,
            data=TaskUpdate(**item.update),
            if_match="*",
        )
    if item.status is not None:
        if item.row.status is not None:
            said = f"Status {STATUS_LABELS[item.status]}"
            on = effective_date
        else:
            said = "COMPLETED" if item.status is Status.complete else "no longer COMPLETED"
            on = today()
        tasks.record_status(
            session=session,
            actor=actor,
            task=task,
            change=StatusChange(
                status=item.status,
                effective_date=on,
                note=f"The plan imported from {filename} says {said}.",
            ),
        )


def _apply_links(session: Session, actor: Actor, work: _PlanWork, ids: dict[Ref, int]) -> None:
    """Make the plan's links what the rows say, in one delete and one insert."""

    def task_id(ref: Ref) -> int:
        return ref[1] if ref[0] == "task" else ids[ref]

    stale: list[int] = []
    fresh: list[dict[str, Any]] = []
    now = utcnow()
    for item in work.items:
        if item.wanted_links is None or item.task_id is None:
            continue
        wanted = {task_id(ref) for ref in item.wanted_links}
        current = {link.linked_task_id: link for link in work.links.get(item.task_id, [])}
        stale.extend(link.id for target, link in current.items() if target not in wanted)  # type: ignore[misc]
        fresh.extend(
            {
                "task_id": item.task_id,
                "linked_task_id": target,
                "created_at": now,
                "created_by": actor.name,
            }
            for target in sorted(wanted - current.keys())
        )
    if stale:
        session.execute(sa.delete(TaskLink).where(TaskLink.id.in_(stale)))  # type: ignore[union-attr]
    # In bulk, as the plan's new tasks were (on PostgreSQL one COPY for thousands of links).
    insert_rows(session, TaskLink.__table__, fresh)  # type: ignore[attr-defined]
    session.flush()


def _shown(title: str) -> str:
    return title if len(title) <= SHOWN_TITLE else title[: SHOWN_TITLE - 1] + "…"


def _report(
    works: Sequence[_PlanWork], *, dry_run: bool, filename: str, strand: Strand, warnings: list
) -> ImportReport:
    plans = []
    for work in works:
        rows = [
            RowOutcome(
                row=item.row.number,
                outcome=item.outcome,
                pillar=item.row.pillar,
                task_no=item.row.task_no,
                title=_shown(item.row.title),
                task_id=item.task_id,
                changes=item.changes,
                reason=item.reason if item.outcome is Outcome.skipped else None,
            )
            for item in work.items
        ]
        counts = {outcome: 0 for outcome in Outcome}
        for row in rows:
            counts[row.outcome] += 1
        claimed = {item.task.id for item in work.items if item.task is not None}
        if work.plan_is_new:
            plan_outcome = Outcome.created
        else:
            plan_outcome = Outcome.updated if work.plan_changes else Outcome.unchanged
        plans.append(
            PlanOutcome(
                sheet=work.sheet.source,
                name=work.name,
                plan_id=work.plan.id if work.plan is not None else None,
                plan=plan_outcome,
                plan_changes=list(work.plan_changes),
                rows_read=len(rows),
                created=counts[Outcome.created],
                updated=counts[Outcome.updated],
                unchanged=counts[Outcome.unchanged],
                skipped=counts[Outcome.skipped],
                not_in_file=sum(1 for t in work.existing if t.id not in claimed),
                warnings=work.warnings,
                rows=rows,
            )
        )
    return ImportReport(
        dry_run=dry_run,
        file=filename,
        strand=strand.slug,
        rows_read=sum(p.rows_read for p in plans),
        created=sum(p.created for p in plans),
        updated=sum(p.updated for p in plans),
        unchanged=sum(p.unchanged for p in plans),
        skipped=sum(p.skipped for p in plans),
        warnings=warnings,
        plans=plans,
    )
