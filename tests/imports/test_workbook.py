"""The workbook's rows as the importer reads them: the values openpyxl's own reader gives, cell
for cell, from workbooks as spreadsheets write them and from sheets written by hand."""

import io
import zipfile
from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app.imports.reader import PlanFileError, read_plan_file
from app.imports.workbook import open_workbook
from tests.imports.workbooks import knife_workbook

COLUMNS = 30
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _typed(sheets: list[list[tuple]]) -> list[list[list[tuple[type, object]]]]:
    """Each value with its type, since 1 == 1.0 == True."""
    return [[[(type(value), value) for value in row] for row in rows] for rows in sheets]


def _openpyxl_rows(content: bytes) -> list[list[list[tuple[type, object]]]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = [list(sheet.iter_rows(max_col=COLUMNS, values_only=True)) for sheet in workbook]
    workbook.close()
    return _typed(rows)


def _rows(content: bytes) -> list[list[list[tuple[type, object]]]]:
    workbook = open_workbook(content)
    rows = [list(sheet.row_values(COLUMNS)) for sheet in workbook.worksheets]
    workbook.close()
    return _typed(rows)


def _with_sheet(xml: str, *, epoch_1904: bool = False) -> bytes:
    """A workbook of one sheet (with a date style, 1) whose XML is `xml`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "x"
    sheet["B1"] = datetime(2020, 1, 1)
    sheet["C1"] = time(6, 30)
    workbook.epoch = datetime(1904, 1, 1) if epoch_1904 else workbook.epoch
    buffer = io.BytesIO()
    workbook.save(buffer)
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as archive:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = xml.encode()
            archive.writestr(member, data)
    return rewritten.getvalue()


def _sheet(rows: str, before: str = "") -> str:
    return f'<worksheet xmlns="{NS}">{before}<sheetData>{rows}</sheetData></worksheet>'


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


values = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
    st.sampled_from(["PREVENT", "  Pursue ", "=1+2", "'=SUM(A1)", "a\nb", "x & y <z>", "3"]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.datetimes(datetime(1901, 1, 1), datetime(2100, 1, 1)).map(_whole_seconds),
    st.dates(date(1901, 1, 1), date(2100, 1, 1)),
)
grids = st.lists(st.lists(values, max_size=34), max_size=12)


@settings(max_examples=40)
@given(grids, st.booleans(), st.booleans())
def test_a_workbooks_rows_are_read_as_openpyxl_reads_them(grid, write_only, gaps) -> None:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Plan") if write_only else workbook.active
    for number, row in enumerate(grid, start=1):
        if write_only:
            sheet.append(row)
            continue
        for column, value in enumerate(row, start=1):
            if value is not None:
                # Rows and columns left out here and there, where a sheet has gaps.
                at = (number * 2, column * 3) if gaps else (number, column)
                sheet.cell(*at, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _rows(buffer.getvalue()) == _openpyxl_rows(buffer.getvalue())


def test_the_test_plans_are_read_as_openpyxl_reads_them() -> None:
    content = knife_workbook()
    assert _rows(content) == _openpyxl_rows(content)


@pytest.mark.parametrize(
    "xml",
    [
        # Rows and cells without addresses follow the one before; a cell past the 30th column is
        # left out, and rows given out of order or twice are read once.
        _sheet(
            '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c></row>'
            '<row r="4"><c r="C4"><v>1.5</v></c><c><v>1E3</v></c><c r="AH4"><v>9</v></c></row>'
            '<row r="3"><c r="A3"><v>7</v></c></row><row r="4"><c r="A4"><v>8</v></c></row>'
            '<row><c r="B5" t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c t="str"><v>s</v></c>'
            '<c t="d"><v>2020-02-29T10:00:00</v></c><c r="F5"/><c r="G5"><v></v></c></row>'
            '<row r="6"><c r="A0"><v>1</v></c></row>'
        ),
        # A rich inline string; dates and a time by their styles (1 and 2 in this workbook).
        _sheet(
            '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>bold</t></r>'
            '<r><t xml:space="preserve"> and plain</t></r>'
            '<rPh sb="0" eb="1"><t>no</t></rPh></is></c>'
            '<c r="B1" s="1"><v>43831</v></c><c r="C1" s="2"><v>0.25</v></c>'
            '<c r="D1" s="1"><v>99999999</v></c><c r="E1" t="inlineStr"/></row>'
        ),
        # A dimension stops the rows at its last one, and pads them to it only when there are
        # rows past it.
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="3"/>', '<dimension ref="A1:B2"/>'),
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row>', '<dimension ref="A1:B6"/>'),
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="9"/>', '<dimension ref="A1:B6"/>'),
        # A dimension naming the last cell a sheet can have costs nothing: nothing is made of it.
        _sheet('<row r="2"><c r="A2"><v>1</v></c></row>', '<dimension ref="A1:XFD1048576"/>'),
        # Comments and processing instructions are not cells.
        _sheet('<row r="1"><!-- a note --><?pi x?><c><v>1</v></c><c><v>2</v></c></row>'),
    ],
)
@pytest.mark.filterwarnings("ignore:Cell D1 is marked as a date")
def test_sheets_written_by_hand_are_read_as_openpyxl_reads_them(xml: str) -> None:
    for epoch_1904 in (False, True):
        content = _with_sheet(xml, epoch_1904=epoch_1904)
        assert _rows(content) == _openpyxl_rows(content)


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="AAAA1"><v>1</v></c></row>',
        '<row r="1.5"><c><v>1</v></c></row>',
        '<row r="1"><c t="s"><v>5</v></c></row>',
        '<row r="1"><c><v>one</v></c></row>',
        '<row r="1"><c s="x"><v>1</v></c></row>',
    ],
)
def test_a_cell_openpyxl_cannot_read_is_refused(rows: str) -> None:
    content = _with_sheet(_sheet(rows))
    with pytest.raises(Exception):  # noqa: B017 — whatever openpyxl raises
        _openpyxl_rows(content)
    with pytest.raises(PlanFileError, match="is not readable"):
        read_plan_file(content, "plan.xlsx", max_rows=100, max_unpacked_bytes=10**7)


def test_a_sheet_with_a_dtd_is_refused_before_any_row_is_read() -> None:
    content = _with_sheet(
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + _sheet('<row r="1"><c t="inlineStr"><is><t>&b;</t></is></c></row>')
    )
    with pytest.raises(PlanFileError, match=r"not a readable \.xlsx workbook"):
        read_plan_file(content, "plan.xlsx", max_rows=100, max_unpacked_bytes=10**7)
