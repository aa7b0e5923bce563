"""Unknown query parameters are refused, so that a typo (`?stauts=`) is never silently ignored."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request
from fastapi.dependencies.models import Dependant

from app.core.errors import Invalid
from app.core.openapi import raises
from app.core.schemas import Moment

UpdatedSince = Annotated[
    Moment | None,
    Query(
        description="Only what changed at or after this moment (ISO 8601 with its zone): pull "
        "again with the time of your last pull to sync incrementally.",
        examples=["2020-09-30T17:00:00Z"],
    ),
]
ANY_OF = "Repeat it for any of several, e.g. `status=at_risk&status=ongoing`."


def any_of(description: str = "", max_length: int | None = None) -> object:
    """A filter that may be repeated: a record matching any of the values is kept."""
    return Query(description=f"{description} {ANY_OF}".strip(), max_length=max_length)


def values(given: list | None) -> tuple:
    """A repeated filter's values, each once, in the order given (empty: no filter)."""
    return tuple(dict.fromkeys(given or ()))


def since(moment: datetime | None) -> datetime | None:
    """`updated_since` as UTC; a moment written without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# Keyed by the route's dependant, which lives as long as the app (dependants are not hashable).
_KNOWN: dict[int, frozenset[str]] = {}


def _names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _names(sub)
    return names


def _known(dependant: Dependant) -> frozenset[str]:
    known = _KNOWN.get(id(dependant))
    if known is None:
        known = _KNOWN[id(dependant)] = frozenset(_names(dependant))
    return known


@raises(422)
async def refuse_unknown_query(request: Request) -> None:
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not request.query_params:
        return
    unknown = sorted(set(request.query_params) - _known(dependant))
    if unknown:
        raise Invalid(
            f"unknown query parameter: {', '.join(unknown)}",
            errors=[{"field": name, "message": "unknown query parameter"} for name in unknown],
        )
