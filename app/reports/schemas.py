"""The board report as data: what every format prints, assembled once by the service."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

from app.core.quarters import Quarter
from app.reports import charts


@dataclass(frozen=True, slots=True)
class Prose:
    """A table cell of people's Markdown (a mitigation), laid out by the one renderer."""

    text: str


Cell = str | int | date | Prose | None


class ReportFormat(StrEnum):
    html = "html"
    docx = "docx"
    md = "md"
    xlsx = "xlsx"


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[int, ...]
    """Relative column widths, one per column."""
    figures_from: int = 1
    """Columns from this one on hold figures (set centred)."""
    total_row: bool = False
    """The last row is a Total row (set bold)."""
    group: str = ""
    """A heading spanning the figure columns, e.g. the financial year above its quarters."""


@dataclass(frozen=True, slots=True)
class Narrative:
    title: str
    body: str
    """Markdown."""


class ReturnState(StrEnum):
    submitted = "submitted"
    draft = "draft"
    missing = "missing"


@dataclass(frozen=True, slots=True)
class PlanDashboard:
    name: str
    table: Table


@dataclass(frozen=True, slots=True)
class StrandSection:
    number: str
    name: str
    lead: str
    plans: tuple[PlanDashboard, ...]
    """Empty for a strand with no delivery plan."""
    plans_note: str
    risks: Table | None
    """The strand's risks open as at the quarter's end; None when there are none."""
    return_state: ReturnState
    return_note: str
    narratives: tuple[Narrative, ...]


@dataclass(eq=False)
class Chart:
    kind: str
    """`status_by_strand` or `trend`: the function of `charts` that draws it."""
    title: str
    caption: str
    bars: tuple[charts.Bar, ...]

    @cached_property
    def png(self) -> bytes:
        """Drawn when a format first asks for it, then kept: the markdown and Excel never do."""
        draw = charts.status_by_strand if self.kind == "status_by_strand" else charts.trend
        return draw(self.bars, self.title)


@dataclass(frozen=True, slots=True)
class Summary:
    """The executive summary's dashboard: what the web page shows too."""

    strategy: str
    strategy_id: int
    quarter: Quarter
    as_at: date
    figures_note: str
    locked: bool
    table: Table
    chart: Chart


@dataclass(frozen=True, slots=True)
class BoardReport:
    title: str
    produced_at: datetime
    summary: Summary
    summary_intro: str
    at_risk_intro: str
    at_risk: Table | None
    warnings: tuple[str, ...]
    strands: tuple[StrandSection, ...]
    charts: tuple[Chart, ...] = field(default_factory=tuple)

    @property
    def quarter(self) -> Quarter:
        return self.summary.quarter
