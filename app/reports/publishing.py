"""Publishing a quarter's board paper: close the quarter and every earlier one, render every
format from the same data, and keep the bytes (through the one publication record)."""

from typing import Any

from pydantic import TypeAdapter
from sqlmodel import Session

from app.auth.service import Actor, ensure_admin
from app.core.errors import Conflict
from app.core.quarters import Quarter
from app.dashboard import service as dashboard
from app.dashboard.schemas import DashboardRead, Difference
from app.papers import service as papers
from app.periods import publications
from app.periods import service as periods
from app.periods.models import Publication, QuarterLock, Restatement
from app.reports import render
from app.reports import service as reports
from app.reports.schemas import BoardReport, ReportFormat, RestatementNote
from app.reports.text import long_date
from app.strategies import service as strategies
from app.strategies.models import Strategy
from app.webhooks.models import EventType
from app.webhooks.service import emit

KIND = papers.KIND
_REPORT = TypeAdapter(BoardReport)


def report_data(report: BoardReport) -> dict[str, Any]:
    """What the paper was rendered from, as JSON: figures, at-risk list, returns, leads, text."""
    return _REPORT.dump_python(report, mode="json")  # type: ignore[no-any-return]


def _figure_change(d: Difference) -> str:
    where = " / ".join(part for part in (d.strand or "Total", d.plan) if part)
    field = d.field.replace("_pct", " %").replace("_", " ")
    return f"{where}, {field}: {d.published} before, {d.live} now"


def _changes(
    previous: Publication, figures: DashboardRead, report: BoardReport
) -> list[dict[str, Any]]:
    """What differs from the version before: its figures (the drift), and sections rewritten."""
    before = DashboardRead.model_validate(previous.data["figures"])
    found: list[dict[str, Any]] = [
        {"kind": "figure", **d.model_dump(mode="json"), "text": _figure_change(d)}
        for d in dashboard.differences(before, figures)
    ]
    old = {s["number"]: s for s in previous.data["report"]["paper"]}
    for section in report_data(report)["paper"]:
        if old.get(section["number"]) != section:
            text = f"Section {section['number']} {section['title']} was revised"
            found.append({"kind": "section", "number": section["number"], "text": text})
    return found


def _later_closed(session: Session, strategy: Strategy, quarter: Quarter) -> QuarterLock | None:
    lock = periods.closing_lock(
        session=session,
        strategy_id=strategy.id,  # type: ignore[arg-type]
        day=quarter.next().first_day,
    )
    return lock


def _to_publish(
    session: Session, actor: Actor, strategy: Strategy, quarter: Quarter
) -> tuple[DashboardRead, BoardReport, list[dict[str, Any]]]:
    """Close the quarter and every earlier one, and build the paper as it is then published:
    its figures, the report of its next version and what changed since the version before."""
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    version = publications.ensure_publishable(session=session, actor=actor, kind=KIND, key=key)
    dashboard.close_quarters(session=session, actor=actor, strategy=strategy, through=quarter)
    [figures] = dashboard.figures_of(session=session, strategy=strategy, quarters=[quarter])
    restatement = publications.pending_restatement(session=session, kind=KIND, key=key)
    previous = publications.latest(session=session, kind=KIND, key=key)
    note = None
    if restatement is not None:
        draft = reports.build(session=session, strategy_id=strategy.id, quarter=quarter)
        changes = _changes(previous, figures, draft) if previous else []  # type: ignore[arg-type]
        note = RestatementNote(
            text=f"Restated on {long_date(restatement.restated_at.date())} by "
            f"{restatement.restated_by}: {restatement.reason}",
            changes=tuple(c["text"] for c in changes),
        )
    else:
        changes = []
    report = reports.build(
        session=session,
        strategy_id=strategy.id,
        quarter=quarter,
        version=version,
        restatement=note,
    )
    return figures, report, changes


def preview(*, session: Session, actor: Actor, strategy_id: int | None, quarter: Quarter) -> bytes:
    """The paper's web page as publishing it now would store it (admin), writing nothing: it is
    built inside a savepoint that is rolled back, quarters closed and all."""
    ensure_admin(actor)
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    savepoint = session.begin_nested()
    try:
        _, report, _ = _to_publish(session, actor, strategy, quarter)
        return render.render(report, ReportFormat.html)
    finally:
        savepoint.rollback()


def publish(
    *, session: Session, actor: Actor, strategy_id: int | None, quarter: Quarter
) -> Publication:
    """Publish the quarter's paper (admin): close it and every earlier quarter, and store it."""
    ensure_admin(actor)
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    figures, report, changes = _to_publish(session, actor, strategy, quarter)
    files = [
        publications.Rendered(
            format=fmt.value,
            media_type=render.FORMATS[fmt].media_type,
            filename=render.filename(report, fmt),
            content=render.render(report, fmt),
        )
        for fmt in ReportFormat
    ]
    publication = publications.publish(
        session=session,
        actor=actor,
        kind=KIND,
        key=key,
        data={"figures": figures.model_dump(mode="json"), "report": report_data(report)},
        files=files,
        changes=changes,
    )
    emit(
        session=session,
        type=EventType.board_paper_published,
        data={
            "quarter": str(quarter),
            "strategy_id": strategy.id,
            "version": publication.version,
            "reason": publication.reason,
            "published_by": publication.published_by,
            "published_at": publication.published_at,
            "files": {f.format: publications.digest(f.content) for f in files},
        },
    )
    return publication


def restate(
    *, session: Session, actor: Actor, strategy_id: int | None, quarter: Quarter, reason: str
) -> Restatement:
    """Reopen a published quarter for correction (admin); its next publication is version 2."""
    ensure_admin(actor)
    strategy = strategies.resolve_strategy(session=session, strategy_id=strategy_id)
    later = _later_closed(session, strategy, quarter)
    if later is not None:
        raise Conflict(
            f"{later.quarter} is closed too, and its paper counts what {quarter} holds: restate "
            "the latest closed quarter first"
        )
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    restatement = publications.restate(
        session=session, actor=actor, kind=KIND, key=key, reason=reason
    )
    if periods.active_lock(session=session, strategy_id=strategy.id, quarter=quarter):  # type: ignore[arg-type]
        periods.unlock_quarter(session=session, actor=actor, strategy=strategy, quarter=quarter)
    return restatement


def published(
    *, session: Session, strategy: Strategy, quarter: Quarter, version: int | None
) -> Publication | None:
    """The version asked for (404 if there is none), else the latest if the quarter has one."""
    key = papers.key_of(strategy.id, quarter)  # type: ignore[arg-type]
    if version is None:
        return publications.latest(session=session, kind=KIND, key=key)
    return publications.version_of(session=session, kind=KIND, key=key, version=version)
