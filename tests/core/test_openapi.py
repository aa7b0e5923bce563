"""The OpenAPI schema is fit for generating clients: every route meets these rules, and a new one
that does not is named in the failure with what to fix (see `app/core/openapi.py`)."""

import ast
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.errors import PROBLEM_JSON, DomainError
from app.core.problems import PROBLEM_TYPES
from app.main import create_app
from tests import factories

SCHEMA = create_app(Settings(database_url="sqlite://", webhook_worker=False)).openapi()
COMPONENTS = SCHEMA["components"]["schemas"]
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
APP_DIR = Path(__file__).resolve().parents[2] / "app"


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in SCHEMA["paths"].items()
        for method, operation in item.items()
    ]


def operation(method: str, path: str) -> dict[str, Any]:
    return SCHEMA["paths"][path][method.lower()]


def test_operation_ids_are_camel_case_and_unique() -> None:
    seen: dict[str, str] = {}
    for method, path, op in operations():
        op_id = op["operationId"]
        assert CAMEL_CASE.match(op_id), (
            f"{method} {path}: operationId {op_id!r} is not camelCase; name the route's function "
            "in snake_case, or pass operation_id='camelCase'"
        )
        assert op_id not in seen, (
            f"{method} {path}: operationId {op_id!r} is already {seen[op_id]}; rename the route's "
            "function or pass operation_id="
        )
        seen[op_id] = f"{method} {path}"
    assert operation("GET", "/api/v1/tasks")["operationId"] == "listTasks"
    assert operation("POST", "/api/v1/tasks/{task_id}/status")["operationId"] == "recordTaskStatus"


def test_every_tag_is_described() -> None:
    described = {t["name"] for t in SCHEMA["tags"] if t.get("description")}
    for method, path, op in operations():
        assert op.get("tags"), f"{method} {path} has no tag: make its router with tag(name, text)"
        for name in op["tags"]:
            assert name in described, (
                f"{method} {path}: tag {name!r} has no description; use "
                f"APIRouter(tags=tag({name!r}, 'what it is for')) from app.core.openapi"
            )


def test_schema_names_are_unique_and_readable() -> None:
    for name in COMPONENTS:
        assert "__" not in name, (
            f"two different schemas are both named {name.rsplit('__', 1)[-1]!r}: give one of the "
            "classes a name of its own"
        )


# Pydantic's names for bounds, which JSON Schema calls minimum, maximum, minLength and so on:
# one left in a schema is a bound no client or fuzzer learns, so valid-looking input is refused.
PYDANTIC_ONLY = {"ge", "gt", "le", "lt", "max_length", "min_length", "multiple_of"}


