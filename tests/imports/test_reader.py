"""The reader on untrusted files: it reads them or refuses them cleanly, never anything else."""

import csv
import io

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core.errors import Invalid
from app.imports.reader import PlanFile, read_plan_file
from tests.imports.workbooks import HEADER, knife_workbook

KNIFE = knife_workbook()
cells = st.one_of(st.text(max_size=12), st.sampled_from(["PREVENT", "Pursue", ".", "", "3"]))


def _read(content: bytes, filename: str) -> PlanFile | None:
    try:
        return read_plan_file(content, filename, max_rows=100, max_unpacked_bytes=10**7)
    except Invalid as error:
        assert error.errors == [{"field": "file", "message": error.detail}]
        return None


@given(st.lists(st.lists(cells, max_size=7), max_size=25))
def test_every_row_below_the_header_is_a_task_or_skipped_with_a_reason(rows) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["A title"], HEADER, *rows])
    result = _read(buffer.getvalue().encode(), "plan.csv")
    if result is None:
        return
    for plan in result.plans:
        for row in plan.rows:
            assert (row.skipped is None) == bool(row.pillar and row.title)


@settings(max_examples=60)
@given(st.integers(0, len(KNIFE) - 1), st.integers(0, 255))
# A central directory entry that asks for zip version 6.4 to extract it.
@example(KNIFE.find(b"PK\x01\x02") + 6, 64)
def test_a_damaged_workbook_is_read_or_refused(position: int, value: int) -> None:
    damaged = bytearray(KNIFE)
    damaged[position] = value
    _read(bytes(damaged), "knife.xlsx")


@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused(content: bytes) -> None:
    _read(content, "plan.xlsx")
    _read(content, "plan.csv")
    _read(b"PK\x03\x04" + content, "plan")
