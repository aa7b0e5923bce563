"""The one Markdown renderer for everything people write: returns, paper sections, mitigations.

Markdown (CommonMark with tables and strikethrough, by markdown-it-py) is read once into a small
tree of blocks, which each format lays out: HTML (markdown-it's own renderer), Word paragraphs,
lists and tables (python-docx), and plain text for an Excel cell. Raw HTML is never passed
through: it is shown as the text it is. Links go only to http(s) and mailto addresses; any other
(`javascript:`, `data:`, …) is shown as text. Images are not fetched: their text is shown.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup

# python-docx is imported by the Word functions themselves: a server that writes no Word file
# never holds it in memory.
if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph as DocxParagraph

SAFE_SCHEMES = ("http://", "https://", "mailto:")
# What XML 1.0 (so a Word file) cannot hold; the text rule keeps it out of stored text anyway.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _drop_empty_links(state: StateCore) -> None:
    """`[text]()` links nowhere: keep its text, not an anchor with an empty address."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept, inside_empty = [], False
        for child in block.children:
            if child.type == "link_open" and not child.attrGet("href"):
                inside_empty = True
            elif child.type == "link_close" and inside_empty:
                inside_empty = False
            else:
                kept.append(child)
        block.children = kept


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": False, "linkify": False})
    md.enable(["table", "strikethrough"]).disable(["image"])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.core.ruler.push("drop_empty_links", _drop_empty_links)
    return md


_MD = _parser()


# The tree every format is laid out from


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    href: str | None = None


@dataclass(slots=True)
class Para:
    runs: list[Run]
    heading: int = 0
    """A heading's level (1-6) within the text; 0 for a paragraph."""
    quote: bool = False


@dataclass(slots=True)
class ListBlock:
    ordered: bool
    items: list[list[Block]]
    start: int = 1


@dataclass(slots=True)
class TableBlock:
    header: list[list[Run]]
    rows: list[list[list[Run]]]
    align: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Code:
    text: str


Block = Para | ListBlock | TableBlock | Code


def _inline_runs(node: SyntaxTreeNode, style: dict[str, Any] | None = None) -> list[Run]:
    style = style or {}
    runs: list[Run] = []
    for child in node.children:
        kind = child.type
        if kind == "text":
            runs.append(Run(child.content, **style))
        elif kind in ("softbreak", "hardbreak"):
            runs.append(Run("\n" if kind == "hardbreak" else " ", **style))
        elif kind == "code_inline":
            runs.append(Run(child.content, **{**style, "code": True}))
        elif kind == "strong":
            runs += _inline_runs(child, {**style, "bold": True})
        elif kind == "em":
            runs += _inline_runs(child, {**style, "italic": True})
        elif kind == "s":
            runs += _inline_runs(child, {**style, "strike": True})
        elif kind == "link":
            runs += _inline_runs(child, {**style, "href": str(child.attrs.get("href", ""))})
        else:
            runs += _inline_runs(child, style)
    return runs


def _runs_of(node: SyntaxTreeNode) -> list[Run]:
    """The runs of a block's inline content."""
    return [r for child in node.children if child.type == "inline" for r in _inline_runs(child)]


def _blocks(node: SyntaxTreeNode, *, quote: bool = False) -> list[Block]:
    found: list[Block] = []
    for child in node.children:
        kind = child.type
        if kind == "paragraph":
            found.append(Para(_runs_of(child), quote=quote))
        elif kind == "heading":
            found.append(Para(_runs_of(child), heading=int(child.tag[1]), quote=quote))
        elif kind in ("bullet_list", "ordered_list"):
            start = int(child.attrs.get("start", 1) or 1)
            items = [_blocks(item, quote=quote) for item in child.children]
            found.append(ListBlock(kind == "ordered_list", items, start))
        elif kind == "blockquote":
            found += _blocks(child, quote=True)
        elif kind in ("code_block", "fence"):
            found.append(Code(child.content.rstrip("\n")))
        elif kind == "table":
            found.append(_table(child))
        elif kind == "hr":
            continue
        else:
            found += _blocks(child, quote=quote)
    return found


def _cells(row: SyntaxTreeNode) -> list[list[Run]]:
    return [_runs_of(cell) for cell in row.children]


def _table(node: SyntaxTreeNode) -> TableBlock:
    header: list[list[Run]] = []
    rows: list[list[list[Run]]] = []
    align: list[str] = []
    for part in node.children:
        for row in part.children:
            if part.type == "thead":
                header = _cells(row)
                align = [_alignment(cell) for cell in row.children]
            else:
                rows.append(_cells(row))
    width = max([len(header), *(len(r) for r in rows)])
    pad = [Run("")]
    return TableBlock(
        header=header + [pad] * (width - len(header)),
        rows=[r + [pad] * (width - len(r)) for r in rows],
        align=align + ["left"] * (width - len(align)),
    )


def _alignment(cell: SyntaxTreeNode) -> str:
    style = str(cell.attrs.get("style", ""))
    return style.removeprefix("text-align:") if style.startswith("text-align:") else "left"


def parse(text: str) -> list[Block]:
    """Markdown as blocks: paragraphs, headings, lists, tables and code."""
    return _blocks(SyntaxTreeNode(_MD.parse(text or "")))


# HTML


def to_html(text: str) -> Markup:
    """Safe HTML: raw HTML escaped, unsafe links left as text, tables as tables."""
    return Markup(_MD.render(text or ""))


# Plain text, for a spreadsheet cell


