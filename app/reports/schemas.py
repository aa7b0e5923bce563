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
    pdf = "pdf"


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
    groups: tuple[tuple[str, int], ...] = ()
    """Headings over the figure columns, each with the number it spans: the financial years
    above their quarters."""

    def group_of(self, column: int) -> str:
        """The heading over a figure column (from 1), or "" when there are none."""
        start = 1
        for label, span in self.groups:
            if start <= column < start + span:
                return label
            start += span
        return ""


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
    numbers: tuple[tuple[str | int | None, ...], ...] = ()
    """The table as numbers, for a spreadsheet: counts, then whole percentages of the total."""


@dataclass(frozen=True, slots=True)
class PaperSubsection:
    number: str
    title: str
    body: str
    """Markdown."""


@dataclass(frozen=True, slots=True)
class PaperSection:
    """One of the author's sections (1.0 Purpose, 3.3 exceptions, 6.0 Implications, …)."""

    key: str
    number: str
    title: str
    body: str
    """Markdown."""
    subsections: tuple[PaperSubsection, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}"


@dataclass(frozen=True, slots=True)
class RestatementNote:
    """What a restated version says first: when, why, and what changed against the last."""

    text: str
    changes: tuple[str, ...]


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
    paper: tuple[PaperSection, ...] = ()
    """The author's sections, in the paper's order."""
    author: str = ""
    """Who the document is by (Word's properties): the force's unit."""
    version: int | None = None
    """The published version this is; None for a view of the live records."""
    restatement: RestatementNote | None = None

    @property
    def quarter(self) -> Quarter:
        return self.summary.quarter

    def section(self, key: str) -> PaperSection | None:
        return next((s for s in self.paper if s.key == key), None)

    def sections(self, *keys: str) -> tuple[PaperSection, ...]:
        return tuple(s for s in self.paper if s.key in keys)
