"""The reminder pass: what each person still owes before the quarter's return deadline.

On the days the quarter's timetable names (working days before the deadline, and the day), each
person linked to something owed gets one digest: the tasks they own with no status event dated
in the quarter and no comment since it began, their overdue tasks, the open risks they own whose
review date has passed, and, for a strand's lead, the strand's return if it is not submitted.
Owners and leads are linked to people by name, e-mail or alias, by the rule of
`app/people/links.py`.

The digest's mail is written in the transaction that decides it, with a row in `reminder` per
person and day, so a second pass the same day sends nothing again and a digest is never lost.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from email.utils import parseaddr

import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session, select

from app.core.base import UK
from app.core.config import Settings
from app.core.pagination import PageParams, count
from app.core.quarters import Quarter
from app.mail import service as mail
from app.mail.models import MailMessage
from app.people import links
from app.people.links import names_in
from app.people.models import Person
from app.periods import service as periods
from app.periods.schemas import TimetableRead
from app.reminders.models import Reminder, ReminderStatus
from app.reminders.schemas import ReminderRead, ReminderState
from app.returns.models import QuarterlyReturn, ReturnStatus
from app.risks.models import Risk, RiskStatus
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand
from app.tasks.models import Status, StatusEvent, Task, TaskComment

# The order the digest lists its sections in, with their headings.
SECTIONS = {
    "return_missing": "Quarterly returns not yet submitted",
    "task_overdue": "Overdue tasks",
    "task_not_updated": "Tasks with no update since the quarter began",
    "risk_review_due": "Risks past their review date",
}
ALREADY_SENT = "already sent"

_templates = Environment(
    loader=PackageLoader("app.reminders"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    ref: str
    title: str
    detail: str
    url: str


@dataclass(frozen=True, slots=True)
class Owed:
    owner: str
    # The folded names the owner's text gives (see app/people/links.py).
    names: frozenset[str]
    item: Item


@dataclass(slots=True)
class Digest:
    person_id: int
    name: str
    email: str
    items: list[Item]
    status: str
    reason: str = ""


@dataclass(slots=True)
class PassResult:
    day: date
    dry_run: bool
    strategy_id: int | None = None
    quarter: Quarter | None = None
    return_deadline: date | None = None
    digests: list[Digest] = field(default_factory=list)
    # Owners and leads with something owed whom no person answers to.
    unlinked: list[str] = field(default_factory=list)

    @property
    def queued(self) -> list[Digest]:
        return [d for d in self.digests if d.status == ReminderStatus.queued]


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def due_timetable(
    *, session: Session, strategy_id: int, day: date, settings: Settings
) -> TimetableRead | None:
    """The timetable of the quarter whose reminders go out on `day`, if any does."""
    here = Quarter.of(day)
    for quarter in (here.previous().previous(), here.previous(), here):
        timetable, _ = periods.get_timetable(
            session=session,
            strategy_id=strategy_id,
            quarter=quarter,
            working_days=settings.return_working_days,
            reminder_offsets=settings.reminder_days,
        )
        if day in timetable.reminder_days:
            return timetable
    return None


def owed(
    *,
    session: Session,
    strategy_id: int,
    quarter: Quarter,
    day: date,
    deadline: date,
    base_url: str,
) -> list[Owed]:
    """Everything owed, each with the owner or lead it is written against."""
    base = base_url.rstrip("/")
    found: list[Owed] = []

    def add(owner: str, item: Item) -> None:
        names = names_in(owner)
        if names:
            found.append(Owed(" ".join(owner.split()), frozenset(names), item))

    began = datetime.combine(quarter.first_day, time(), UK)
    updated = sa.or_(
        sa.exists().where(
            StatusEvent.task_id == Task.id, StatusEvent.effective_date >= quarter.first_day
        ),
        sa.exists().where(TaskComment.task_id == Task.id, TaskComment.recorded_at >= began),
    )
    tasks = session.execute(
        sa.select(
            Task.id,
            Task.title,
            Task.owner,
            Task.task_no,
            Task.due_date,
            Task.added_on,
            DeliveryPlan.name.label("plan"),  # type: ignore[attr-defined]
            updated.label("updated"),
        )
        .join(Strand, Strand.id == Task.strand_id)
        .join(DeliveryPlan, DeliveryPlan.id == Task.plan_id)
        .where(
            Strand.strategy_id == strategy_id,
            Task.status.not_in([Status.complete, Status.withdrawn]),  # type: ignore[attr-defined]
            Task.owner != "",
            Task.added_on <= day,
        )
        .order_by(Task.id)
    ).all()
    for task in tasks:
        name = f"{task.plan}, task {task.task_no}" if task.task_no else task.plan
        url = f"{base}/workspace/tasks/{task.id}"
        if task.due_date is not None and task.due_date < day:
            detail = f"{name}: due {_long(task.due_date)}"
            add(task.owner, Item("task_overdue", str(task.id), task.title, detail, url))
        if not task.updated and task.added_on <= quarter.last_day:
            detail = f"{name}: no status update or comment since {_long(quarter.first_day)}"
            add(task.owner, Item("task_not_updated", str(task.id), task.title, detail, url))

    risks = session.execute(
        sa.select(Risk.ref, Risk.description, Risk.owner, Risk.review_on, Strand.slug)
        .join(Strand, Strand.id == Risk.strand_id)
        .where(
            Strand.strategy_id == strategy_id,
            Risk.status == RiskStatus.open,
            Risk.review_on < day,  # type: ignore[operator]
            Risk.owner != "",
        )
        .order_by(Risk.ref_prefix, Risk.ref_number)
    ).all()
    for risk in risks:
        detail = f"Risk {risk.ref}: review was due {_long(risk.review_on)}"
        url = f"{base}/workspace?strand={risk.slug}"
        add(risk.owner, Item("risk_review_due", risk.ref, risk.description, detail, url))

    submitted = (
        sa.select(QuarterlyReturn.strand_id)
        .where(
            QuarterlyReturn.quarter == str(quarter),
            QuarterlyReturn.status == ReturnStatus.submitted,
        )
        .scalar_subquery()
    )
    strands = session.execute(
        sa.select(Strand.slug, Strand.name, Strand.lead)
        .where(
            Strand.strategy_id == strategy_id,
            Strand.lead != "",
            Strand.id.not_in(submitted),  # type: ignore[union-attr]
        )
        .order_by(Strand.position, Strand.id)  # type: ignore[arg-type]
    ).all()
    for strand in strands:
        detail = f"{strand.name}: the {quarter.board_label} return is due {_long(deadline)}"
        url = f"{base}/workspace/returns/{strand.slug}?quarter={quarter}"
        add(strand.lead, Item("return_missing", strand.slug, strand.name, detail, url))
    return found


def _sorted(items: Sequence[Item]) -> list[Item]:
    order = list(SECTIONS)
    unique = {(item.kind, item.ref): item for item in items}
    return sorted(unique.values(), key=lambda item: order.index(item.kind))


def render(
    *, digest: Digest, quarter: Quarter, deadline: date, settings: Settings
) -> tuple[str, str, str]:
    """The digest's subject, plain text and HTML."""
    sections = [
        (heading, [item for item in digest.items if item.kind == kind])
        for kind, heading in SECTIONS.items()
    ]
    context = {
        "name": digest.name,
        "quarter": quarter.board_label,
        "deadline": _long(deadline),
        "sections": [(heading, items) for heading, items in sections if items],
        "workspace": settings.base_url.rstrip("/") + "/workspace",
    }
    count_ = len(digest.items)
    # Short enough for one header line.
    subject = (
        f"{quarter.board_label} returns: {count_} {'item' if count_ == 1 else 'items'} "
        f"due by {_long(deadline)}"
    )
    text = _templates.get_template("digest.txt").render(context)
    html = _templates.get_template("digest.html").render(context)
    return subject, text, html