def _keywords(node: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = [(where, key) for key in node if key in PYDANTIC_ONLY]
        for key, value in node.items():
            if key not in ("example", "examples", "properties"):
                found += _keywords(value, f"{where}/{key}")
            elif key == "properties":
                found += [
                    hit for name, sub in value.items() for hit in _keywords(sub, f"{where}.{name}")
                ]
        return found
    if isinstance(node, list):
        return [hit for i, item in enumerate(node) for hit in _keywords(item, f"{where}[{i}]")]
    return []


def test_every_bound_is_stated_in_json_schema_terms() -> None:
    assert _keywords(SCHEMA, "") == []


def _schema_of(content: dict[str, Any]) -> str | None:
    schema = content.get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _bodies() -> list[tuple[str, str]]:
    """(where, schema name) of every JSON request and response body."""
    found = []
    for method, path, op in operations():
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            name = _schema_of(content)
            if name and media == "application/json":
                found.append((f"{method} {path} request", name))
        for code, answer in op["responses"].items():
            for media, content in answer.get("content", {}).items():
                name = _schema_of(content)
                if name and media in ("application/json", PROBLEM_JSON):
                    found.append((f"{method} {path} {code}", name))
    return found


def test_every_request_and_response_schema_has_an_example_that_fits_it() -> None:
    bodies = _bodies()
    assert len(bodies) > 60
    document = {"components": {"schemas": COMPONENTS}}
    for where, name in bodies:
        examples = COMPONENTS[name].get("examples")
        assert examples, (
            f"{where}: schema {name} has no example (or its example lacks a required field); add "
            "model_config = example({...}) (app.core.schemas) to its class"
        )
        validator = jsonschema_rs.validator_for(
            {**document, "$ref": f"#/components/schemas/{name}"}
        )
        for example in examples:
            errors = [e.message for e in validator.iter_errors(example)]
            assert not errors, f"{where}: the example of {name} does not fit it: {errors}"


def test_each_route_lists_its_own_errors_as_problems() -> None:
    def codes(method: str, path: str) -> list[str]:
        return sorted(c for c in operation(method, path)["responses"] if c[0] in "345")

    assert codes("GET", "/api/v1/strategies") == ["304", "401", "422", "503"]
    assert codes("GET", "/api/v1/tasks/{task_id}") == ["304", "401", "404", "422", "503"]
    assert codes("PATCH", "/api/v1/tasks/{task_id}") == [
        "401", "403", "404", "409", "412", "413", "422", "428", "429", "503",
    ]  # fmt: skip
    assert codes("GET", "/api/v1/webhooks") == ["304", "401", "403", "422", "503"]
    assert codes("GET", "/api/v1/dashboard") == ["304", "401", "404", "422", "503"]
    for method, path, op in operations():
        for code, answer in op["responses"].items():
            if code[0] in "45":
                assert _schema_of(answer["content"][PROBLEM_JSON]) == "Problem", (
                    f"{method} {path} {code} is not documented as problem+json"
                )


def test_if_match_is_required_and_idempotency_key_is_declared() -> None:
    for method, path, op in operations():
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        if "If-Match" in headers:
            required = headers["If-Match"]["required"]
            upsert = "not to create" in headers["If-Match"]["description"]
            assert required or upsert or method == "POST", f"{method} {path}: If-Match required?"
            assert "412" in op["responses"], f"{method} {path}"
            assert ("428" in op["responses"]) is (required or upsert), f"{method} {path}"
        if method == "POST" and path.startswith("/api/"):
            assert "Idempotency-Key" in headers, f"{method} {path} lacks Idempotency-Key"
            assert headers["Idempotency-Key"]["required"] is False
    status = operation("POST", "/api/v1/tasks/{task_id}/status")["parameters"]
    assert [(p["name"], p["required"]) for p in status if p["in"] == "header"] == [
        ("If-Match", False),
        ("Idempotency-Key", False),
    ]


def _kinds_written_in_the_code() -> set[tuple[str, str]]:
    """Every `kind` the app's code passes to `problem(…)`, and every domain error's kind."""
    kinds = set()
    for source in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "problem"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                    kinds.add((keyword.value.value, str(source.relative_to(APP_DIR.parent))))
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        kinds.add((cls.kind, cls.__module__))
    return kinds


def test_every_problem_type_is_registered_and_its_page_resolves(client: TestClient) -> None:
    for kind, where in sorted(_kinds_written_in_the_code()):
        assert kind in PROBLEM_TYPES, (
            f"{where} answers with kind {kind!r}, which app/core/problems.py does not describe"
        )
    titles = [p.title for p in PROBLEM_TYPES.values()]
    assert len(titles) == len(set(titles))
    for problem_type in PROBLEM_TYPES.values():
        page = client.get(problem_type.uri)
        assert page.status_code == 200, problem_type.uri
        assert page.headers["content-type"].startswith("text/html")
        assert f"<h1>{problem_type.title}</h1>" in page.text
    missing = client.get("/problems/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/not-found"


def test_a_problem_type_is_one_title_and_leads_to_its_page(client: TestClient, admin: dict) -> None:
    strategy = factories.strategy(client, admin)
    from_the_schema = client.post("/api/v1/strands", json={"name": 5}, headers=admin)
    from_a_rule = client.get(
        "/api/v1/dashboard", params={"quarter": "2020-21-Q9", "strategy_id": strategy["id"]},
        headers=admin,
    )  # fmt: skip
    unknown_query = client.get("/api/v1/strategies", params={"stauts": "x"}, headers=admin)
    answers = [from_the_schema, from_a_rule, unknown_query]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert {(a.json()["type"], a.json()["title"]) for a in answers} == {
        ("/problems/validation-error", "Validation error")
    }
    page = client.get(from_a_rule.json()["type"])
    assert page.status_code == 200
    assert "<h1>Validation error</h1>" in page.text
    not_there = client.get("/api/v1/nothing-here", headers=admin)
    assert not_there.json()["type"] == "/problems/not-found"
    wrong_method = client.put("/api/v1/strategies", headers=admin)
    assert (wrong_method.status_code, wrong_method.json()["type"]) == (
        405,
        "/problems/method-not-allowed",
    )


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_the_schema_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
