"""The API as served in production, plus one bare endpoint: the framework's own floor."""

from fastapi import FastAPI

from app.main import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/bare", include_in_schema=False)
    def bare() -> dict[str, int]:
        return {"id": 1, "version": 1}

    return app
