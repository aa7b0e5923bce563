"""The board report as Markdown: headings, pipe tables and paragraphs (no charts: text only)."""

import re

from app.reports.schemas import BoardReport, Cell, Prose, Table
from app.reports.text import HEADINGS, cell_text, stamp, strand_heading

# Characters that would otherwise make emphasis, code, a link, a table cell or raw HTML.
SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# What would start a heading, a list or a quote at the beginning of a line.
BLOCK_START = ("#", ">", "+", "-")
ORDERED_ITEM = re.compile(r"^(\d+)([.)])(?=\s|$)")


def escape(text: str) -> str:
    """User text shown as written: markup characters escaped, line breaks as spaces."""
    escaped = SPECIAL.sub(r"\\\1", " ".join(text.split()))
    if escaped.startswith(BLOCK_START):
        return "\\" + escaped
    return ORDERED_ITEM.sub(r"\1\\\2", escaped, count=1)


def inline(cell: Cell) -> str:
    """A table cell: people's Markdown kept as written, on one line, its pipes escaped."""
    if isinstance(cell, Prose):
        return " ".join(cell.text.split()).replace("|", "\\|")
    return escape(cell_text(cell))


def table(t: Table) -> list[str]:
    header = list(t.header)
    if t.group:
        header = [header[0], *(f"{t.group} {h}" for h in header[1:])]
    align = [":---:" if i >= t.figures_from else "---" for i in range(len(header))]
    lines = [
        "| " + " | ".join(escape(h) for h in header) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for number, row in enumerate(t.rows, start=1):
        cells = [inline(c) for c in row]
        if t.total_row and number == len(t.rows):
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def render(report: BoardReport) -> bytes:
    summary = report.summary
    out = [
        f"# {escape(report.title)}",
        "",
        escape(summary.figures_note),
        "",
        f"Produced {stamp(report.produced_at)} from the tracker's records.",
        "",
        f"## {HEADINGS['executive']}",
        "",
        f"### {HEADINGS['dashboard']}",
        "",
        escape(report.summary_intro),
        "",
        *table(summary.table),
        f"### {HEADINGS['at_risk']}",
        "",
        escape(report.at_risk_intro),
        "",
        *(table(report.at_risk) if report.at_risk else []),
        f"### {HEADINGS['quality']}",
        "",
        *([f"- {escape(w)}" for w in report.warnings] or [HEADINGS["no_warnings"]]),
        "",
        f"## {HEADINGS['strands']}",
        "",
    ]
    for strand in report.strands:
        out += [f"### {escape(strand_heading(strand.number, strand.name, strand.lead))}", ""]
        out += [f"#### {HEADINGS['plans']}", ""]
        for plan in strand.plans:
            out += table(plan.table)
        if not strand.plans:
            out += [HEADINGS["no_plan"], ""]
        if strand.plans_note:
            out += [escape(strand.plans_note), ""]
        out += [f"#### {HEADINGS['risks']}", ""]
        out += table(strand.risks) if strand.risks else [HEADINGS["no_risks"], ""]
        out += [f"*{escape(strand.return_note)}*", ""]
        for narrative in strand.narratives:
            out += [f"#### {narrative.title}", ""]
            out += [narrative.body, ""]
    out += [
        f"## {HEADINGS['charts']}",
        "",
        "The charts are in the web page and Word versions of this report.",
        "",
    ]
    return "\n".join(out).encode()
