"""The quarterly update in each format: Markdown, HTML, Word and PDF (WeasyPrint, from the HTML).

Commentary is Markdown, laid out by the one renderer (`app.core.markdown`); the rest follows the
plan's layout: area headings, or the `We will | Commentary | Who` table.
"""

import enum
import io
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.core import markdown
from app.core.pdf import html_to_pdf
from app.pcp.document import CommitmentPart, Entry, QuarterlyUpdate
from app.pcp.models import Layout

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["markdown"] = markdown.to_html

WE_WILL = "We will:"
DRAFT = " (draft)"


class UpdateFormat(enum.StrEnum):
    md = "md"
    html = "html"
    docx = "docx"
    pdf = "pdf"


MEDIA_TYPES = {
    UpdateFormat.md: "text/markdown; charset=utf-8",
    UpdateFormat.html: "text/html; charset=utf-8",
    UpdateFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    UpdateFormat.pdf: "application/pdf",
}


def filename(doc: QuarterlyUpdate, fmt: UpdateFormat) -> str:
    return f"{doc.plan_slug}-quarterly-update-{doc.quarter}.{fmt.value}"


def commitment_text(part: CommitmentPart) -> str:
    """The commitment as a table row states it: with its lead-in unless that is plain "We will:"."""
    return part.text if part.lead_in == WE_WILL else f"{part.lead_in} {part.text}"


def _who(entry: Entry) -> list[str]:
    names = entry.who
    return names if entry.submitted else [f"{names[0]}{DRAFT}", *names[1:]]


# Markdown

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cell(body: str) -> str:
    """Markdown commentary as one table cell: blocks apart by a blank line's `<br><br>`."""
    blocks = [b for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]
    out = []
    for block in blocks:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if all(line.startswith(("- ", "* ")) for line in lines):
            out.append("<br>".join("• " + line[2:] for line in lines))
        else:
            out.append(" ".join(lines))
    return "<br><br>".join(out).replace("|", "\\|")


def to_markdown(doc: QuarterlyUpdate) -> str:
    lines = [f"# {_escape(doc.title)}", "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {_escape(value)} |" for label, value in doc.title_block]
    lines += ["", "## Contents", ""]
    lines += [f"- {_escape(p.heading)}" for p in doc.priorities]
    for priority in doc.priorities:
        lines += ["", f"## {_escape(priority.heading)}", ""]
        if priority.objective:
            lines += [_escape(priority.objective), ""]
        if priority.strands:
            lines += [
                f"Strands delivering against this priority, as at {doc.quarter.last_day:%d %B %Y}:",
                "",
                "| Strand | Total | Complete | Ongoing | At risk |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for s in priority.strands:
                counts = [s.total, s.complete, s.ongoing, s.at_risk]
                cells = " | ".join("N/A" if c is None else str(c) for c in counts)
                lines.append(f"| {_escape(s.name)} | {cells} |")
            lines.append("")
        if doc.layout is Layout.table:
            lines += ["| We will | Commentary | Who |", "| --- | --- | --- |"]
            for part in priority.commitments:
                for index, entry in enumerate(part.entries):
                    we_will = _escape(commitment_text(part)) if index == 0 else ""
                    who = "<br>".join(_escape(name) for name in _who(entry))
                    lines.append(f"| {we_will} | {_cell(entry.body)} | {who} |")
            continue
        for part in priority.commitments:
            for index, entry in enumerate(part.entries):
                # Force-wide commentary has no heading: after an area's, the commitment is
                # stated again, as the printed update does on a fresh page.
                if index == 0 or entry.heading is None:
                    lines += [f"### {_escape(part.lead_in)}", "", f"*{_escape(part.text)}*", ""]
                if entry.heading is not None or not entry.submitted:
                    name = entry.heading or entry.contributor
                    lines += [f"#### {_escape(name)}{'' if entry.submitted else DRAFT}", ""]
                lines += [entry.body.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


# HTML and PDF


def to_html(doc: QuarterlyUpdate, *, for_print: bool = False) -> str:
    template = TEMPLATES.get_template("quarterly_update.html")
    return template.render(
        doc=doc,
        table=doc.layout is Layout.table,
        commitment_text=commitment_text,
        who=_who,
        for_print=for_print,
    )


def to_pdf(doc: QuarterlyUpdate) -> bytes:
    return html_to_pdf(to_html(doc, for_print=True))


# Word


def to_docx(doc: QuarterlyUpdate) -> bytes:
    # Imported here: a server that writes no Word file never holds python-docx in memory.
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    if doc.layout is Layout.table:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    document.add_heading(doc.title, level=0)
    block = document.add_table(rows=0, cols=2)
    block.style = "Table Grid"
    for label, value in doc.title_block:
        row = block.add_row().cells
        row[0].text, row[1].text = label, value
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Contents", level=1)
    for priority in doc.priorities:
        document.add_paragraph(priority.heading, style="List Bullet")
    for priority in doc.priorities:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(priority.heading, level=1)
        if priority.objective:
            document.add_paragraph(priority.objective)
        if priority.strands:
            document.add_paragraph(
                f"Strands delivering against this priority, as at {doc.quarter.last_day:%d %B %Y}:"
            )
            figures = document.add_table(rows=1, cols=5)
            figures.style = "Table Grid"
            for cell, text in zip(
                figures.rows[0].cells,
                ("Strand", "Total", "Complete", "Ongoing", "At risk"),
                strict=True,
            ):
                cell.text = text
            for s in priority.strands:
                row = figures.add_row().cells
                values = [
                    s.name,
                    *(
                        "N/A" if c is None else str(c)
                        for c in (s.total, s.complete, s.ongoing, s.at_risk)
                    ),
                ]
                for cell, text in zip(row, values, strict=True):
                    cell.text = text
        if doc.layout is Layout.table:
            table = document.add_table(rows=1, cols=3)
            table.style = "Table Grid"
            for cell, text in zip(
                table.rows[0].cells, ("We will", "Commentary", "Who"), strict=True
            ):
                cell.text = text
            for part in priority.commitments:
                for index, entry in enumerate(part.entries):
                    we_will, commentary, who = table.add_row().cells
                    we_will.text = commitment_text(part) if index == 0 else ""
                    commentary.paragraphs[0]._element.getparent().remove(
                        commentary.paragraphs[0]._element
                    )
                    markdown.to_docx(commentary, entry.body)
                    who.text = "\n".join(_who(entry))
            continue
        for part in priority.commitments:
            for index, entry in enumerate(part.entries):
                if index == 0 or entry.heading is None:
                    document.add_heading(part.lead_in, level=2)
                    document.add_paragraph().add_run(part.text).italic = True
                if entry.heading is not None or not entry.submitted:
                    name = entry.heading or entry.contributor
                    document.add_heading(f"{name}{'' if entry.submitted else DRAFT}", level=3)
                markdown.to_docx(document, entry.body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render(doc: QuarterlyUpdate, fmt: UpdateFormat) -> bytes:
    if fmt is UpdateFormat.md:
        return to_markdown(doc).encode()
    if fmt is UpdateFormat.html:
        return to_html(doc).encode()
    if fmt is UpdateFormat.docx:
        return to_docx(doc)
    return to_pdf(doc)
