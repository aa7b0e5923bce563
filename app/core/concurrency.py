"""ETags and If-Match, so that two people never overwrite each other's edits silently."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Response

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag(kind: str, id_: int | None, version: int) -> str:
    return f'"{kind}-{id_}-v{version}"'


def set_etag(response: Response, value: str) -> None:
    response.headers["ETag"] = value


def _tags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


def check_if_match(
    if_match: str | None,
    current_etag: str,
    *,
    what: str,
    current: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """428 when the client sent no If-Match, 412 when what it saw is no longer current.

    A 412 carries the current ETag and, when `current` is given, the record as it now stands,
    so that the client can see what changed before it tries again.
    """
    if not if_match:
        raise PreconditionRequired(
            f"send If-Match with the ETag of the {what} you are changing (GET it first)"
        )
    tags = _tags(if_match)
    if "*" in tags or current_etag in tags:
        return
    extra: dict[str, Any] = {"current_etag": current_etag}
    if current is not None:
        extra["current"] = current()
    raise PreconditionFailed(
        f"the {what} has changed since you read it: GET it again, then re-apply your change",
        extra=extra,
    )


REQUIRED_PRECONDITION = {"x-precondition": "required"}
"""Marks an If-Match that a route requires (missing is its 428, not a 422); the schema says so."""

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match", description="The ETag you read.", json_schema_extra=REQUIRED_PRECONDITION
    ),
]
UPSERT_PRECONDITION = {"x-precondition": "to-change"}
"""Marks an If-Match a PUT needs to change an existing record (428 without), not to make one."""

UpsertIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you read: needed to change an existing record, not to create one.",
        json_schema_extra=UPSERT_PRECONDITION,
    ),
]
OptionalIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Optional: the ETag you read; a 412 if the record has changed since.",
    ),
]


def check_optional_if_match(
    if_match: str | None,
    current_etag: str,
    *,
    what: str,
    current: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Like `check_if_match` when the client sent If-Match; nothing when it did not."""
    if if_match:
        check_if_match(if_match, current_etag, what=what, current=current)


def not_modified(if_none_match: str | None, current_etag: str) -> bool:
    """Whether the client already holds what `current_etag` names (weak comparison, as for GET)."""
    if not if_none_match:
        return False
    tags = _tags(if_none_match)
    return "*" in tags or current_etag.removeprefix("W/") in tags


IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="The ETag you hold: a 304 if it is still current."),
]
