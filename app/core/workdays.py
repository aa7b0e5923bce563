"""Working days in England and Wales: Monday to Friday, less the bank holidays.

The bank holidays come from the `holidays` library (GB, subdivision ENG, which England and Wales
share), substitute days included: when Christmas falls on a Saturday, the Monday and Tuesday
after it are holidays.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from app.core.quarters import Quarter

DEFAULT_RETURN_WORKING_DAYS = 10


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # Imported here: its calendars of every country are memory a server that counts no working
    # day need not hold.
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(day: date, count: int) -> date:
    """The `count`th working day after `day` (before it when `count` is negative).

    `day` itself never counts, whether it is a working day or not; 0 gives `day` back.
    """
    step = timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def default_return_deadline(
    quarter: Quarter, working_days: int = DEFAULT_RETURN_WORKING_DAYS
) -> date:
    """The day returns are due: `working_days` working days after the quarter's last day."""
    return add_working_days(quarter.last_day, working_days)


def reminder_days(deadline: date, before: Iterable[int]) -> list[date]:
    """The days reminders go out: each `before` working days ahead of the deadline, and the day.

    Oldest first, each day once.
    """
    days = {add_working_days(deadline, -n) for n in before if n > 0}
    days.add(deadline)
    return sorted(days)
