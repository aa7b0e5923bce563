"""The board report of a quarter, assembled from the dashboard, the risk register and the returns.

Everything every format prints is decided here, once, into a `BoardReport`; the renderers only
lay it out. A locked quarter is reported with the figures published when it was locked.
"""

import dataclasses
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from app.core.base import today, utcnow
from app.core.config import get_settings
from app.core.errors import Invalid
from app.core.quarters import Quarter, quarter_range
from app.dashboard import service as dashboard
from app.dashboard.schemas import DashboardRead, PlanFigures
from app.papers import service as papers
from app.periods import service as periods
from app.reports.charts import Bar
from app.reports.schemas import (
    BoardReport,
    Cell,
    Chart,
    Narrative,
    PaperSection,
    PaperSubsection,
    PlanDashboard,
    Prose,
    RestatementNote,
    ReturnState,
    StrandSection,
    Summary,
    Table,
)
from app.reports.text import RISK_HEADER, long_date, stamp
from app.returns import service as returns
from app.returns.models import QuarterlyReturn, ReturnStatus
from app.risks import service as risks
from app.risks.models import Risk, RiskResponse
from app.risks.schemas import DataQualityReport
from app.strategies import service as strategies
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks import service as tasks
from app.tasks import spans
from app.tasks.models import Status, Task

SUMMARY_HEADER = ("Strands", "Total", "Complete", "Ongoing / In progress", "At risk")
MEASURES = (
    ("total", "Total"),
    ("complete", "Complete"),
    ("ongoing", "Ongoing / In progress"),
    ("at_risk", "At risk"),
)
AT_RISK_HEADER = ("Strand", "Delivery plan", "Task", "Risk", "Mitigation", "5T response")
AT_RISK_LISTED = 5
"""Of a strand's tasks at risk with no risk open, the paper lists this many; it counts the rest."""
NO_RISK = "No open risk"
NARRATIVES = (
    ("insight", "Insight"),
    ("delivery_achieved", "Delivery achieved previous quarter"),
    ("delivery_scheduled", "Delivery scheduled for current quarter"),
)
RESPONSES = {
    RiskResponse.treat: "Treat",
    RiskResponse.tolerate: "Tolerate",
    RiskResponse.transfer: "Transfer",
    RiskResponse.terminate: "Terminate",
    RiskResponse.take: "Take the opportunity",
}
BULLETS = re.compile(r"^(\s*)[•▪◦]\s+", re.MULTILINE)
STRAND_SECTION = 5
"""The strand updates are section 5 of the paper; each strand is numbered within it."""
PAPER_YEARS = 2
"""The financial years a strand's dashboard covers: the quarter's and the next, as the board's."""


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _checked_strategy(session: Session, strategy_id: int | None, quarter: Quarter) -> Strategy:
    """The strategy asked for (the current one by default), once the quarter has begun."""
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    if quarter.first_day > today():
        raise Invalid(f"{quarter} has not started yet: there is nothing to report", field="quarter")
    return strategy


def quarter_choices(strategy: Strategy) -> list[Quarter]:
    """The quarters a reader may pick, newest first: from the strategy's first to this one."""
    last = periods.current_quarter()
    first = min(Quarter.of(strategy.starts_on), last)
    return list(quarter_range(first, last))[::-1]


# The executive summary


def _figures_note(figures: DashboardRead) -> str:
    label = figures.quarter.board_label
    if figures.published and figures.lock is not None:
        return (
            f"{label} is locked: these are the figures published when it was locked on "
            f"{stamp(figures.lock.locked_at)} by {figures.lock.locked_by}, as at "
            f"{long_date(figures.as_at)}."
        )
    if figures.as_at >= today():
        return f"Figures so far: {label} runs until {long_date(figures.as_at)}."
    return f"Figures as at {long_date(figures.as_at)}, the last day of {label}."


def _summary_table(figures: DashboardRead) -> Table:
    _, rows = dashboard.csv_table(figures, ())
    return Table(
        header=SUMMARY_HEADER,
        rows=tuple(tuple(row) for row in rows),
        widths=(7, 2, 3, 3, 3),
        total_row=True,
    )


def _status_chart(figures: DashboardRead) -> Chart:
    bars = tuple(
        Bar(s.name, s.complete or 0, s.ongoing or 0, s.at_risk or 0)
        for s in figures.strands
        if s.has_plan
    )
    return Chart(
        kind="status_by_strand",
        title=f"Tasks by strand as at {long_date(figures.as_at)}",
        caption="Complete, ongoing and at-risk tasks of each strand's delivery plans "
        "(strands with no plan are left out).",
        bars=bars,
    )


