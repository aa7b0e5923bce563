"""Shared building blocks for request and response schemas."""

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)


class InputModel(BaseModel):
    """A request body: unknown fields are refused, surrounding white space is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# The text rule: what any stored string may hold, decided here for every field.
# Line ends are made uniform: Windows' \r\n, old Macs' \r and the vertical tab (\v) that Word
# puts in pasted text for a manual line break all become \n. What remains is refused if it is a
# C0 or C1 control character other than tab and newline (or DEL), a lone surrogate, or a Unicode
# non-character (U+FDD0..U+FDEF and the last two code points of every plane, U+FFFE, U+FFFF…):
# none of them is text a person means, and Word, Excel and XML cannot hold most of them.
_LINE_ENDS = re.compile(r"\r\n|\r|\v")
_NON_CHARACTERS = "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
_REFUSED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NON_CHARACTERS}]")


def normalise_text(value: str) -> str:
    """Line ends made newlines, surrounding white space trimmed: what the length is checked on."""
    return _LINE_ENDS.sub("\n", value).strip()


def refused_character(value: str) -> str | None:
    """The first character the text rule refuses, written U+XXXX, or None."""
    found = _REFUSED.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _refuse_characters(value: str) -> str:
    refused = refused_character(value)
    if refused:
        raise ValueError(
            f"must not contain the control or non-character {refused}; "
            "only printable text, tabs and new lines are kept"
        )
    return value


def check_text(value: str) -> str:
    """`value` normalised, or a ValueError naming the first character the rule refuses."""
    return _refuse_characters(normalise_text(value))


def scrub_text(value: str) -> str:
    """`value` with what the rule refuses removed: for exports of rows stored before the rule."""
    return _REFUSED.sub("", _LINE_ENDS.sub("\n", value))


def _normalised(value: object) -> object:
    return normalise_text(value) if isinstance(value, str) else value


# The rule as the schema states it: `not` a refused character (before \r and \v become new
# lines; lone surrogates, which regex dialects cannot name alike, are left to the validator),
# and for a field that may not be empty, not only white space.
_REFUSED_IN_SCHEMA = "\\x00-\\x08\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ufdd0-\\ufdef" + _NON_CHARACTERS
REFUSED_SEARCH = f"[{_REFUSED_IN_SCHEMA}]"


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A text field under the text rule, of bounded length once normalised and trimmed."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        Field(
            json_schema_extra={
                "not": {"anyOf": [{"pattern": REFUSED_SEARCH}, {"pattern": r"^\s*$"}]}
            }
            if min_length
            else {"not": {"pattern": REFUSED_SEARCH}}
        ),
        # Applied before the constraints above, whatever the order written here.
        BeforeValidator(_normalised),
        AfterValidator(_refuse_characters),
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
# Bounded whole numbers, their bounds ahead of the validator so that the schema states them as
# `minimum` and `maximum` (placed after it, they reach the schema as bare `ge` and `le`, which
# JSON Schema does not know, and clients and fuzzers never learn the bounds).
Position = Annotated[int, Field(ge=0, le=1000), BeforeValidator(_not_a_boolean)]
Rank = Annotated[int, Field(ge=1, le=1000), BeforeValidator(_not_a_boolean)]
TaskNo = Annotated[int, Field(ge=1, le=100_000), BeforeValidator(_not_a_boolean)]
Day = Annotated[date, BeforeValidator(_iso_date)]
Moment = Annotated[datetime, BeforeValidator(_iso_moment)]
# In a JSON body, only true or false: not 0, 1 or "yes".
Flag = Annotated[bool, Strict()]

# The ids a client may send: positive and within the database's integer range, so an absurd id
# is a clear 422 rather than an overflow in the driver.
MAX_ID = 2_147_483_647
Id = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_not_a_boolean)]


SCHEMA_EXAMPLES: dict[str, dict[str, Any]] = {}
"""Each model's example by its name, nulls kept (the OpenAPI encoder drops them from the schema)."""


def example(value: dict[str, Any]) -> ConfigDict:
    """A schema's example, shown in the API's documentation and given to generated clients.

    A subclass inherits it only where it still fits: every required field given, none unknown.
    """

    def extra(schema: dict[str, Any], cls: type[BaseModel]) -> None:
        fields = cls.model_fields
        required = {name for name, field in fields.items() if field.is_required()}
        if required <= value.keys() <= fields.keys():
            schema["examples"] = [value]
            SCHEMA_EXAMPLES[cls.__name__] = value

    return ConfigDict(json_schema_extra=extra)
