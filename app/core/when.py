"""Parse the free-text `When` column of a 4P delivery plan into a due date and a completed flag."""

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class When:
    """What a `When` cell says: a due date when it pins one, and whether it says COMPLETED."""

    due_date: date | None
    complete: bool


_FLAGS = re.IGNORECASE | re.ASCII
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {key: number for number, key in enumerate(_MONTH_KEYS, 1)}
_SEASON_END = {"spring": (0, 5), "summer": (0, 8), "autumn": (0, 11), "winter": (1, 2)}

_COMPLETED_RE = re.compile(r"\bcompleted\b", _FLAGS)
_NUMERIC_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)", _FLAGS)
_DAY_MONTH_YEAR_RE = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"\b\.?,?\s+(\d{4})(?!\d)", _FLAGS
)
_MONTH_DASH_YEAR_RE = re.compile(r"\b" + _MONTH + r"-(\d{4}|\d{2})(?!\d)", _FLAGS)
_MONTH_YEAR_RE = re.compile(r"\b" + _MONTH + r"\b\.?\s+(\d{4})(?!\d)", _FLAGS)
_SEASON_RE = re.compile(r"\b(spring|summer|autumn|winter)\s+(\d{4})(?!\d)", _FLAGS)

_EXCEL_EPOCH = date(1899, 12, 30)
_NOTHING = When(due_date=None, complete=False)


def _year(text: str) -> int:
    """A 2-digit year is 20YY; a 4-digit year is itself."""
    return 2000 + int(text) if len(text) == 2 else int(text)


def _month(name: str) -> int:
    """Month number from a full or abbreviated English month name."""
    return _MONTHS[name[:3].lower()]


def _day(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date | None:
    """The last day of the month, or None when the year is out of range."""
    if not 1 <= year <= 9999:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _due_date(text: str) -> date | None:
    """The date the text pins, day first, or None."""
    if m := _NUMERIC_RE.search(text):
        return _day(_year(m[3]), int(m[2]), int(m[1]))
    if m := _DAY_MONTH_YEAR_RE.search(text):
        return _day(int(m[3]), _month(m[2]), int(m[1]))
    if m := _MONTH_DASH_YEAR_RE.search(text):
        return _month_end(_year(m[2]), _month(m[1]))
    if m := _MONTH_YEAR_RE.search(text):
        return _month_end(int(m[2]), _month(m[1]))
    if m := _SEASON_RE.search(text):
        extra_year, month = _SEASON_END[m[1].lower()]
        return _month_end(int(m[2]) + extra_year, month)
    return None


def parse_when(text: str | None) -> When:
    """Parse a `When` text; never guesses a date the text does not pin."""
    if not text or not text.strip():
        return _NOTHING
    return When(due_date=_due_date(text), complete=bool(_COMPLETED_RE.search(text)))


def _from_excel_serial(serial: float) -> date | None:
    """The date of an Excel (1900 system) serial number, or None when it is not one."""
    if isinstance(serial, float) and not math.isfinite(serial):
        return None
    days = int(serial)
    if days < 1 or days == 60:  # day 60 is 29 Feb 1900, which Excel counts but never had
        return None
    epoch = _EXCEL_EPOCH if days > 60 else _EXCEL_EPOCH + timedelta(days=1)
    try:
        return epoch + timedelta(days=days)
    except OverflowError:
        return None


def parse_when_cell(value: object) -> When:
    """Parse a `When` cell as read from a CSV or a workbook (text, date, datetime or serial)."""
    if isinstance(value, datetime):
        return When(due_date=value.date(), complete=False)
    if isinstance(value, date):
        return When(due_date=value, complete=False)
    if isinstance(value, bool):
        return _NOTHING
    if isinstance(value, int | float):
        return When(due_date=_from_excel_serial(value), complete=False)
    if isinstance(value, str):
        return parse_when(value)
    return _NOTHING
