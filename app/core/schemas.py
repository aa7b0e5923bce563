"""Shared building blocks for request and response schemas."""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


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
