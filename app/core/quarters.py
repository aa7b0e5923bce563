"""UK financial-year quarters: `2020-21-Q1` is 1 April to 30 June 2020; Q4 ends 31 March 2021."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2})\s*[- ]?\s*Q([1-4])\s*$", re.IGNORECASE)


SERVED_YEARS = range(2000, 2100)
"""The financial years the tracker reports on (2000-01 to 2099-00): a quarter a client names
outside them is refused, so no report or trend runs off the calendar."""


QUARTER_PATTERN = (
    r"^\s*(?:"
    + "|".join(rf"{year}\s*[-/]\s*{(year + 1) % 100:02d}" for year in SERVED_YEARS)
    + r")\s*[- ]?\s*[Qq][1-4]\s*$"
)
"""What `Quarter.parse` accepts, as a JSON Schema pattern: a served year followed by the next."""
QUARTER_SCHEMA = {"type": "string", "pattern": QUARTER_PATTERN, "example": "2020-21-Q2"}


class QuarterError(ValueError):
    pass


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """Quarter `number` (1-4) of the financial year that starts in April of `year`."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise QuarterError(f"quarter number must be 1 to 4, not {self.number}")
        if not 1900 <= self.year <= 9998:
            raise QuarterError(f"financial year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """Read `2020-21-Q2` or the board's `2020/21 Q2`."""
        match = _QUARTER.match(text) if isinstance(text, str) else None
        if not match:
            raise QuarterError(f"{text!r} is not a quarter: write it as 2020-21-Q2 (or 2020/21 Q2)")
        year, next_year, number = int(match[1]), int(match[2]), int(match[3])
        if next_year != (year + 1) % 100:
            raise QuarterError(
                f"{text!r} is not a quarter: {year} is followed by {(year + 1) % 100:02d}"
            )
        if year not in SERVED_YEARS:
            first, last = cls(SERVED_YEARS[0], 1), cls(SERVED_YEARS[-1], 4)
            raise QuarterError(f"{text!r} is not a quarter the tracker serves: {first} to {last}")
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> "Quarter":
        """The quarter a date falls in."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @property
    def first_day(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def financial_year(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    @property
    def board_label(self) -> str:
        """As the board paper writes it: `2020/21 Q2`."""
        return f"{self.year}/{(self.year + 1) % 100:02d} Q{self.number}"

    @property
    def ordinal(self) -> int:
        """The quarter's place in one unbroken count of quarters: see `ordinal_of`."""
        return self.year * 4 + self.number

    def next(self) -> "Quarter":
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> "Quarter":
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def year_quarters(self) -> list["Quarter"]:
        """The four quarters of this quarter's financial year."""
        return [Quarter(self.year, n) for n in range(1, 5)]

    def __str__(self) -> str:
        return f"{self.financial_year}-Q{self.number}"


def ordinal_of(day: date) -> int:
    """The ordinal of the quarter a day falls in: four to a calendar year, so that the quarters
    of a financial year (April to June first) are consecutive numbers and compare as they run."""
    return day.year * 4 + (day.month - 1) // 3


def quarter_range(first: Quarter, last: Quarter) -> Iterator[Quarter]:
    """Every quarter from `first` to `last`, both included; nothing when `last` comes first."""
    quarter = first
    while quarter <= last:
        yield quarter
        quarter = quarter.next()


def _coerce(value: Any) -> Quarter:
    if isinstance(value, Quarter):
        return value
    try:
        return Quarter.parse(value)
    except QuarterError as exc:
        raise ValueError(str(exc)) from None


QuarterField = Annotated[
    Quarter,
    BeforeValidator(_coerce),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(QUARTER_SCHEMA),
]

# For query and path parameters, which FastAPI only accepts as scalar types: declared as a
# string, handed to the route as a Quarter (a bad one is a 422 naming the parameter).
QuarterParam = Annotated[
    str,
    AfterValidator(_coerce),
    WithJsonSchema(QUARTER_SCHEMA),
]
