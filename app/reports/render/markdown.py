"""The board report as Markdown: headings, pipe tables and paragraphs (no charts: text only)."""

import re

from app.reports.schemas import BoardReport, Cell, PaperSection, Prose, Table
from app.reports.text import HEADINGS, cell_text, stamp, strand_heading, version_note

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
    if t.groups:
        header = [header[0], *(f"{t.group_of(i)} {h}" for i, h in enumerate(header[1:], 1))]
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


def paper_section(section: PaperSection, level: int = 2) -> list[str]:
    """An author's section: its Markdown kept as written."""
    out = [f"{'#' * level} {escape(section.heading)}", ""]
    if section.body:
        out += [section.body, ""]
    for sub in section.subsections:
        out += [f"{'#' * (level + 1)} {escape(f'{sub.number} {sub.title}')}", ""]
        if sub.body:
            out += [sub.body, ""]
    return out


def render(report: BoardReport) -> bytes:
    summary = report.summary
    out = ["**OFFICIAL**", "", f"# {escape(report.title)}", ""]
    if report.version:
        out += [version_note(report.version), ""]
    if report.restatement:
        out += [f"**{escape(report.restatement.text)}**", ""]
        out += [*(f"- {escape(change)}" for change in report.restatement.changes), ""]
    out += [
        escape(summary.figures_note),
        "",
        f"Produced {stamp(report.produced_at)} from the tracker's records.",
        "",
    ]
    for section in report.sections("purpose", "recommendations"):
        out += paper_section(section)
    out += [
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
        f"#### {HEADINGS['quality']}",
        "",
        *([f"- {escape(w)}" for w in report.warnings] or [HEADINGS["no_warnings"]]),
        "",
    ]
    for section in report.sections("exceptions"):
        out += paper_section(section, 3)
    for section in report.sections("strategy_progress"):
        out += paper_section(section)
    out += [f"## {HEADINGS['strands']}", ""]
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
            out += [f"#### {narrative.title}", "", narrative.body, ""]
    for section in report.sections("implications", "consultation", "actions", "future_work"):
        out += paper_section(section)
    out += [
        f"## {HEADINGS['charts']}",
        "",
        "The charts are in the web page, Word and PDF versions of this paper.",
        "",
    ]
    return "\n".join(out).encode()
