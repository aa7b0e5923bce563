"""Failing fast under load: failed sign-ins limited per address, a full pool a quick 503, and
PostgreSQL told to end what runs, waits or idles too long."""

import secrets
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.db import make_engine
from app.main import create_app
from tests import factories
from tests.conftest import bearer


def test_guessing_tokens_is_429_once_an_address_spends_its_failures(
    settings: Settings, engine: Engine, admin: dict
) -> None:
    limited = settings.model_copy(update={"auth_failures_per_minute": 6, "auth_failure_burst": 3})
    with TestClient(create_app(limited, engine=engine)) as client:
        codes = [
            client.post(
                "/api/v1/strategies",
                json=factories.STRATEGY,
                headers=bearer(secrets.token_urlsafe(32)),
            ).status_code
            for _ in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]
        refused = client.get("/api/v1/strategies", headers=bearer(secrets.token_urlsafe(32)))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.headers["content-type"] == "application/problem+json"
        # Without credentials the address still reaches what needs none.
        assert client.get("/healthz").status_code == 200


def test_a_good_token_spends_nothing(settings: Settings, engine: Engine, admin: dict) -> None:
    limited = settings.model_copy(update={"auth_failures_per_minute": 6, "auth_failure_burst": 1})
    with TestClient(create_app(limited, engine=engine)) as client:
        codes = [client.get("/api/v1/strategies", headers=admin).status_code for _ in range(5)]
        assert codes == [200] * 5


def test_a_request_that_cannot_get_a_connection_is_a_quick_503(
    settings: Settings, database_url: str, admin: dict
) -> None:
    small = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.5}
    )
    engine = make_engine(database_url, small)
    held = engine.connect()  # the pool's only connection, taken by someone else
    try:
        with TestClient(create_app(small, engine=engine)) as client:
            started = time.monotonic()
            response = client.get("/api/v1/strategies", headers=admin)
            took = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json()["detail"] == "The server is at capacity; try again shortly."
        assert took < 2
    finally:
        held.close()
        engine.dispose()


def test_postgresql_sessions_carry_the_timeouts(settings: Settings, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no such settings")
    tuned = settings.model_copy(
        update={
            "db_statement_timeout_ms": 1500,
            "db_lock_timeout_ms": 700,
            "db_idle_in_transaction_timeout_ms": 9000,
        }
    )
    engine = make_engine(database_url, tuned)
    try:
        with engine.connect() as connection:
            shown = [
                connection.execute(sa.text(f"SHOW {name}")).scalar_one()
                for name in (
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                )
            ]
        assert shown == ["1500ms", "700ms", "9s"]
    finally:
        engine.dispose()


def test_a_lock_held_too_long_is_a_503_not_a_hang(
    settings: Settings, database_url: str, admin: dict, client: TestClient
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's writers wait their busy timeout instead")
    strategy = factories.strategy(client, admin)
    quick = settings.model_copy(update={"db_lock_timeout_ms": 300})
    engine = make_engine(database_url, quick)
    blocker = engine.connect()
    blocker.execute(
        sa.text("SELECT id FROM strategy WHERE id = :id FOR UPDATE"), {"id": strategy["id"]}
    )
    try:
        with TestClient(create_app(quick, engine=engine)) as limited:
            tag = limited.get(f"/api/v1/strategies/{strategy['id']}", headers=admin).headers["etag"]
            started = time.monotonic()
            response = limited.patch(
                f"/api/v1/strategies/{strategy['id']}",
                json={"name": "Renamed"},
                headers={**admin, "If-Match": tag},
            )
            took = time.monotonic() - started
        assert (response.status_code, response.headers["retry-after"]) == (503, "1")
        assert took < 3
    finally:
        blocker.rollback()
        blocker.close()
        engine.dispose()
