"""The board report as a Word document (python-docx): A4, numbered headings, gridded tables,
the charts as pictures, OFFICIAL in the header and page numbers in the footer."""

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

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


PROSE = WordStyles(paragraph=None)
PROSE_IN_TABLE = WordStyles(paragraph=TABLE_STYLE, table_text=TABLE_STYLE)
# What python-docx writes as other elements than text (tabs, breaks): a cell holding one is
# written through python-docx itself.
_NOT_PLAIN_TEXT = re.compile(r"[\t\n\r]")


@dataclass(slots=True)
class _CellXml:
    """One cell of a table as its XML is written: a grid span, a vertical merge, a fill."""

    width: int
    text: str = ""
    bold: bool = False
    centre: bool = False
    fill: str | None = None
    span: int = 1
    merge: str | None = None
    """"restart" on the first cell of a vertical merge, "continue" on those it takes in."""
    prose: str | None = None
    """People's Markdown, laid out by the Markdown renderer once the table exists."""


def _cell_xml(cell: _CellXml, keep_with_next: bool) -> str:
    """The `w:tc` python-docx would make of a new cell given these widths, merges, fill and text
    (the same elements in the same order), written out at once."""
    properties = [f'<w:tcW w:type="dxa" w:w="{cell.width}"/>']
    if cell.span > 1:
        properties.append(f'<w:gridSpan w:val="{cell.span}"/>')
    if cell.merge == "restart":
        properties.append('<w:vMerge w:val="restart"/>')
    elif cell.merge == "continue":
        properties.append("<w:vMerge/>")
    if cell.fill:
        properties.append(f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.fill}"/>')
    if cell.merge == "continue" or cell.prose is not None:
        paragraph = "<w:p/>"
    else:
        style = [f'<w:pStyle w:val="{TABLE_STYLE}"/>']
        if keep_with_next:
            style.append("<w:keepNext/>")
        if cell.centre:
            style.append('<w:jc w:val="center"/>')
        run = "<w:rPr><w:b/></w:rPr>" if cell.bold else ""
        if cell.text:
            space = ' xml:space="preserve"' if cell.text.strip() != cell.text else ""
            run += f"<w:t{space}>{escape(cell.text)}</w:t>"
        paragraph = f"<w:p><w:pPr>{''.join(style)}</w:pPr><w:r>{run}</w:r></w:p>"
    return f"<w:tc><w:tcPr>{''.join(properties)}</w:tcPr>{paragraph}</w:tc>"


def _header_cells(t: Table, widths: list[int]) -> list[list[_CellXml]]:
    """The header row, or with groups two: the first column's heading over both, each group's
    over its quarters."""
    if not t.groups:
        return [
            [
                _CellXml(width, label, bold=True, centre=index >= t.figures_from, fill=HEADER_FILL)
                for index, (label, width) in enumerate(zip(t.header, widths, strict=True))
            ]
        ]
    top = [_CellXml(widths[0], t.header[0], bold=True, fill=HEADER_FILL, merge="restart")]
    start = 1
    for label, span in t.groups:
        width = sum(widths[start : start + span])
        top.append(_CellXml(width, label, bold=True, centre=True, fill=HEADER_FILL, span=span))
        start += span
    second = [_CellXml(widths[0], fill=HEADER_FILL, merge="continue")]
    second += [
        _CellXml(width, label, bold=True, centre=True, fill=HEADER_FILL)
        for label, width in zip(t.header[1:], widths[1:], strict=True)
    ]
    return [top, second]


def _body_cells(t: Table, widths: list[int]) -> list[list[_CellXml]]:
    rows = []
    for number, values in enumerate(t.rows):
        total = t.total_row and number == len(t.rows) - 1
        row = []
        for index, (value, width) in enumerate(zip(values, widths, strict=True)):
            cell = _CellXml(width, bold=total, centre=index >= t.figures_from)
            if isinstance(value, Prose):
                cell.prose = value.text
            else:
                cell.text = cell_text(value)
            if total:
                cell.fill = TOTAL_FILL
            row.append(cell)
        rows.append(row)
    return rows


def _table(document: DocumentType, t: Table, grid_style: str) -> None:
    """A gridded table, its header repeated on each page it runs onto, its figures centred.

    Its XML is written whole and parsed once, which is many times faster than python-docx's
    building it cell by cell (each cell looked up through the whole grid); only the cells that
    hold people's Markdown are laid out through python-docx, by the Markdown renderer.
    """
    widths = [Emu(int(TEXT_WIDTH * w / sum(t.widths))).twips for w in t.widths]
    head = _header_cells(t, widths)
    rows = [*head, *_body_cells(t, widths)]
    keep_together = len(rows) <= KEEP_TOGETHER_ROWS
    # Word reads the cells' widths, LibreOffice the grid's: set both.
    xml = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>",
        f'<w:tblStyle w:val="{grid_style}"/><w:tblW w:type="auto" w:w="0"/>',
        '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/>',
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{width}"/>' for width in widths),
        "</w:tblGrid>",
    ]
    for number, row in enumerate(rows):
        keep = keep_together and number < len(rows) - 1
        xml.append("<w:tr>")
        if number < len(head):
            xml.append('<w:trPr><w:tblHeader w:val="true"/></w:trPr>')
        xml.extend(_cell_xml(cell, keep) for cell in row)
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    tbl = parse_xml("".join(xml))
    document.element.body._insert_tbl(tbl)
    table = DocxTable(tbl, document._body)
    for tr, row in zip(tbl.tr_lst, rows, strict=True):
        keep = keep_together and row is not rows[-1]
        for tc, cell in zip(tr.tc_lst, row, strict=True):
            if cell.prose is not None:
                _prose_cell(_Cell(tc, table), cell.prose, keep_with_next=keep)
            elif _NOT_PLAIN_TEXT.search(cell.text):
                Run(tc.p_lst[0].r_lst[0], table).text = cell.text
    document.add_paragraph()


def _prose_cell(cell: _Cell, text: str, *, keep_with_next: bool) -> None:
    """People's Markdown in a cell, in place of the empty paragraph a new cell holds."""
    empty = cell.paragraphs[0]._p
    to_docx(cell, text, PROSE_IN_TABLE)
    if len(cell.paragraphs) > 1:
        empty.getparent().remove(empty)
    if keep_with_next:
        cell.paragraphs[0].paragraph_format.keep_with_next = True


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
    # Looked up once: python-docx finds a style by name by reading every style.
    grid = document.styles["Table Grid"].style_id
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
    _table(document, summary.table, grid)
    _heading(document, HEADINGS["at_risk"], 2)
    if report.at_risk:
        _lead_in(document, report.at_risk_intro)
        _table(document, report.at_risk, grid)
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
            _table(document, plan.table, grid)
        if not strand.plans:
            document.add_paragraph(HEADINGS["no_plan"])
        if strand.plans_note:
            _note(document, strand.plans_note)
        _heading(document, HEADINGS["risks"], 3)
        if strand.risks:
            _table(document, strand.risks, grid)
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
