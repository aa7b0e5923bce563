"""The API as served in production, plus one bare endpoint: the framework's own floor."""

from fastapi import FastAPI

from app.main import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    # Served as cheaply as the framework serves anything: on the event loop, through every
    # middleware, with no database and no trip to a worker thread.
    @app.get("/bare", include_in_schema=False)
    async def bare() -> dict[str, int]:
        return {"id": 1, "version": 1}

    return app
