"""Shared building blocks for request and response schemas."""

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
)


class InputModel(BaseModel):
    """A request body: unknown fields are refused, surrounding white space is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_control_characters(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL bytes")
    return value


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A text field of bounded length without NUL bytes."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


Name = text(200, 1)
ShortText = text(200)
LongText = text(10_000)
PersonName = text(200)


def slugify(name: str) -> str:
    """`Gangs & Knife Crime` → `gangs-and-knife-crime`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace("&", " and ").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]


def _not_a_boolean(value: object) -> object:
    # JSON's true is not the number 1, whatever Python thinks.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value.strip()


def _iso_moment(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a time written in ISO 8601, e.g. 2020-06-30T17:00:00Z")
    return value.strip()


Whole = Annotated[int, BeforeValidator(_not_a_boolean)]
Day = Annotated[date, BeforeValidator(_iso_date)]
Moment = Annotated[datetime, BeforeValidator(_iso_moment)]
# In a JSON body, only true or false: not 0, 1 or "yes".
Flag = Annotated[bool, Strict()]

# The ids a client may send: positive and within the database's integer range, so an absurd id
# is a clear 422 rather than an overflow in the driver.
MAX_ID = 2_147_483_647
Id = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_not_a_boolean)]