def _summary_numbers(figures: DashboardRead) -> tuple[tuple[str | int | None, ...], ...]:
    rows: list[tuple[str | int | None, ...]] = []
    for s in figures.strands:
        if not s.has_plan:
            rows.append((s.name, *("N/A",) * 7))
            continue
        counts = (s.total or 0, s.complete or 0, s.ongoing or 0, s.at_risk or 0)
        rows.append((s.name, *counts, *(dashboard.percent(c, counts[0]) for c in counts[1:])))
    t = figures.totals
    rows.append(
        (
            "Total",
            t.total,
            t.complete,
            t.ongoing,
            t.at_risk,
            t.complete_pct,
            t.ongoing_pct,
            t.at_risk_pct,
        )
    )
    return tuple(rows)


def _summary(strategy: Strategy, figures: DashboardRead) -> Summary:
    return Summary(
        strategy=strategy.name,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        quarter=figures.quarter,
        as_at=figures.as_at,
        figures_note=_figures_note(figures),
        locked=figures.published,
        table=_summary_table(figures),
        chart=_status_chart(figures),
        numbers=_summary_numbers(figures),
    )


def summary(*, session: Session, strategy_id: int | None, quarter: Quarter) -> Summary:
    """A quarter's dashboard table and chart, as the board report's executive summary has them."""
    strategy = _checked_strategy(session, strategy_id, quarter)
    [figures] = dashboard.figures_of(session=session, strategy=strategy, quarters=[quarter])
    return _summary(strategy, figures)


# Tasks at risk and the register's warnings


def _at_risk_rows(session: Session, strategy_id: int, quarter: Quarter) -> list[sa.Row]:
    """Each task at risk as at the quarter's end, with each of its risks open then (a row per
    risk). Found from the status spans (`app.tasks.spans`), the one span of each task that takes
    in the quarter, rather than by looking up each task's latest event in turn."""
    day = quarter.last_day
    spans.rebuild_pending(session)
    return list(
        session.execute(
            sa.select(
                Task.id,
                Task.title,
                Strand.name.label("strand"),  # type: ignore[attr-defined]
                DeliveryPlan.name.label("plan"),  # type: ignore[attr-defined]
                Risk.ref,
                Risk.mitigation,
                Risk.response,
            )
            .select_from(Task)
            .join(Strand, Strand.id == Task.strand_id)
            .join(DeliveryPlan, DeliveryPlan.id == Task.plan_id)
            .outerjoin(Risk, sa.and_(Risk.task_id == Task.id, risks.open_on(day)))
            .where(
                Task.id.in_(  # type: ignore[union-attr]
                    spans.tasks_in(
                        status=Status.at_risk,
                        quarter_ordinal=quarter.ordinal,
                        plan_ids=strategies.plan_ids_of(strategy_id),
                    )
                )
            )
            .order_by(
                Strand.position,
                DeliveryPlan.position,
                DeliveryPlan.id,
                tasks.PILLAR_ORDER,
                Task.task_no,
                Task.id,
                Risk.ref_prefix,
                Risk.ref_number,
            )
        )
    )


def _at_risk(rows: Sequence[sa.Row], day: date) -> tuple[str, Table | None]:
    """The paper's list of tasks at risk: every one with a risk open (its risk and mitigation
    are what the board weighs), and of each strand's others the first `AT_RISK_LISTED`, the rest
    counted in a row of their own, so that a strand with hundreds at risk stays a page."""
    task_count = len({row.id for row in rows})
    strand_count = len({row.strand for row in rows})
    when = long_date(day)
    if not rows:
        return f"There are no tasks at risk of delivery as at {when}.", None
    verb = "is" if task_count == 1 else "are"
    intro = (
        f"There {verb} {_plural(task_count, 'task', 'tasks')} at risk of delivery as at {when}, "
        f"in {_plural(strand_count, 'strand', 'strands')}:"
    )
    by_strand: dict[str, list[tuple[Cell, ...]]] = {}
    without_risk: Counter[str] = Counter()
    for row in rows:
        listed = by_strand.setdefault(row.strand, [])
        if row.ref is None:
            without_risk[row.strand] += 1
            if without_risk[row.strand] > AT_RISK_LISTED:
                continue
        listed.append(
            (
                row.strand,
                row.plan,
                row.title,
                row.ref or NO_RISK,
                Prose(row.mitigation) if row.mitigation else "",
                RESPONSES[RiskResponse(row.response)] if row.response else "",
            )
        )
    table_rows: list[tuple[Cell, ...]] = []
    for strand, listed in by_strand.items():
        table_rows.extend(listed)
        unlisted = without_risk[strand] - AT_RISK_LISTED
        if unlisted > 0:
            more = _plural(unlisted, "more task", "more tasks")
            shown = f"{more} at risk with no open risk, not listed: the tracker lists them all"
            table_rows.append((strand, "", shown, NO_RISK, "", ""))
    table = Table(
        header=AT_RISK_HEADER,
        rows=tuple(table_rows),
        widths=(6, 6, 9, 4, 9, 6),
        figures_from=len(AT_RISK_HEADER),
    )
    return intro, table


