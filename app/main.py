"""The FastAPI application."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.engine import Engine
from starlette.responses import Response

from app.api import api_router
from app.core import idempotency
from app.core.caching import ConditionalGet
from app.core.capacity import (
    Admission,
    HealthCheck,
    RetryDroppedReads,
    health_engine,
    request_capacity,
    widen_thread_pool,
)
from app.core.config import Settings, get_settings
from app.core.db import make_engine, writer
from app.core.errors import install_error_handlers, problem
from app.core.guards import AuthFailureLimit, InputGuard, SecurityHeaders, WriteRateLimit
from app.core.idempotency import IdempotencyMiddleware
from app.core.logs import configure_logging
from app.core.migrations import current_revisions, head_revisions
from app.core.observability import REQUEST_ID_HEADER, HttpMetrics, RequestObserver
from app.core.openapi import errors, install_openapi, operation_id, tag
from app.core.outbox import BackgroundRunner, Channel, Runner
from app.mail.metrics import MailCollector
from app.mail.worker import MailWorker
from app.people.oidc import Provider, origin_of
from app.people.pages import router as sign_in_router
from app.people.principal import SeenPeople
from app.reminders.worker import ReminderSchedule
from app.reports.pages import router as pages_router
from app.web.board import router as board_router
from app.web.docs import install_docs
from app.web.pages import router as web_router
from app.web.papers import router as paper_router
from app.web.risks import router as risks_router
from app.webhooks.metrics import WebhookBacklogCollector
from app.webhooks.worker import Worker as WebhookWorker


def outbox_runner(engine: Engine, settings: Settings) -> Runner:
    """The outbox's channels, as the in-process worker and `tracker worker` run them, and what
    they prune."""
    webhooks, mail = WebhookWorker(engine, settings), MailWorker(engine, settings)
    channels: list[Channel] = [webhooks, ReminderSchedule(engine, settings)]
    # Without an SMTP server, mail waits in the outbox until one is configured.
    if settings.smtp_host:
        channels.append(mail)
    return Runner(
        channels,
        poll_seconds=settings.webhook_poll_seconds,
        prunable=[webhooks, mail],
        retention=timedelta(days=settings.outbox_retention_days),
        prune_every=timedelta(hours=settings.outbox_prune_every_hours),
    )


_frozen = False


def _freeze_start_up() -> None:
    """Move what start-up made (modules, the app, its routes) out of the collector's sight, once:
    every later collection, the one after each report included, then walks only what requests
    make. Done once per process, since frozen objects are never freed."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


