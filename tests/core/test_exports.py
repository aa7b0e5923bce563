import csv
import io
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from app.core.exports import FORMULA_STARTS, csv_lines, safe_text, xlsx_bytes
from app.core.schemas import refused_character, scrub_text


@given(st.text())
def test_safe_text_never_starts_like_a_formula_and_keeps_the_text(value: str) -> None:
    safe = safe_text(value)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (scrub_text(value), "'" + scrub_text(value))
    assert refused_character(safe) is None


def test_csv_rows_neutralise_formulas() -> None:
    text = "".join(csv_lines(["title", "n"], [['=HYPERLINK("x")', 3], ["plain", None]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["title", "n"], ['\'=HYPERLINK("x")', "3"], ["plain", ""]]


def test_xlsx_keeps_types_and_never_writes_a_formula() -> None:
    stamp = datetime(2020, 6, 30, 12, 0, tzinfo=UTC)
    data = xlsx_bytes(
        [("Tasks", ["title", "due", "n", "at"], [["=1+1", date(2020, 6, 30), 7, stamp]])]
    )
    sheet = load_workbook(io.BytesIO(data))["Tasks"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["title", "due", "n", "at"]
    assert values[1][0] == "'=1+1"
    assert values[1][1].date() == date(2020, 6, 30)
    assert values[1][2:] == [7, datetime(2020, 6, 30, 12, 0)]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
