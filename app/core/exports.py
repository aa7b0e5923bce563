"""CSV and Excel downloads, with spreadsheet formulas in user text neutralised.

Every text written passes `scrub_text` first, so a row stored before the text rule (a control
character Word or Excel cannot hold) is exported without it rather than breaking the file.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula
by Excel or LibreOffice when the file is opened (`=HYPERLINK(…)` in a task title, say), so such
text is written with a leading apostrophe, which spreadsheets show as plain text.
"""

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi.responses import Response, StreamingResponse

from app.core.schemas import scrub_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
T = TypeVar("T")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: str) -> str:
    """Text that a spreadsheet will show, never evaluate, and that any file format can hold."""
    value = scrub_text(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def scrubbed(value: T) -> T:
    """`value` (text, or dataclasses, tuples and lists of them) with every string scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)  # type: ignore[return-value]
    if isinstance(value, tuple | list):
        return type(value)(scrubbed(item) for item in value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: scrubbed(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def safe_cell(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if value is None:
        return ""
    return value


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _chain(header, rows):
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _chain(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield header
    yield from rows


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingResponse:
    """A CSV download streamed row by row, so a long export never sits whole in memory."""
    return StreamingResponse(
        csv_lines(header, rows),
        media_type="text/csv; charset=utf-8",
        headers=_disposition(filename),
    )


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def xlsx_bytes(
    sheets: Sequence[Sheet],
    widths: Mapping[str, Sequence[float]] | None = None,
    *,
    for_print: bool = False,
) -> bytes:
    """An .xlsx workbook with a bold header row per sheet, written in openpyxl's streaming mode.

    `widths` gives some sheets (by title) their column widths, in characters. `for_print` freezes
    each sheet's header row, puts filters on it and prints it landscape, fitted to the page's
    width, with the header repeated on every page.
    """
    # Imported here, as by every other writer of files: a server that never exports never holds
    # openpyxl in memory.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=" ".join(scrub_text(title).split())[:31])
        for index, width in enumerate((widths or {}).get(title, ()), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        if for_print:
            rows = list(rows)
            sheet.freeze_panes = "A2"
            last = get_column_letter(max(1, len(header)))
            sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
            sheet.page_setup.orientation = "landscape"
            sheet.page_setup.paperSize = "9"  # A4
            sheet.page_setup.fitToWidth = 1
            sheet.page_setup.fitToHeight = 0
            sheet.sheet_properties.pageSetUpPr.fitToPage = True
            sheet.print_title_rows = "1:1"
        header_cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: show UTC wall-clock time.
        return value.replace(tzinfo=None)
    if isinstance(value, date | int | float) or value is None:
        return value
    return safe_text(str(value))


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> Response:
    return Response(xlsx_bytes(sheets), media_type=XLSX, headers=_disposition(filename))
