"""The app's route table, flattened through included routers."""

import re
from collections.abc import Iterator
from typing import Any

from starlette.routing import Match

CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def path_template(path: str) -> str:
    """`/tasks/{task_id:int}` as the OpenAPI schema writes it: `/tasks/{task_id}`."""
    return CONVERTOR.sub(r"{\1}", path)


def iter_routes(app: Any) -> Iterator[Any]:
    """Every route the app answers, with its full path, `methods` and `matches`."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        else:
            yield route


def allowed_methods(app: Any, scope: dict[str, Any]) -> list[str]:
    """The methods some route answers at the request's path (for a 405's Allow header)."""
    methods: set[str] = set()
    for route in iter_routes(app):
        if not getattr(route, "methods", None):
            continue
        match, _ = route.matches({**scope, "method": next(iter(route.methods))})
        if match is Match.FULL:
            methods |= set(route.methods)
    return sorted(methods)
