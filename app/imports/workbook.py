"""An .xlsx workbook's worksheets read as rows of cell values, as openpyxl reads them, faster.

openpyxl reads the workbook's parts: which sheets it has, their shared strings, which styles
are dates and from which epoch. Its read-only worksheets would read the cells too, but through
the standard library's pure-Python XML parser (the one defusedxml guards), after a first pass
over the whole sheet looking for a dimension that workbooks written in streaming mode (ours,
openpyxl's write-only ones) do not have. Here lxml reads the cells, with openpyxl's rules for
each cell's value, and a sheet with a DTD (so, with entities) is refused, as defusedxml refuses
it: an .xlsx never needs one.
"""

import io
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.constants import SHEET_MAIN_NS

ROW = f"{{{SHEET_MAIN_NS}}}row"
VALUE = f"{{{SHEET_MAIN_NS}}}v"
INLINE_STRING = f"{{{SHEET_MAIN_NS}}}is"
DIMENSION = f"{{{SHEET_MAIN_NS}}}dimension"
SHEET_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"


class DeclaresEntities(ValueError):
    """A sheet's XML has a DTD, where entities (and their bombs) are declared."""


def open_workbook(content: bytes) -> Workbook:
    """The workbook with its worksheets ready to read with `Sheet.row_values`."""
    reader = _Reader(io.BytesIO(content), read_only=True, data_only=True)
    reader.read()
    return reader.wb


class _Reader(ExcelReader):
    def read_worksheets(self) -> None:
        """As openpyxl's read-only reader does, with each worksheet a `Sheet`."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _elements(source: IO[bytes], events: tuple[str, ...], tag: str | None) -> Iterator[Any]:
    """Elements of the XML as they are parsed (an ended one cleared once the caller has it);
    no DTD, entity, comment or processing instruction."""
    parsed = etree.iterparse(
        source,
        events=events,
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    for _, element in parsed:
        if not checked:
            if element.getroottree().docinfo.doctype:
                raise DeclaresEntities("the sheet's XML has a DTD")
            checked = True
        yield element
        if events == ("end",):
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]


def _local(element: Any) -> str:
    return element.tag.rpartition("}")[2]


def _inline_text(inline: Any) -> str:
    """An inline string's text as openpyxl's `Text.content` gives it: its last `t`, then the
    last `t` of each run."""
    plain = None
    runs = []
    for child in inline:
        name = _local(child)
        if name == "t":
            plain = child.text
        elif name == "r":
            run = None
            for part in child:
                if _local(part) == "t":
                    run = part.text
            runs.append(run)
    return "".join(text for text in (plain, *runs) if text is not None)


def _number(text: str) -> int | float:
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(number)


class Sheet(ReadOnlyWorksheet):
    """A read-only worksheet whose rows of values are read by lxml."""

    def _get_size(self) -> None:
        """The sheet's dimension, if it states one before its cells (where it belongs)."""
        with self._get_source() as source:
            for element in _elements(source, ("start",), None):
                if element.tag == DIMENSION:
                    boundaries = SheetDimension.from_tree(element).boundaries
                    self._min_column, self._min_row, self._max_column, self._max_row = boundaries
                    return
                if element.tag == SHEET_DATA:
                    return

    def row_values(self, max_col: int) -> Iterator[tuple[Any, ...]]:
        """What `iter_rows(max_col=max_col, values_only=True)` gives: each row from the first,
        missing ones as empty, as `max_col` values, up to the dimension's last row if any."""
        empty = (None,) * max_col
        max_row = self._max_row
        counter = index = 1
        number = 0
        with self._get_source() as source:
            for row in _elements(source, ("end",), ROW):
                at = row.get("r")
                number = number + 1 if at is None else _row_number(at)
                index = number
                if max_row is not None and index > max_row:
                    break
                while counter < index:
                    counter += 1
                    yield empty
                values = self._values(row, max_col)
                if counter <= index:
                    counter += 1
                    yield values
        if max_row is not None and max_row < index:
            for _ in range(counter, max_row + 1):
                yield empty

    def _values(self, row: Any, max_col: int) -> tuple[Any, ...]:
        """The row's values at their columns (a cell without an address follows the last)."""
        values = [None] * max_col
        column = 0
        for cell in row:
            at = cell.get("r")
            column = coordinate_to_tuple(at)[1] if at else column + 1
            value = self._value(cell)
            if column <= max_col:
                values[column - 1] = value
        return tuple(values)

    def _value(self, cell: Any) -> Any:
        """The cell's value as openpyxl reads it with `data_only`: a formula's cached value."""
        kind = cell.get("t", "n")
        style = cell.get("s", 0)
        if style:
            style = int(style)
        if kind == "inlineStr":
            inline = cell.find(INLINE_STRING)
            return None if inline is None else _inline_text(inline)
        text = cell.findtext(VALUE) or None
        if text is None:
            return None
        if kind == "n":
            value = _number(text)
            workbook = self.parent
            if style in workbook._date_formats:
                try:
                    timedelta = style in workbook._timedelta_formats
                    return from_excel(value, workbook.epoch, timedelta=timedelta)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return value
        if kind == "s":
            return self._shared_strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return text
