"""Unknown query parameters are refused, so that a typo (`?stauts=`) is never silently ignored."""

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.core.errors import Invalid
from app.core.openapi import raises

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