OPERATIONS = tag(
    "operations", "Health, readiness and metrics for whoever runs the service; no token."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the in-process outbox worker unless the settings turn it off."""
    _freeze_start_up()
    settings: Settings = app.state.settings
    widen_thread_pool(request_capacity(settings))
    background = None
    if settings.webhook_worker:
        background = BackgroundRunner(
            outbox_runner(app.state.engine, settings),
            stop_timeout_seconds=settings.webhook_timeout_seconds + 5,
        )
        background.start()
    app.state.outbox_worker = background
    try:
        yield
    finally:
        if background is not None:
            await anyio.to_thread.run_sync(background.stop)
        await app.state.health.close(unless=app.state.engine)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Delivery-plan tracker (4P)",
        version="1.0.0",
        description=(
            "Tracks the 4P (Prevent, Pursue, Protect, Prepare) delivery plans of a Crime "
            "Prevention Strategy: tasks and their dated status, quarterly dashboards, the risk "
            "register and the board report. Every `/api/v1` call needs `Authorization: Bearer`."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, settings)
    app.state.write_engine = writer(app.state.engine)
    app.state.health = HealthCheck(health_engine(app.state.engine, settings))
    app.state.oidc = (
        Provider(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            leeway=settings.oidc_leeway_seconds,
            refetch_seconds=settings.oidc_refetch_seconds,
        )
        if settings.oidc_issuer
        else None
    )
    app.state.people_seen = SeenPeople()
    registry = CollectorRegistry()
    registry.register(WebhookBacklogCollector(app.state.engine))
    registry.register(MailCollector(app.state.engine))
    install_error_handlers(app)
    install_openapi(app)
    # The last added runs first: headers on everything, then rate, then input checks.
    app.add_middleware(ConditionalGet)
    idempotency.install(app)
    app.add_middleware(
        IdempotencyMiddleware,
        lease_seconds=settings.idempotency_lease_seconds,
        retention_hours=settings.idempotency_retention_hours,
    )
    app.add_middleware(
        InputGuard,
        max_body_bytes=settings.max_body_bytes,
        # Multipart adds its boundaries and headers around the file.
        max_upload_bytes=settings.import_max_bytes + 65_536,
    )
    app.add_middleware(
        WriteRateLimit, per_minute=settings.write_rate_per_minute, burst=settings.write_burst
    )
    app.add_middleware(
        AuthFailureLimit,
        per_minute=settings.auth_failures_per_minute,
        burst=settings.auth_failure_burst,
    )
    # Outside everything that may use the database, inside the headers every answer carries.
    app.add_middleware(RetryDroppedReads)
    app.add_middleware(
        Admission,
        capacity=request_capacity(settings),
        wait_seconds=settings.db_pool_timeout_seconds,
        write_wait_seconds=settings.sqlite_busy_timeout_ms / 1000,
    )
    app.add_middleware(
        SecurityHeaders,
        frame_ancestors=settings.frame_ancestors,
        form_targets=[origin_of(settings.oidc_issuer)] if settings.oidc_issuer else [],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                REQUEST_ID_HEADER,
            ],
            expose_headers=["ETag", "Location", "Retry-After", REQUEST_ID_HEADER],
            max_age=600,
        )
    # Added last, so outermost: it sees every answer, CORS preflights and replays included.
    app.add_middleware(RequestObserver, metrics=HttpMetrics(registry))
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(web_router)
    app.include_router(sign_in_router)
    app.include_router(board_router)
    app.include_router(risks_router)
    app.include_router(paper_router)
    install_docs(app)
    app.mount("/static", StaticFiles(packages=[("app.web", "static")]), name="static")

    @app.get("/healthz", tags=OPERATIONS, responses=errors(503))
    async def healthz(request: Request) -> JSONResponse:
        """Alive, and the database answers (within a second, however busy the server is)."""
        if not await request.app.state.health.alive():
            return problem(503, "the database does not answer", kind="unavailable")
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/readyz", tags=OPERATIONS, responses=errors(503))
    async def readyz(request: Request) -> JSONResponse:
        """Ready for traffic: the database answers, its schema is at the newest migration, and
        the identity provider's keys are at hand (when single sign-on is on)."""
        try:
            current = await request.app.state.health.run(current_revisions)
        except sa.exc.SQLAlchemyError:
            current = None
        if current is None:
            return problem(503, "the database does not answer", kind="unavailable")
        expected = head_revisions()
        if current != expected:
            return problem(
                503,
                f"the database schema is at {', '.join(sorted(current)) or 'nothing'}, "
                f"not {', '.join(sorted(expected))}: run `tracker migrate`",
                kind="unavailable",
            )
        body = {"status": "ready", "database": "ok", "migration": ", ".join(sorted(current))}
        provider = request.app.state.oidc
        if provider is not None:
            reason = await request.app.state.health.in_thread(provider.readiness)
            # With keys kept, tokens still verify and API tokens work regardless: ready, and
            # saying why new keys cannot be had. With none, nobody can sign in through it.
            if reason is not None and not provider.has_keys:
                return problem(503, reason, kind="unavailable")
            body["identity_provider"] = reason or "ok"
        return JSONResponse(body)

    @app.get("/metrics", tags=OPERATIONS, response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics: requests, latencies, the webhook backlog and mail by status."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