def _warnings(quality: DataQualityReport) -> tuple[str, ...]:
    # A strand with more such tasks than the list of tasks at risk shows is given their count.
    by_strand: dict[str, list[str]] = defaultdict(list)
    for item in quality.tasks_at_risk_without_open_risk:
        by_strand[item.strand_name].append(item.title)
    found = []
    for strand, titles in by_strand.items():
        if len(titles) > AT_RISK_LISTED:
            found.append(
                f"{strand}: {len(titles)} tasks are at risk, but no open risk in the register "
                "names them."
            )
            continue
        found += [
            f"{strand}: the task “{title}” is at risk, but no open risk in the register names it."
            for title in titles
        ]
    found += [
        f"{item.strand_name}: risk {item.ref} is still open, but its task “{item.task_title}” "
        f"is {item.task_status.replace('_', ' ')}."
        for item in quality.open_risks_on_finished_tasks
    ]
    found += [
        f"{item.strand_name}: risk {item.ref} ({item.owner}) was due for review on "
        f"{long_date(item.review_on)}."
        for item in quality.open_risks_past_review
    ]
    return tuple(found)


# The strand sections


def _plan_table(
    plan: PlanFigures,
    quarters: Sequence[Quarter],
    by_quarter: dict[Quarter, dict[int, PlanFigures]],
) -> Table:
    """A plan's figures at each quarter's end, under its financial year; later quarters empty."""
    columns = [by_quarter.get(q, {}).get(plan.id) for q in quarters]
    rows = tuple(
        (label, *(getattr(figures, key) if figures else None for figures in columns))
        for key, label in MEASURES
    )
    years = sorted({q.year: q.financial_year.replace("-", "/") for q in quarters}.items())
    return Table(
        header=(plan.name, *(f"Q{q.number}" for q in quarters)),
        rows=rows,
        widths=(6, *(2 for _ in quarters)),
        groups=tuple((label, sum(q.year == year for q in quarters)) for year, label in years),
    )


def _plans_note(figures: Sequence[DashboardRead]) -> str:
    locked = [f.quarter for f in figures if f.published]
    if not locked:
        return ""
    names = " and ".join(f"Q{q.number}" for q in locked)
    which = "that quarter was" if len(locked) == 1 else "those quarters were"
    return f"{names}: the figures published when {which} locked."


def _return(record: QuarterlyReturn | None, quarter: Quarter) -> tuple[ReturnState, str]:
    if record is None:
        return (
            ReturnState.missing,
            f"No quarterly return has been written for {quarter.board_label}.",
        )
    if record.status is ReturnStatus.draft:
        return (
            ReturnState.draft,
            f"Draft: this return has not been submitted (last saved {stamp(record.updated_at)} "
            f"by {record.updated_by}), so its text may still change.",
        )
    assert record.submitted_at is not None
    return (
        ReturnState.submitted,
        f"Return submitted on {stamp(record.submitted_at)} by {record.submitted_by}.",
    )


def prose(text: str) -> str:
    """A narrative as Markdown; the bullets pasted from Word (`•`, `▪`) made Markdown's `-`."""
    return BULLETS.sub(r"\1- ", text).strip() or "Not written yet."


def _narratives(record: QuarterlyReturn | None) -> tuple[Narrative, ...]:
    if record is None:
        return ()
    return tuple(Narrative(title, prose(getattr(record, name))) for name, title in NARRATIVES)


def _risk_table(risks_of_strand: Sequence) -> Table | None:
    if not risks_of_strand:
        return None
    return Table(
        header=RISK_HEADER,
        rows=tuple(
            (r.ref, r.registered_on, Prose(r.description), r.owner, Prose(r.mitigation))
            for r in risks_of_strand
        ),
        widths=(2, 4, 6, 4, 7),
        figures_from=len(RISK_HEADER),
    )


