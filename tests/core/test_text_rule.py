"""The text rule: every string a client can store is normalised and refused alike.

The walk below covers every request schema in the application, so a field added later with a
bare `str` (or its own validator) fails here with the field's name.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

import app.api  # noqa: F401  (imports every router, so every schema)
from app.core.schemas import (
    InputModel,
    check_text,
    normalise_text,
    refused_character,
    scrub_text,
    text,
)
from tests import factories

REFUSED = [
    *(chr(c) for c in range(0x00, 0x20) if chr(c) not in "\t\n\r\x0b"),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
]


def _input_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    waiting: list[type[BaseModel]] = [InputModel]
    while waiting:
        model = waiting.pop()
        for sub in model.__subclasses__():
            if sub not in found:
                found.append(sub)
                waiting.append(sub)
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


class _Field:
    """One field of a request schema, validated as the schema validates it (its own validators
    and the schema's settings included)."""

    def __init__(self, model: type[BaseModel], name: str) -> None:
        self.model = model
        self.name = name
        self.path = f"{model.__module__}.{model.__qualname__}.{name}"

        self.alone = TypeAdapter(model.model_fields[name].rebuild_annotation())

    def validate_python(self, value: Any) -> Any:
        instance = self.model.model_construct()
        try:
            self.model.__pydantic_validator__.validate_assignment(instance, self.name, value)
        except (AttributeError, TypeError):
            # A check across fields needs the others: validate this one alone.
            return self.alone.validate_python(value)
        return getattr(instance, self.name)


def _fields() -> list[tuple[str, _Field]]:
    return [
        (f"{model.__module__}.{model.__qualname__}.{name}", _Field(model, name))
        for model in _input_models()
        for name in model.model_fields
    ]


def _shapes(value: str) -> list[Any]:
    """The value as a field of each shape may take it: alone, in a list, as a mapping's value."""
    return [value, [value], {"key": value}]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def test_the_walk_finds_the_request_schemas() -> None:
    names = {path.rsplit(".", 1)[0] for path, _ in _fields()}
    assert "app.tasks.schemas.TaskCreate" in names
    assert "app.risks.schemas.RiskCreate" in names


@pytest.mark.parametrize("character", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_no_request_field_stores_a_refused_character(character: str) -> None:
    accepted = []
    for path, adapter in _fields():
        for shaped in _shapes(f"Plan{character}name"):
            try:
                value = adapter.validate_python(shaped)
            except ValidationError:
                continue
            if any(refused_character(s) for s in _strings(value)):
                accepted.append(path)
    assert accepted == [], (
        f"these fields store U+{ord(character):04X}: declare them with app.core.schemas.text()"
    )


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\x0b"], ids=["CRLF", "CR", "VT"])
def test_every_request_field_makes_line_ends_newlines(line_end: str) -> None:
    kept = []
    for path, adapter in _fields():
        for shaped in _shapes(f"line one{line_end}line two"):
            try:
                value = adapter.validate_python(shaped)
            except ValidationError:
                continue
            if any(line_end in s for s in _strings(value)):
                kept.append(path)
    assert kept == [], "these fields keep a line end other than \\n: use app.core.schemas.text()"


def test_length_is_counted_after_trimming() -> None:
    name = TypeAdapter(text(200, 1))
    assert name.validate_python("\x85" + "a" * 200 + " \u2028") == "a" * 200
    with pytest.raises(ValidationError, match="at most 200 characters"):
        name.validate_python("\x85" + "a" * 201)
    with pytest.raises(ValidationError, match="at least 1 character"):
        name.validate_python(" \x85\r\n")


def test_line_ends_are_counted_once_made_newlines() -> None:
    assert TypeAdapter(text(3)).validate_python("a\r\nb") == "a\nb"


@given(st.text())
def test_check_text_keeps_what_it_accepts_and_names_what_it_refuses(value: str) -> None:
    normalised = normalise_text(value)
    refused = refused_character(normalised)
    if refused is None:
        assert check_text(value) == normalised
        assert scrub_text(value).strip() == normalised
    else:
        with pytest.raises(ValueError, match=refused.replace("+", r"\+")):
            check_text(value)


@given(st.text())
def test_scrubbed_text_passes_the_rule(value: str) -> None:
    scrubbed = scrub_text(value)
    assert refused_character(scrubbed) is None
    assert check_text(scrubbed) == scrubbed.strip()


def test_a_refused_character_is_a_422_naming_the_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    strategy = factories.strategy(client, admin)
    response = client.post(
        "/api/v1/strands",
        json={"strategy_id": strategy["id"], "name": "Hate\u0007 Crime", "lead": "DCI Ray"},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problems = response.json()["errors"]
    assert [p["field"] for p in problems] == ["name"]
    assert "U+0007" in problems[0]["message"]
    listed = client.get("/api/v1/strands", headers=admin).json()
    assert listed == []


def test_word_line_breaks_are_stored_as_newlines(client: TestClient, admin: dict[str, str]) -> None:
    strategy = factories.strategy(client, admin)
    strand = factories.strand(
        client, admin, strategy["id"], "Hate Crime", purpose="Line one\x0bline two\r\nthree\r"
    )
    assert strand["purpose"] == "Line one\nline two\nthree"
