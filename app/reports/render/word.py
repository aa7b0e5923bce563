"""The board report as a Word document (python-docx): A4, numbered headings, gridded tables,
the charts as pictures, OFFICIAL in the header and page numbers in the footer."""

import io

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from app.core.markdown import WordStyles, to_docx
from app.reports.schemas import BoardReport, PaperSection, Prose, Table
from app.reports.text import HEADINGS, cell_text, stamp, strand_heading, version_note

TEXT_WIDTH = Cm(16)
HEADER_FILL = "DDE7F1"
TOTAL_FILL = "F1F4F7"
BAND = RGBColor(0x1F, 0x4E, 0x79)
# Styles are set on each paragraph by id: python-docx's lookup by name scans every style.
TABLE_STYLE = "TableText"
BULLET_STYLE = "ListBullet"
KEEP_TOGETHER_ROWS = 15
"""A table this short is kept on one page, as the board's dashboards are."""


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _write(cell: _Cell, text: str, *, bold: bool = False, centre: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    properties = paragraph._p.get_or_add_pPr()
    properties.style = TABLE_STYLE
    if centre:
        properties.jc_val = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    if bold:
        run.bold = True


PROSE = WordStyles(paragraph=None)
PROSE_IN_TABLE = WordStyles(paragraph=TABLE_STYLE, table_text=TABLE_STYLE)


def _prose_cell(cell: _Cell, text: str) -> None:
    """People's Markdown in a cell, in place of the empty paragraph a new cell holds."""
    empty = cell.paragraphs[0]._p
    to_docx(cell, text, PROSE_IN_TABLE)
    if len(cell.paragraphs) > 1:
        empty.getparent().remove(empty)


def _repeat_as_header(row) -> None:
    """Printed again at the top of each page the table runs onto."""
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _table(document: DocumentType, t: Table) -> None:
    heads = 2 if t.groups else 1
    table = document.add_table(rows=heads + len(t.rows), cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [int(TEXT_WIDTH * w / sum(t.widths)) for w in t.widths]
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    rows = list(table.rows)
    for row in rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for row in rows[:heads]:
        _repeat_as_header(row)
        for cell in row.cells:
            _shade(cell, HEADER_FILL)
    # Cells are reached through their rows: table.cell() lays out the whole grid on each call.
    top = rows[0].cells
    if t.groups:
        second = rows[1].cells
        _write(top[0].merge(second[0]), t.header[0], bold=True)
        start = 1
        for label, span in t.groups:
            _write(top[start].merge(top[start + span - 1]), label, bold=True, centre=True)
            start += span
        for cell, label in zip(second[1:], t.header[1:], strict=True):
            _write(cell, label, bold=True, centre=True)
    else:
        for index, (cell, label) in enumerate(zip(top, t.header, strict=True)):
            _write(cell, label, bold=True, centre=index >= t.figures_from)
    for number, (row, values) in enumerate(zip(rows[heads:], t.rows, strict=True)):
        total = t.total_row and number == len(t.rows) - 1
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            if isinstance(value, Prose):
                _prose_cell(cell, value.text)
            else:
                _write(cell, cell_text(value), bold=total, centre=index >= t.figures_from)
            if total:
                _shade(cell, TOTAL_FILL)
    if len(rows) <= KEEP_TOGETHER_ROWS:
        for row in rows[:-1]:
            for cell in row.cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    document.add_paragraph()


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A field Word fills in as it lays out the pages (PAGE, NUMPAGES)."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _page_furniture(document: DocumentType) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.2)
    marking = section.header.paragraphs[0]
    marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
    marking.add_run("OFFICIAL").bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("OFFICIAL    Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _styles(document: DocumentType) -> None:
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    table_text = document.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(10)
    table_text.paragraph_format.space_after = Pt(0)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 13), ("Heading 3", 11.5)):
        style = document.styles[name]
        style.font.name = "Arial"
        style.font.size = Pt(size)
        style.font.color.rgb = BAND


def _bullet(document: DocumentType, text: str) -> None:
    document.add_paragraph(text)._p.get_or_add_pPr().style = BULLET_STYLE


def _note(document: DocumentType, text: str, *, notice: bool = False) -> None:
    """A remark on what follows: in italics, or in bold where the reader must not miss it."""
    run = document.add_paragraph().add_run(text)
    run.bold, run.italic = notice, not notice


def _heading(document: DocumentType, text: str, level: int) -> None:
    """A heading, kept on the page of what follows it."""
    document.add_heading(text, level=level).paragraph_format.keep_with_next = True


def _lead_in(document: DocumentType, text: str) -> None:
    """The sentence that introduces a table, kept with it."""
    document.add_paragraph(text).paragraph_format.keep_with_next = True


def _paper_section(document: DocumentType, section: PaperSection, level: int = 1) -> None:
    _heading(document, section.heading, level)
    if section.body:
        to_docx(document, section.body, PROSE)
    for sub in section.subsections:
        _heading(document, f"{sub.number} {sub.title}", level + 1)
        if sub.body:
            to_docx(document, sub.body, PROSE)


def _properties(document: DocumentType, report: BoardReport) -> None:
    properties = document.core_properties
    properties.title = report.title
    properties.subject = f"Quarterly board paper, {report.quarter.board_label}"
    properties.author = report.author
    properties.last_modified_by = report.author
    properties.keywords = "OFFICIAL"
    properties.comments = version_note(report.version)
    properties.created = properties.modified = report.produced_at.replace(tzinfo=None)
    properties.revision = report.version or 1


def _picture(document: DocumentType, png: bytes, description: str) -> None:
    """A chart with its alt text, kept on the page of its caption."""
    document.add_picture(io.BytesIO(png), width=TEXT_WIDTH)
    paragraph = document.paragraphs[-1]
    paragraph.paragraph_format.keep_with_next = True
    for shape in paragraph._p.xpath(".//wp:docPr"):
        shape.set("descr", description)
        shape.set("title", description)


def render(report: BoardReport) -> bytes:
    document = Document()
    _page_furniture(document)
    _styles(document)
    _properties(document, report)
    summary = report.summary
    document.add_heading(report.title, level=0)
    if report.version:
        _note(document, version_note(report.version))
    if report.restatement:
        _note(document, report.restatement.text, notice=True)
        for change in report.restatement.changes:
            _bullet(document, change)
    _note(document, summary.figures_note, notice=summary.locked)
    _note(document, f"Produced {stamp(report.produced_at)} from the tracker's records.")

    for section in report.sections("purpose", "recommendations"):
        _paper_section(document, section)
    _heading(document, HEADINGS["executive"], 1)
    _heading(document, HEADINGS["dashboard"], 2)
    _lead_in(document, report.summary_intro)
    _table(document, summary.table)
    _heading(document, HEADINGS["at_risk"], 2)
    if report.at_risk:
        _lead_in(document, report.at_risk_intro)
        _table(document, report.at_risk)
    else:
        document.add_paragraph(report.at_risk_intro)
    _heading(document, HEADINGS["quality"], 3)
    for warning in report.warnings:
        _bullet(document, warning)
    if not report.warnings:
        document.add_paragraph(HEADINGS["no_warnings"])
    for section in report.sections("exceptions"):
        _paper_section(document, section, 2)
    for section in report.sections("strategy_progress"):
        _paper_section(document, section)

    _heading(document, HEADINGS["strands"], 1)
    for strand in report.strands:
        _heading(document, strand_heading(strand.number, strand.name, strand.lead), 2)
        _heading(document, HEADINGS["plans"], 3)
        for plan in strand.plans:
            _table(document, plan.table)
        if not strand.plans:
            document.add_paragraph(HEADINGS["no_plan"])
        if strand.plans_note:
            _note(document, strand.plans_note)
        _heading(document, HEADINGS["risks"], 3)
        if strand.risks:
            _table(document, strand.risks)
        else:
            document.add_paragraph(HEADINGS["no_risks"])
        _note(document, strand.return_note, notice=strand.return_state != "submitted")
        for narrative in strand.narratives:
            _heading(document, narrative.title, 3)
            to_docx(document, narrative.body, PROSE)
    for section in report.sections("implications", "consultation", "actions", "future_work"):
        _paper_section(document, section)

    _heading(document, HEADINGS["charts"], 1)
    for number, chart in enumerate(report.charts, start=1):
        _picture(document, chart.png, f"{chart.title}. {chart.caption}")
        document.add_paragraph(f"Figure {number}: {chart.title}. {chart.caption}", style="Caption")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
