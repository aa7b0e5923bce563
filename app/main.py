"""The FastAPI application."""

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from app.api import api_router
from app.core.config import Settings, get_settings
from app.core.db import make_engine, writer
from app.core.errors import install_error_handlers, problem
from app.core.guards import InputGuard, SecurityHeaders, WriteRateLimit
from app.core.idempotency import IdempotencyMiddleware


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="4P delivery-plan tracker",
        version="1.0.0",
        description=(
            "Tracks the 4P (Prevent, Pursue, Protect, Prepare) delivery plans of a Crime "
            "Prevention Strategy: tasks and their dated status, quarterly dashboards, the risk "
            "register and the board report. Every `/api/v1` call needs `Authorization: Bearer`."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, settings)
    app.state.write_engine = writer(app.state.engine)
    install_error_handlers(app)
    # The last added runs first: headers on everything, then rate, then input checks.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        InputGuard,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        WriteRateLimit, per_minute=settings.write_rate_per_minute, burst=settings.write_burst
    )
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    app.include_router(api_router)

    @app.get("/healthz", tags=["operations"])
    def healthz(request: Request) -> JSONResponse:
        """Alive, and the database answers."""
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return problem(503, "the database does not answer", kind="unavailable")
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