def run_pass(*, session: Session, day: date, settings: Settings, dry_run: bool) -> PassResult:
    """Decide (and, unless `dry_run`, queue) the day's digests, in the caller's transaction."""
    result = PassResult(day=day, dry_run=dry_run)
    strategy = strategies.current_strategy(session=session, on=day)
    if not dry_run:
        # Two passes at once (two API processes at the set time) decide one after the other.
        strategies.get_strategy(session=session, strategy_id=strategy.id, for_update=True)  # type: ignore[arg-type]
    result.strategy_id = strategy.id
    timetable = due_timetable(session=session, strategy_id=strategy.id, day=day, settings=settings)  # type: ignore[arg-type]
    if timetable is None:
        return result
    quarter = Quarter.parse(timetable.quarter)
    result.quarter, result.return_deadline = quarter, timetable.return_deadline
    everything = owed(
        session=session,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        quarter=quarter,
        day=day,
        deadline=timetable.return_deadline,
        base_url=settings.base_url,
    )
    already = set(session.exec(select(Reminder.person_id).where(Reminder.day == day)))
    linked: set[int] = set()
    for person in session.exec(select(Person).order_by(Person.name, Person.id)).all():
        keys = links.keys_of(session=session, person=person)
        mine = [n for n, owing in enumerate(everything) if owing.names & keys]
        items = _sorted([everything[n].item for n in mine])
        if not items:
            continue
        linked.update(mine)
        digest = Digest(person.id, person.name, person.email, items, ReminderStatus.queued)  # type: ignore[arg-type]
        if person.id in already:
            digest.status = ALREADY_SENT
        elif not person.reminders_enabled:
            digest.status, digest.reason = ReminderStatus.skipped, "turned reminders off"
        elif not person.email:
            digest.status, digest.reason = ReminderStatus.skipped, "no e-mail address"
        result.digests.append(digest)
    result.unlinked = sorted({owing.owner for n, owing in enumerate(everything) if n not in linked})
    if not dry_run:
        for digest in result.digests:
            if digest.status != ALREADY_SENT:
                _record(
                    session=session,
                    digest=digest,
                    result=result,
                    timetable=timetable,
                    settings=settings,
                )
    return result


