"""Test set-up: a database migrated once per run, emptied before each test, and API clients.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL points at one.
"""

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import app.models
from app.auth import service as auth
from app.auth.models import Role
from app.core.config import Settings
from app.core.db import make_engine, write_session
from app.main import create_app
from tests.dbutil import postgres_url, reset_postgres, upgrade

# Speed is measured by the benchmark, never by a test: a property test has no deadline, so a busy
# machine cannot fail it (tests that set their own settings keep them).
hypothesis_settings.register_profile("tracker", deadline=None)
hypothesis_settings.load_profile("tracker")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = postgres_url()
    if url:
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # The write and failed sign-in rate limits have tests of their own, and tests that want the
    # in-process webhook worker start one themselves.
    return Settings(
        database_url=database_url,
        token_touch_seconds=0,
        write_rate_per_minute=0,
        auth_failures_per_minute=0,
        # So do the limit on requests served at once and SQLite's turn to write: the other tests,
        # run on a loaded machine, are served as many at once as the pool allows and wait as long
        # for SQLite as ever.
        max_concurrent_requests=30,
        sqlite_busy_timeout_ms=30_000,
        webhook_worker=False,
        # The tests' webhook receivers listen on plain http on this machine.
        webhook_http_hosts=["127.0.0.1"],
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url, settings)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    # DELETE rather than TRUNCATE: on tables this small it is a tenth of the time on PostgreSQL.
    # Ids start again at 1 each test, as SQLite's do once a table is empty.
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
        if engine.dialect.name == "postgresql":
            for (sequence,) in connection.execute(
                sa.text(
                    "SELECT pg_get_serial_sequence(table_name, column_name) FROM "
                    "information_schema.columns WHERE table_schema = 'public' "
                    "AND column_default LIKE 'nextval%'"
                )
            ):
                connection.execute(sa.text(f"ALTER SEQUENCE {sequence} RESTART"))


def _unnamed_audit_entries(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text("SELECT entity, action FROM audit_entry WHERE entity_id = '' LIMIT 5")
            )
        ]


@pytest.fixture(autouse=True)
def clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the database starts from empty tables, and leaves no audit entry
    that fails to say which record it is about (whatever tables the test wrote)."""
    uses_database = "engine" in request.fixturenames or "client" in request.fixturenames
    if uses_database:
        _empty(request.getfixturevalue("engine"))
    yield
    if uses_database:
        unnamed = _unnamed_audit_entries(request.getfixturevalue("engine"))
        assert unnamed == [], "audit entries without the id of their record (entity, action)"


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


TokenMaker = Callable[..., str]


@pytest.fixture
def make_token(engine: Engine) -> TokenMaker:
    """Make a token straight through the service; returns its clear text."""
    counter = iter(range(1, 10_000))

    def _make(
        role: str = "admin",
        strands: tuple[str, ...] = (),
        name: str | None = None,
        contributors: tuple[str, ...] = (),
    ) -> str:
        with write_session(engine) as session:
            _, clear = auth.create_token(
                session=session,
                name=name or f"{role}-{next(counter)}",
                role=Role(role),
                strands=strands,
                contributors=contributors,
            )
            session.commit()
        return clear

    return _make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(make_token: TokenMaker) -> dict[str, str]:
    return bearer(make_token("admin", name="admin"))


@pytest.fixture
def viewer(make_token: TokenMaker) -> dict[str, str]:
    return bearer(make_token("viewer", name="viewer"))