def _plain_runs(runs: list[Run]) -> str:
    out = []
    for run in runs:
        out.append(run.text)
        if run.href and run.href != run.text:
            out.append(f" ({run.href})")
    return "".join(out)


def _plain_lines(blocks: list[Block], indent: str = "") -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Para):
            yield indent + _plain_runs(block.runs)
        elif isinstance(block, Code):
            yield from (indent + line for line in block.text.splitlines())
        elif isinstance(block, TableBlock):
            for row in [block.header, *block.rows]:
                yield indent + "\t".join(_plain_runs(cell) for cell in row)
        else:
            for number, item in enumerate(block.items, start=block.start):
                marker = f"{number}. " if block.ordered else "• "
                lines = list(_plain_lines(item, indent + "  "))
                if lines:
                    lines[0] = indent + marker + lines[0].removeprefix(indent + "  ")
                yield from lines or [indent + marker.rstrip()]


def to_plain(text: str) -> str:
    """Plain text: a line per paragraph, `•` and `1.` for list items, tab-separated table rows."""
    return "\n".join(_plain_lines(parse(text)))


# Word


class DocxContainer(Protocol):
    """A document, a table cell or a header: python-docx's block containers."""

    def add_paragraph(self, text: str = "", style: Any = None) -> DocxParagraph: ...

    def add_table(self, rows: int, cols: int, *args: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class WordStyles:
    """The style ids (not names: a lookup by name scans every style) the blocks are set in."""

    paragraph: str | None = None
    bullets: tuple[str, ...] = ("ListBullet", "ListBullet2", "ListBullet3")
    numbers: tuple[str, ...] = ("ListNumber", "ListNumber2", "ListNumber3")
    quote: str = "Quote"
    table_text: str | None = None
    table_fill: str = "DDE7F1"


def _hyperlink(paragraph: DocxParagraph, run: Run) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    part = paragraph.part
    rel_id = part.relate_to(run.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    element = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    properties.append(style)
    for flag, on in (("w:b", run.bold), ("w:i", run.italic), ("w:strike", run.strike)):
        if on:
            properties.append(OxmlElement(flag))
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    properties.append(underline)
    element.append(properties)
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = _NOT_XML.sub("", run.text)
    element.append(text)
    link.append(element)
    paragraph._p.append(link)


def _write_runs(paragraph: DocxParagraph, runs: list[Run]) -> None:
    for run in runs:
        if run.href:
            _hyperlink(paragraph, run)
            continue
        added = paragraph.add_run(_NOT_XML.sub("", run.text))
        added.bold = run.bold or None
        added.italic = run.italic or None
        if run.strike:
            added.font.strike = True
        if run.code:
            added.font.name = "Courier New"


def _styled(container: DocxContainer, style: str | None) -> DocxParagraph:
    paragraph = container.add_paragraph()
    if style:
        paragraph._p.get_or_add_pPr().style = style
    return paragraph


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _word_table(container: DocxContainer, block: TableBlock, styles: WordStyles) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    align = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
    table = container.add_table(1 + len(block.rows), len(block.header))
    table.style = "Table Grid"
    lines = [block.header, *block.rows]
    for row_index, (row, cells) in enumerate(zip(table.rows, lines, strict=True)):
        for column, (cell, runs) in enumerate(zip(row.cells, cells, strict=True)):
            paragraph = cell.paragraphs[0]
            if styles.table_text:
                paragraph._p.get_or_add_pPr().style = styles.table_text
            if block.align[column] in align:
                paragraph.alignment = align[block.align[column]]
            heading = row_index == 0
            _write_runs(paragraph, _bold(runs) if heading else runs)
            if heading:
                _shade(cell, styles.table_fill)
                paragraph.paragraph_format.keep_with_next = True
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(marker)


def _bold(runs: list[Run]) -> list[Run]:
    return [dataclasses.replace(run, bold=True) for run in runs]


def _word_blocks(
    container: DocxContainer, blocks: list[Block], styles: WordStyles, depth: int = 0
) -> None:
    for block in blocks:
        if isinstance(block, Para):
            style = styles.quote if block.quote else styles.paragraph
            paragraph = _styled(container, style)
            runs = block.runs
            if block.heading:
                runs = _bold(runs)
                paragraph.paragraph_format.keep_with_next = True
            _write_runs(paragraph, runs)
        elif isinstance(block, Code):
            from docx.shared import Pt

            paragraph = _styled(container, styles.paragraph)
            run = paragraph.add_run(_NOT_XML.sub("", block.text))
            run.font.name = "Courier New"
            run.font.size = Pt(9)
        elif isinstance(block, TableBlock):
            _word_table(container, block, styles)
            _styled(container, styles.paragraph)
        else:
            level = min(depth, len(styles.bullets) - 1)
            style = (styles.numbers if block.ordered else styles.bullets)[level]
            for number, item in enumerate(block.items, start=block.start):
                first, *rest = item or [Para([])]
                if isinstance(first, Para):
                    paragraph = _styled(container, style)
                    if block.ordered and not styles.numbers:
                        paragraph.add_run(f"{number}. ")
                    _write_runs(paragraph, first.runs)
                else:
                    rest = [first, *rest]
                _word_blocks(container, rest, styles, depth + 1)


def to_docx(container: DocxContainer, text: str, styles: WordStyles | None = None) -> None:
    """Append the text to a Word document (or cell) as paragraphs, lists and real tables."""
    _word_blocks(container, parse(text), styles or WordStyles())
