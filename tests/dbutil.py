"""Database helpers for the tests: which database, how to empty it, how to migrate it."""

import os
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.core.db import normalise_url

T = TypeVar("T")


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_url(url) if url else None


def database_kind() -> str:
    return "postgresql" if postgres_url() else "sqlite"


def reset_postgres(url: str) -> None:
    """Drop everything in the scratch database so each run starts from nothing."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def ensure_postgres_database(url: str) -> None:
    """Create the database a URL names, if it does not exist yet."""
    target = make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).first()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["database_url"] = url
    command.upgrade(config, revision)


def statements_during(engine: sa.Engine, call: Callable[[], T]) -> tuple[int, T]:
    """How many SQL statements the engine ran while `call` ran, and what it answered."""
    count = 0

    def record(*_: Any) -> None:
        nonlocal count
        count += 1

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        result = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return count, result


def assert_spans_match_events(engine: sa.Engine) -> None:
    """The spans and their counts that writes keep are what the events give when derived afresh."""
    from app.tasks import spans
    from app.tasks.models import SpanStep, StatusSpan

    span, step = StatusSpan.__table__, SpanStep.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        kept = connection.execute(sa.select(*(span.c[c] for c in spans.COLUMNS))).all()
        assert sorted(kept) == sorted(connection.execute(spans.spans_of()).all())
        counted = connection.execute(
            sa.select(*(step.c[k] for k in spans.STEP_KEYS), step.c.n).where(step.c.n != 0)
        ).all()
        derived = spans.steps_of_spans(spans.spans_of().subquery("derived"))
        assert sorted(counted) == sorted(connection.execute(derived).all())
