"""Per-request observation: the request id, one JSON log line, and Prometheus metrics."""

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logs import accept_request_id, request_id
from app.core.routes import path_template

access_log = logging.getLogger("tracker.access")

REQUEST_ID_HEADER = "X-Request-ID"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Paths that match no route are counted together, so that scanners cannot grow the label set.
UNMATCHED = "unmatched"


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("method", "route", "status")
        self.requests = Counter(
            "tracker_http_requests", "HTTP requests answered.", labels, registry=registry
        )
        self.latency = Histogram(
            "tracker_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            labels,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template, e.g. `/api/v1/tasks/{task_id}`."""
    template = getattr(scope.get("route"), "path", None)
    if not template:
        return UNMATCHED
    template = path_template(template)
    # FastAPI may keep an included router's routes without the router's prefix; the prefix is
    # the part of the request's path before as many segments as the template has.
    depth = template.count("/")
    return "/".join(scope["path"].split("/")[:-depth]) + template


class RequestObserver:
    """Outermost middleware: tags the request with an id, then logs and measures its answer."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = accept_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_template(scope)
            self.metrics.observe(method, route, status, seconds)
            access_log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra=_request_fields(scope, method, route, status, seconds),
            )
            request_id.reset(token)


def _request_fields(
    scope: Scope, method: str, route: str, status: int, seconds: float
) -> dict[str, Any]:
    actor = scope.get("state", {}).get("actor")
    client = scope.get("client")
    return {
        "method": method,
        "path": scope["path"],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": client[0] if client else None,
        "actor": getattr(actor, "name", None),
    }