def _record(
    *,
    session: Session,
    digest: Digest,
    result: PassResult,
    timetable: TimetableRead,
    settings: Settings,
) -> None:
    message = None
    if digest.status == ReminderStatus.queued:
        subject, text, html = render(
            digest=digest,
            quarter=result.quarter,  # type: ignore[arg-type]
            deadline=timetable.return_deadline,
            settings=settings,
        )
        domain = parseaddr(settings.mail_from)[1].rpartition("@")[2]
        message = mail.queue(
            session=session,
            to_address=digest.email,
            to_name=digest.name,
            subject=subject,
            text_body=text,
            html_body=html,
            message_id=mail.new_message_id(domain),
        )
    session.add(
        Reminder(
            person_id=digest.person_id,
            day=result.day,
            strategy_id=result.strategy_id,  # type: ignore[arg-type]
            quarter=timetable.quarter,
            return_deadline=timetable.return_deadline,
            name=digest.name,
            email=digest.email,
            status=ReminderStatus(digest.status),
            reason=digest.reason,
            items=[asdict(item) for item in digest.items],
            mail_message_id=message.id if message else None,
        )
    )
    session.flush()


# The log


def _state() -> sa.ColumnElement:
    return sa.case(
        (Reminder.status == ReminderStatus.skipped, sa.literal(ReminderState.skipped.value)),
        else_=MailMessage.status,
    )


def list_reminders(
    *,
    session: Session,
    page: PageParams,
    day: date | None = None,
    state: ReminderState | None = None,
) -> tuple[list[ReminderRead], int]:
    """Every digest decided, newest first: to whom, when, what, and whether it went out."""
    state_ = _state().label("state")
    statement = (
        sa.select(
            Reminder,
            state_,
            MailMessage.message_id,
            MailMessage.sent_at,
            MailMessage.attempts,
            MailMessage.last_error,
        )
        .outerjoin(MailMessage, MailMessage.id == Reminder.mail_message_id)
        .order_by(Reminder.day.desc(), Reminder.name, Reminder.id)  # type: ignore[attr-defined]
    )
    if day is not None:
        statement = statement.where(Reminder.day == day)
    if state is not None:
        statement = statement.where(_state() == state.value)
    rows = session.execute(statement.limit(page.limit).offset(page.offset)).all()
    items = [
        ReminderRead.model_validate(
            {
                **reminder.model_dump(),
                "state": state_value,
                "message_id": message_id,
                "sent_at": sent_at,
                "attempts": attempts or 0,
                "last_error": last_error or "",
            }
        )
        for reminder, state_value, message_id, sent_at, attempts, last_error in rows
    ]
    return items, count(session, statement)