def _strand_sections(
    session: Session,
    strategy: Strategy,
    quarter: Quarter,
    quarters: Sequence[Quarter],
    figures: list[DashboardRead],
) -> tuple[StrandSection, ...]:
    current = figures[-1]
    by_quarter = {
        f.quarter: {plan.id: plan for strand in f.strands for plan in strand.plans} for f in figures
    }
    strands = {s.slug: s for s in strategies.list_strands(session=session, strategy=strategy)}
    open_risks = defaultdict(list)
    for risk in risks.open_risks(
        session=session,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        day=quarter.last_day,
    ):
        open_risks[risk.strand].append(risk)
    records = returns.for_quarter(session=session, strategy_id=strategy.id, quarter=quarter)  # type: ignore[arg-type]
    note = _plans_note(figures)
    sections = []
    for number, figure in enumerate(current.strands, start=1):
        strand = strands.get(figure.slug)
        record = records.get(strand.id) if strand is not None else None  # type: ignore[arg-type]
        state, return_note = _return(record, quarter)
        sections.append(
            StrandSection(
                number=f"{STRAND_SECTION}.{number}",
                name=figure.name,
                lead=strand.lead if strand is not None else "",
                plans=tuple(
                    PlanDashboard(plan.name, _plan_table(plan, quarters, by_quarter))
                    for plan in figure.plans
                ),
                plans_note=note if figure.plans else "",
                risks=_risk_table(open_risks[figure.slug]),
                return_state=state,
                return_note=return_note,
                narratives=_narratives(record),
            )
        )
    return tuple(sections)


def _trend_chart(year: Sequence[Quarter], figures: Sequence[DashboardRead]) -> Chart:
    totals = {f.quarter: f.totals for f in figures}
    bars = []
    for q in year:
        t = totals.get(q)
        bars.append(Bar(f"Q{q.number}", *((t.complete, t.ongoing, t.at_risk) if t else (0, 0, 0))))
    label = year[0].financial_year.replace("-", "/")
    return Chart(
        kind="trend",
        title=f"{label}: tasks by status at each quarter's end",
        caption="Quarters still to come are left empty; a locked quarter shows its published "
        "figures.",
        bars=tuple(bars),
    )


def paper_quarters(quarter: Quarter) -> list[Quarter]:
    """The quarters the strand dashboards show: every quarter of the paper's financial years."""
    first = quarter.year_quarters()[0]
    return list(quarter_range(first, Quarter(first.year + PAPER_YEARS - 1, 4)))


def _paper(session: Session, strategy: Strategy, quarter: Quarter) -> tuple[PaperSection, ...]:
    written = papers.read(session=session, strategy=strategy, quarter=quarter)
    return tuple(
        PaperSection(
            key=s.key.value,
            number=s.number,
            title=s.title,
            body=s.body,
            subsections=tuple(PaperSubsection(x.number, x.title, x.body) for x in s.subsections),
        )
        for s in written.sections
    )


def report_etag(report: BoardReport, fmt: str) -> str:
    """A weak ETag for a paper made now: the same while what it says of the records is the same,
    whenever in the day it was produced (the file's bytes differ only in that stamp)."""
    said = repr(
        dataclasses.replace(
            report,
            produced_at=report.produced_at.replace(hour=0, minute=0, second=0, microsecond=0),
        )
    )
    return f'W/"report-{fmt}-{hashlib.sha256(said.encode()).hexdigest()[:32]}"'


def build(
    *,
    session: Session,
    strategy_id: int | None,
    quarter: Quarter,
    version: int | None = None,
    restatement: RestatementNote | None = None,
    live: bool = False,
) -> BoardReport:
    """The board paper of a quarter, in a fixed number of queries."""
    strategy = _checked_strategy(session, strategy_id, quarter)
    year = quarter.year_quarters()
    quarters = paper_quarters(quarter)
    figures = dashboard.figures_of(
        session=session,
        strategy=strategy,
        quarters=[q for q in quarters if q <= quarter],
        live=live,
    )
    current = figures[-1]
    head = _summary(strategy, current)
    at_risk_intro, at_risk = _at_risk(
        _at_risk_rows(session, strategy.id, quarter),  # type: ignore[arg-type]
        quarter.last_day,
    )
    quality = risks.data_quality(session=session, strategy_id=strategy.id, quarter=quarter)
    count = len(current.strands)
    return BoardReport(
        title=f"{strategy.name}: quarterly board report, {quarter.board_label}",
        produced_at=utcnow(),
        summary=head,
        summary_intro=f"Delivery Plan progress across the "
        f"{_plural(count, 'thematic strand', 'thematic strands')} can be summarised as:",
        at_risk_intro=at_risk_intro,
        at_risk=at_risk,
        warnings=_warnings(quality),
        strands=_strand_sections(session, strategy, quarter, quarters, figures),
        charts=(head.chart, _trend_chart(year, figures)),
        paper=_paper(session, strategy, quarter),
        author=get_settings().report_author,
        version=version,
        restatement=restatement,
    )
