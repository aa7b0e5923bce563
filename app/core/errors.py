"""Domain errors raised by services, and the one place that turns every error into problem+json."""

import logging
from collections.abc import Mapping, Sequence
from html import escape
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.problems import PROBLEM_TYPES, problem_type
from app.core.routes import allowed_methods

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status = 400
    kind = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class Unauthorized(DomainError):
    status = 401
    kind = "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status = 403
    kind = "forbidden"


class NotFound(DomainError):
    status = 404
    kind = "not-found"


class Conflict(DomainError):
    status = 409
    kind = "conflict"


class PreconditionFailed(DomainError):
    status = 412
    kind = "precondition-failed"


class PayloadTooLarge(DomainError):
    status = 413
    kind = "payload-too-large"


class Invalid(DomainError):
    status = 422
    kind = "validation-error"

    def __init__(self, detail: str, *, field: str | None = None, **kwargs: Any) -> None:
        if field is not None and "errors" not in kwargs:
            kwargs["errors"] = [{"field": field, "message": detail}]
        super().__init__(detail, **kwargs)


class PreconditionRequired(DomainError):
    status = 428
    kind = "precondition-required"


class Unavailable(DomainError):
    status = 503
    kind = "unavailable"


class TooManyRequests(DomainError):
    status = 429
    kind = "too-many-requests"


DATABASE_CONNECTION_DROPPED = "database_connection_dropped"
"""Set in a request's state when its database connection turned out to have been dropped."""


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json answer; its type and title are those of `kind` (or of the status)."""
    described = problem_type(kind, status)
    body: dict[str, Any] = {
        "type": described.uri,
        "title": described.title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid value"))
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        errors.append({"field": _field_name(err.get("loc", ())), "message": message})
    return errors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status,
            exc.detail,
            kind=exc.kind,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            f"The request is not valid: check {fields}.",
            kind="validation-error",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; list every route's.
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return problem(exc.status_code, detail, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return problem(409, "The change conflicts with existing data.", kind="conflict")

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        if exc.connection_invalidated:
            # A read is served again on a fresh connection (see app.core.capacity).
            setattr(request.state, DATABASE_CONNECTION_DROPPED, True)
        return problem(
            503,
            "The database is busy or unavailable; try again shortly.",
            kind="unavailable",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(_: Request, exc: SQLAlchemyTimeoutError) -> JSONResponse:
        log.warning("no database connection free: %s", exc)
        return problem(
            503,
            "The server is at capacity; try again shortly.",
            kind="unavailable",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Something went wrong on our side; it has been logged.")

    app.include_router(problem_pages)


problem_pages = APIRouter(
    prefix="/problems",
    tags=["problems"],
)

PROBLEM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>
<h1>{title}</h1>
<p>HTTP status {status}. Problem type <code>{uri}</code>.</p>
<p>{description}</p>
<p>Every error of the API is <code>application/problem+json</code> (RFC 9457) with
<code>type</code>, <code>title</code>, <code>status</code> and <code>detail</code>; validation
errors add <code>errors</code>, a list of <code>{{field, message}}</code>.</p>
</main></body></html>
"""


@problem_pages.get("/{kind}", response_class=HTMLResponse)
def describe_problem(
    kind: Annotated[str, Path(max_length=80, examples=["precondition-failed"])],
) -> HTMLResponse:
    """What a problem type means and what to do about it: the page its `type` points to."""
    found = PROBLEM_TYPES.get(kind)
    if found is None:
        raise NotFound(f"no problem type {kind!r}")
    return HTMLResponse(
        PROBLEM_PAGE.format(
            title=escape(found.title),
            status=found.status,
            uri=escape(found.uri),
            description=escape(found.description),
        )
    )
