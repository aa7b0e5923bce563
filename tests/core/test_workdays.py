from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.quarters import Quarter
from app.core.workdays import (
    add_working_days,
    default_return_deadline,
    is_working_day,
    reminder_days,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
# The first look at a year works out its bank holidays, which takes longer than the rest.
no_deadline = settings(deadline=None)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`, counted one by one."""
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


@no_deadline
@given(days, st.integers(0, 60))
def test_adding_n_working_days_passes_exactly_n_of_them(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n:
        assert is_working_day(end)


@no_deadline
@given(days, st.integers(1, 60))
def test_going_back_n_working_days_undoes_going_forward(start: date, n: int) -> None:
    if is_working_day(start):
        assert add_working_days(add_working_days(start, n), -n) == start
    else:
        assert add_working_days(add_working_days(start, n), -n) < start


@no_deadline
@given(days)
def test_weekends_are_never_working_days(day: date) -> None:
    if day.weekday() >= 5:
        assert not is_working_day(day)


def test_easter_2021_pushes_the_q4_deadline_back_two_days() -> None:
    # 2020/21 Q4 ends on Wednesday 31 March 2021; Good Friday (2 April) and Easter Monday
    # (5 April) are bank holidays, so the tenth working day is Friday 16 April, not the 14th.
    assert not is_working_day(date(2021, 4, 2))
    assert not is_working_day(date(2021, 4, 5))
    assert default_return_deadline(Quarter.parse("2020-21-Q4")) == date(2021, 4, 16)


def test_easter_2026_deadline() -> None:
    # Q4 ends on Tuesday 31 March 2026; Good Friday is 3 April and Easter Monday 6 April.
    assert default_return_deadline(Quarter.parse("2025-26-Q4")) == date(2026, 4, 16)


def test_christmas_substitute_days_are_not_working_days() -> None:
    # Christmas Day 2021 and Boxing Day were a Saturday and a Sunday: Monday 27 and Tuesday 28
    # December were the bank holidays instead.
    assert add_working_days(date(2021, 12, 24), 1) == date(2021, 12, 29)
    assert add_working_days(date(2021, 12, 29), -1) == date(2021, 12, 24)


def test_q3_deadline_skips_new_years_day_and_its_substitute() -> None:
    # 2021/22 Q3 ends on Friday 31 December 2021; New Year's Day was a Saturday, so Monday 3
    # January 2022 was the holiday, and the tenth working day is Monday 17 January.
    assert default_return_deadline(Quarter.parse("2021-22-Q3")) == date(2022, 1, 17)
    assert default_return_deadline(Quarter.parse("2026-27-Q3")) == date(2027, 1, 15)


def test_reminders_ten_working_days_ahead_reach_back_over_christmas() -> None:
    # Friday 9 January 2026: the tenth working day before it skips New Year's Day, Boxing Day
    # and Christmas Day (and the weekends) and lands on Tuesday 23 December 2025.
    assert reminder_days(date(2026, 1, 9), [10, 5, 1]) == [
        date(2025, 12, 23),
        date(2026, 1, 2),
        date(2026, 1, 8),
        date(2026, 1, 9),
    ]


def test_reminder_days_come_once_each_and_always_include_the_deadline() -> None:
    assert reminder_days(date(2021, 4, 16), [1, 1, 0]) == [date(2021, 4, 15), date(2021, 4, 16)]
    assert reminder_days(date(2021, 4, 16), []) == [date(2021, 4, 16)]
