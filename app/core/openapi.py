"""The OpenAPI schema, made for generating clients.

Its rules are mechanisms that every route meets by being written in the house style:
- an operation's id is its function's name in camelCase (`list_tasks` → `listTasks`), unless the
  route names one (`operation_id=`);
- a tag is described where its router is made (`APIRouter(tags=tag("tasks", "…"))`);
- the error answers of a route are derived from what it depends on and takes: a dependency
  declares what it raises (`@raises(401)`), a path parameter or one naming a record (`…_id`)
  may be a 404, a body may be too large (413), a write may be refused (403), clash (409) or be
  rate-limited (429), `If-Match` brings 412 and 428, `If-None-Match` a 304, any input a 422;
  what a service raises beyond that the route declares itself (`responses=errors(403)`);
- every error is problem+json, and `Idempotency-Key` is declared on every POST it works on;
- a container schema (a page of tasks) takes its example from the schemas it holds;
- an operation that creates a record links to the operations on it (`createTask` →
  `getTask`, `updateTask`, `recordTaskStatus`, … with the `id` it answered), and one that reads
  a record links to those that change it, passing its `ETag` as `If-Match`: OpenAPI links, which
  clients and the stateful fuzzer follow.
"""

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from app.core.errors import PROBLEM_JSON
from app.core.problems import KIND_OF_STATUS, PROBLEM_TYPES
from app.core.routes import iter_routes, path_template
from app.core.schemas import SCHEMA_EXAMPLES

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"
TAG_DESCRIPTIONS: dict[str, str] = {
    "problems": "The pages that the `type` of each problem+json error leads to.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
F = TypeVar("F", bound=Callable[..., Any])


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details; `type` leads to a page that describes it."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/validation-error",
                    "title": "Validation error",
                    "status": 422,
                    "detail": "The request is not valid: check status.",
                    "errors": [{"field": "status", "message": "Input should be 'ongoing'"}],
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def tag(name: str, description: str) -> list[str]:
    """A router's tag, described once where the router is made."""
    TAG_DESCRIPTIONS[name] = description
    return [name]


def operation_id(route: APIRoute) -> str:
    """`list_tasks` → `listTasks`: stable, and what a generated client names its function."""
    head, *rest = route.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def raises(*codes: int, writes: tuple[int, ...] = ()) -> Callable[[F], F]:
    """Declare the error answers a dependency can give (`writes`: only on a write)."""

    def mark(function: F) -> F:
        function.__problems__ = (frozenset(codes), frozenset(writes))  # type: ignore[attr-defined]
        return function

    return mark


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error answers a route gives beyond those derived from its dependencies."""
    return {code: {"description": _description(code)} for code in codes}


def _description(code: int) -> str:
    kind = PROBLEM_TYPES.get(KIND_OF_STATUS.get(code, ""))
    return kind.description if kind else HTTPStatus(code).phrase


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _names_a_record(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name.endswith("_ids")


def derived_codes(route: Any, method: str) -> set[int]:
    """The error answers a route can give, read from its dependencies and what it takes."""
    write = method in WRITE_METHODS
    codes: set[int] = set()
    params = []
    body = []
    headers: set[str] = set()
    required_headers: set[str] = set()
    for dependant in _dependants(route.dependant):
        marked = getattr(dependant.call, "__problems__", None)
        if marked is not None:
            always, on_write = marked
            codes |= always | (on_write if write else frozenset())
        params += dependant.path_params + dependant.query_params + dependant.header_params
        body += dependant.body_params
        headers |= {p.alias.lower() for p in dependant.header_params}
        required_headers |= {
            p.alias.lower()
            for p in dependant.header_params
            if (p.field_info.json_schema_extra or {}).get(PRECONDITION) in ("required", "to-change")
        }
        if dependant.path_params:
            codes.add(404)
    if params or body:
        codes.add(422)
    fields = [p.name for p in params]
    for param in body:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields += _property_names(annotation.model_json_schema())
        else:
            fields.append(param.name)
    if any(_names_a_record(name) for name in fields):
        codes.add(404)
    if body:
        codes.add(413)
        if route.body_field is not None and "multipart" in _media_type(route):
            codes.add(400)
    if write:
        codes |= {403, 409, 429}
    if "if-match" in headers:
        codes.add(412)
    if "if-match" in required_headers:
        codes.add(428)
    return codes


def _is_paged(route: Any) -> bool:
    return any(
        {"limit", "offset"} <= {p.name for p in d.query_params}
        for d in _dependants(route.dependant)
    )


def _property_names(node: Any) -> list[str]:
    """Every property named anywhere in a JSON schema, nested models included."""
    if isinstance(node, list):
        return [name for item in node for name in _property_names(item)]
    if not isinstance(node, dict):
        return []
    names = list(node.get("properties", {}))
    return names + [name for value in node.values() for name in _property_names(value)]


def _media_type(route: Any) -> str:
    field_info = route.body_field.field_info if route.body_field is not None else None
    return str(getattr(field_info, "media_type", "") or "")


def _problem(code: int, description: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description or _description(code),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code in (409, 429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique text (a UUID): sent again with the same request, the first "
    "answer is replayed byte for byte (`Idempotent-Replayed: true`) and nothing is written "
    "twice; a 409 while the first is still running, a 422 if used for another request. Kept "
    "at least 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "example": "3f1c9b7e-4a55-4c1e-9d8e-2b7b1f0a6c42",
}
IF_MATCH = (
    "The `ETag` of the record as you read it (GET it first). Missing is a 428; no longer "
    "current is a 412 carrying the current ETag and record."
)
OPTIONAL_IF_MATCH = (
    "Optional: the `ETag` of the record as you read it; if it is no longer current the change is "
    "refused with a 412 carrying the current ETag."
)
UPSERT_IF_MATCH = (
    "The `ETag` of the record as you read it: needed to change an existing one (a 428 without; a "
    "412 if it is no longer current), not to create it."
)
PRECONDITION = "x-precondition"
IF_NONE_MATCH = "The `ETag` you hold: a 304 with no body if it is still current."
IF_NONE_MATCH_HEADER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": IF_NONE_MATCH,
    "schema": {"type": "string"},
    "example": '"9f86d081884c7d659a2feaa0c55ad015"',
}
ETAG = {
    "ETag": {
        "description": "The version of this answer: send it in If-None-Match to poll cheaply.",
        "schema": {"type": "string"},
    }
}
LINK = {
    "Link": {
        "description": "The first, prev, next and last pages (RFC 8288), e.g. `</api/v1/tasks?"
        'limit=50&offset=50>; rel="next"`.',
        "schema": {"type": "string"},
    }
}


def _declare_headers(operation: dict[str, Any], method: str, path: str) -> set[str]:
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        if parameter.get("in") != "header":
            continue
        name = parameter["name"].lower()
        precondition = parameter.get("schema", {}).pop(PRECONDITION, None)
        if name == "if-match":
            parameter["required"] = precondition == "required"
            parameter["description"] = {
                "required": IF_MATCH,
                "to-change": UPSERT_IF_MATCH,
            }.get(precondition, OPTIONAL_IF_MATCH)
            parameter["schema"] = {"type": "string"}
            parameter["example"] = '"task-1-v3"'
        elif name == "if-none-match":
            parameter["description"] = IF_NONE_MATCH
            parameter["example"] = '"dashboard-5f2a9c"'
    names = {p["name"].lower() for p in parameters if p.get("in") == "header"}
    if method == "POST" and path.startswith(API_PREFIX):
        parameters.append(dict(IDEMPOTENCY_KEY))
    if method == "GET" and path.startswith(API_PREFIX) and "if-none-match" not in names:
        parameters.append(dict(IF_NONE_MATCH_HEADER))
    if not parameters:
        operation.pop("parameters")
    return {p["name"].lower() for p in parameters if p.get("in") == "header"}


def document_errors(schema: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Each operation's own error answers as problem+json, and the headers it takes."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(components["Problem"].pop("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    by_operation = {
        (method.lower(), path_template(route.path)): route
        for route in routes
        if hasattr(route, "dependant")
        for method in route.methods
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            route = by_operation[(method, path)]
            responses = operation.setdefault("responses", {})
            headers = _declare_headers(operation, method.upper(), path)
            codes = derived_codes(route, method.upper())
            if "idempotency-key" in headers:
                codes |= {409, 422}
            declared = {int(code) for code in responses if code[0] in "45"}
            for code in sorted(codes | declared):
                given = responses.get(str(code), {})
                description = given.get("description")
                if code == 422 and description == "Validation Error":
                    description = None
                responses[str(code)] = _problem(code, description)
            if "if-none-match" in headers:
                responses["304"] = {"description": "Not modified: your copy is current."}
                for code, answer in responses.items():
                    if code.startswith("2"):
                        answer["headers"] = {**answer.get("headers", {}), **ETAG}
            if _is_paged(route):
                ok = responses.get("200", {})
                ok["headers"] = {**ok.get("headers", {}), **LINK}
    return schema


def add_examples(schema: dict[str, Any]) -> dict[str, Any]:
    """Each model's own example, and one made of theirs for a schema that holds others (a page)."""
    components = schema.get("components", {}).get("schemas", {})
    for name, value in SCHEMA_EXAMPLES.items():
        if name in components:
            components[name]["examples"] = [value]
    for name in sorted(components):
        example = compose_example(components, components[name], seen=frozenset({name}))
        if example and "examples" not in components[name]:
            components[name]["examples"] = [example]
    return schema


def compose_example(
    components: dict[str, Any], node: dict[str, Any], *, seen: frozenset[str] = frozenset()
) -> Any:
    """An example for `node` from its own, its default or the examples of what it holds."""
    if node.get("examples"):
        return node["examples"][0]
    if "example" in node:
        return node["example"]
    if "default" in node:
        return node["default"]
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return None
        return compose_example(components, components[name], seen=seen | {name})
    if "enum" in node:
        return node["enum"][0]
    if node.get("type") == "array" and "items" in node:
        item = compose_example(components, node["items"], seen=seen)
        return None if item is None else [item]
    if node.get("type") == "object" and "properties" in node:
        example = {}
        for key, prop in node["properties"].items():
            value = compose_example(components, prop, seen=seen)
            if value is None and key in node.get("required", ()):
                return None
            if value is not None:
                example[key] = value
        return example
    return None


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _record_fields(schema: dict[str, Any], answer: dict[str, Any]) -> set[str]:
    body = answer.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" not in body:
        return set()
    name = body["$ref"].rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"][name].get("properties", {}))


def _link_value(parameter: str, *, source_path: str, fields: set[str], own: bool) -> str | None:
    """Where a target's path parameter comes from: the source's own path, or the record it
    answered with (the field of that name; for the record's own identifier, `task_id` from its
    `id` and `plan` from its `slug`)."""
    if parameter in _parameters(source_path):
        return f"$request.path.{parameter}"
    candidates = [parameter]
    if own:
        candidates.append("id" if parameter.endswith("_id") else "slug")
    for field in candidates:
        if field in fields:
            return f"$response.body#/{field}"
    return None


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Links from each POST that creates a record (`/tasks`) to the operations under it
    (`/tasks/{task_id}…`), and from each GET of a record to the writes on the same path."""
    paths = schema.get("paths", {})
    for source_path, item in paths.items():
        for method, operation in item.items():
            if method not in ("get", "post"):
                continue
            answer = next((a for c, a in operation["responses"].items() if c.startswith("2")), None)
            if answer is None:
                continue
            fields = _record_fields(schema, answer)
            links: dict[str, Any] = {}
            for target_path, target_item in paths.items():
                if method == "post":
                    rest = target_path.removeprefix(source_path + "/")
                    if rest == target_path or not rest.startswith("{"):
                        continue
                elif target_path != source_path and not (
                    _parameters(source_path) and target_path.startswith(source_path + "/")
                ):
                    continue
                own = len(_parameters(source_path)) if method == "post" else -1
                values = {
                    parameter: _link_value(
                        parameter, source_path=source_path, fields=fields, own=index == own
                    )
                    for index, parameter in enumerate(_parameters(target_path))
                }
                if not values or None in values.values():
                    continue
                for target_method, target in target_item.items():
                    if method == "get" and target_method == "get":
                        continue
                    parameters = {f"path.{name}": value for name, value in values.items()}
                    takes = {p["name"].lower() for p in target.get("parameters", [])}
                    if method == "get" and target_path == source_path and "if-match" in takes:
                        parameters["header.If-Match"] = "$response.header.ETag"
                    links[target["operationId"][:1].upper() + target["operationId"][1:]] = {
                        "operationId": target["operationId"],
                        "parameters": parameters,
                    }
            if links:
                answer["links"] = links
    return schema


def _string_schemas(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if node.get("type") == "string":
        yield node
    for branch in node.get("anyOf", ()):
        yield from _string_schemas(branch)


def state_the_url_rule(schema: dict[str, Any]) -> dict[str, Any]:
    """Every text in a path or query may not hold a NUL, which no URL the API answers may hold."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") not in ("path", "query"):
                    continue
                for text in _string_schemas(parameter.get("schema", {})):
                    if "not" not in text and "enum" not in text:
                        text["not"] = {"pattern": "\\x00"}
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            routes = list(iter_routes(app))
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=[
                    {"name": name, "description": TAG_DESCRIPTIONS[name]}
                    for name in sorted(TAG_DESCRIPTIONS)
                ],
            )
            app.openapi_schema = state_the_url_rule(
                add_links(add_examples(document_errors(schema, routes)))
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
