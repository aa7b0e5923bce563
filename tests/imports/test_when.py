"""Tests for the `When` column parser."""

import calendar
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.when import When, parse_when, parse_when_cell
from app.imports.reader import read_plan_file

NO_DATE = When(due_date=None, complete=False)

# Every distinct `When` value in seed/plans/*.csv, with what it means.
SEED_VALUES = [
    ("", NO_DATE),
    ("1st review 15/6/18", When(date(2018, 6, 15), False)),
    ("1st review 15/7/18", When(date(2018, 7, 15), False)),
    ("1st review 28/7/18", When(date(2018, 7, 28), False)),
    ("Autumn 2018", When(date(2018, 11, 30), False)),
    ("COMPLETED", When(None, True)),
    ("Dec-18", When(date(2018, 12, 31), False)),
    ("Effective immediate", NO_DATE),
    ("End July 2018", When(date(2018, 7, 31), False)),
    ("Feb-18", When(date(2018, 2, 28), False)),
    ("In development under SCD review", NO_DATE),
    ("Jan-18", When(date(2018, 1, 31), False)),
    ("Jun-18", When(date(2018, 6, 30), False)),
    ("Mar-19", When(date(2019, 3, 31), False)),
    ("May-18", When(date(2018, 5, 31), False)),
    ("Monthly", NO_DATE),
    ("Oct-18", When(date(2018, 10, 31), False)),
    ("On-going", NO_DATE),
    ("Ongoing", NO_DATE),
    ("Ongoing - plan available", NO_DATE),
    ("Ongoing until Sept 2018", When(date(2018, 9, 30), False)),
    ("Process under review", NO_DATE),
    ("Quarterly", NO_DATE),
    ("Referral process under review", NO_DATE),
    ("Sep-18", When(date(2018, 9, 30), False)),
    ("Sep-19", When(date(2019, 9, 30), False)),
    ("Sep-20", When(date(2020, 9, 30), False)),
    ("Spring 2019", When(date(2019, 5, 31), False)),
    ("This is a duplicate of task no.11. I haven't deleted it in case it's needed.", NO_DATE),
]

OTHER_VALUES = [
    (None, NO_DATE),
    ("   ", NO_DATE),
    ("15/06/2018", When(date(2018, 6, 15), False)),
    ("1/2/19", When(date(2019, 2, 1), False)),
    ("31/2/19", NO_DATE),
    ("29/2/20", When(date(2020, 2, 29), False)),
    ("July 2018", When(date(2018, 7, 31), False)),
    ("september 2019", When(date(2019, 9, 30), False)),
    ("15th June 2018", When(date(2018, 6, 15), False)),
    ("Summer 2018", When(date(2018, 8, 31), False)),
    ("Winter 2019", When(date(2020, 2, 29), False)),
    ("Completed", When(None, True)),
    ("Meeting with OPCC due in May.", NO_DATE),
]


SEED_PLANS = Path(__file__).resolve().parents[2] / "seed" / "plans"


def test_the_seed_values_are_every_when_of_the_seed_plans_as_the_importer_reads_them() -> None:
    expected = dict(SEED_VALUES)
    read = {}
    for path in sorted(SEED_PLANS.glob("*.csv")):
        plans = read_plan_file(path.read_bytes(), path.name, max_rows=1_000, max_unpacked_bytes=0)
        read |= {row.due_text: row.when for plan in plans.plans for row in plan.rows}
    assert read == expected


@pytest.mark.parametrize(("text", "expected"), SEED_VALUES + OTHER_VALUES)
def test_parse_when(text: str | None, expected: When) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2019, 3, 31), When(date(2019, 3, 31), False)),
        (datetime(2018, 9, 30, 14, 5), When(date(2018, 9, 30), False)),
        (43374, When(date(2018, 10, 1), False)),
        (43374.75, When(date(2018, 10, 1), False)),
        (1, When(date(1900, 1, 1), False)),
        (61, When(date(1900, 3, 1), False)),
        (0, NO_DATE),
        (-5, NO_DATE),
        (float("nan"), NO_DATE),
        (0.5, NO_DATE),
        (60, NO_DATE),
        (10**12, NO_DATE),
        (10**400, NO_DATE),
        (1e300, NO_DATE),
        (True, NO_DATE),
        (None, NO_DATE),
        ("Sep-18", When(date(2018, 9, 30), False)),
    ],
)
def test_parse_when_cell(value: object, expected: When) -> None:
    assert parse_when_cell(value) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_short_numeric_date_round_trips(day: date) -> None:
    assert parse_when(f"{day.day}/{day.month}/{day.year % 100:02d}").due_date == day


@given(st.dates())
def test_long_numeric_date_round_trips(day: date) -> None:
    assert parse_when(f"{day.day:02d}/{day.month:02d}/{day.year:04d}").due_date == day


@given(st.integers(2000, 2099), st.integers(1, 12), st.booleans())
def test_month_dash_year_is_last_day_of_month(year: int, month: int, sept: bool) -> None:
    name = "Sept" if sept and month == 9 else calendar.month_abbr[month]
    last = date(year, month, calendar.monthrange(year, month)[1])
    assert parse_when(f"{name}-{year % 100:02d}") == When(last, False)


@given(st.text())
def test_parse_when_never_raises(text: str) -> None:
    assert isinstance(parse_when(text), When)


@given(
    st.one_of(
        st.none(), st.text(), st.booleans(), st.integers(), st.floats(), st.dates(), st.datetimes()
    )
)
def test_parse_when_cell_never_raises(value: object) -> None:
    assert isinstance(parse_when_cell(value), When)
