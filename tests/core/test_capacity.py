"""Under load: no more requests at once than there are connections for, the rest a quick 503;
health checks that answer while every connection is stuck; a dropped connection retried for
reads."""

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.capacity import AT_CAPACITY
from app.core.config import Settings
from app.core.db import make_engine, write_session
from app.main import create_app
from tests import factories
from tests.live import serve


@contextmanager
def writes_stalled(database_url: str, engine: Engine) -> Iterator[None]:
    """Every write of a strategy waits on another connection's lock until the block ends."""
    if database_url.startswith("postgresql"):
        with engine.connect() as blocker:
            blocker.execute(sa.text("LOCK TABLE strategy IN EXCLUSIVE MODE"))
            yield
            blocker.rollback()
        return
    blocker = sqlite3.connect(sa.engine.make_url(database_url).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def test_requests_beyond_capacity_are_a_quick_503_and_health_still_answers(
    settings: Settings, database_url: str, admin: dict
) -> None:
    tight = settings.model_copy(
        update={
            # Connections to spare: what turns the third request away is the limit on requests.
            "db_pool_size": 6,
            "max_concurrent_requests": 2,
            "db_pool_timeout_seconds": 0.3,
            "sqlite_busy_timeout_ms": 8000,
            "db_lock_timeout_ms": 8000,
        }
    )
    engine = make_engine(database_url, tight)
    app = create_app(tight, engine=engine)
    stalled: list[httpx.Response] = []
    try:
        with serve(app) as base, writes_stalled(database_url, engine):

            def write(n: int) -> None:
                with httpx.Client(base_url=base, headers=admin, timeout=30) as http:
                    stalled.append(
                        http.post(
                            "/api/v1/strategies", json={**factories.STRATEGY, "name": f"S{n}"}
                        )
                    )

            writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
            for writer in writers:
                writer.start()
            time.sleep(1)  # both in, each waiting on the lock
            with httpx.Client(base_url=base, headers=admin, timeout=30) as http:
                turned_away = [http.get("/api/v1/strategies") for _ in range(3)]
                health = [http.get("/healthz"), http.get("/readyz")]
                still_stalled = len(stalled)
        for writer in writers:
            writer.join()
    finally:
        engine.dispose()
    assert [(r.status_code, r.headers.get("retry-after")) for r in turned_away] == [(503, "1")] * 3
    assert {r.json()["detail"] for r in turned_away} == {AT_CAPACITY}
    assert [r.status_code for r in health] == [200, 200]
    assert still_stalled == 0
    # Once the lock is gone, the requests that got in are served.
    assert sorted(r.status_code for r in stalled) == [201, 201]


def test_health_checks_answer_while_the_pool_is_taken(
    settings: Settings, database_url: str
) -> None:
    small = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 5}
    )
    engine = make_engine(database_url, small)
    held = engine.connect()  # the requests' only connection, taken by someone else
    try:
        with TestClient(create_app(small, engine=engine)) as client:
            answers = [client.get("/healthz"), client.get("/readyz")]
    finally:
        held.close()
        engine.dispose()
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == {"status": "ok", "database": "ok"}
    assert answers[1].json()["status"] == "ready"


def test_a_read_on_a_dropped_connection_is_served_again(
    settings: Settings, database_url: str, admin: dict
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a SQLite file has no server to drop the connection")
    one = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_ping_after_idle_seconds": 3600,
            # Touching the token's last use would want a second connection.
            "token_touch_seconds": 3600,
        }
    )
    engine = make_engine(database_url, one)
    try:
        with TestClient(create_app(one, engine=engine)) as client:
            strategy = factories.strategy(client, admin)
            # The pooled connection's server process is ended, as a restart or an operator would.
            end_pooled_connection(engine)
            read = client.get(f"/api/v1/strategies/{strategy['id']}", headers=admin)
            assert (read.status_code, read.json()["name"]) == (200, strategy["name"])
            # A write is not repeated behind the client's back: its dropped connection is a 503.
            end_pooled_connection(engine)
            write = client.post("/api/v1/strategies", json=factories.STRATEGY, headers=admin)
            assert (write.status_code, write.headers["retry-after"]) == (503, "1")
    finally:
        engine.dispose()


def end_pooled_connection(engine: Engine) -> None:
    """End the server process behind the pool's one connection, from another connection."""
    with engine.connect() as connection:
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with sa.create_engine(engine.url, poolclass=sa.pool.NullPool).connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_sqlite_writer_waits_its_busy_timeout_for_its_turn_then_is_a_503(
    settings: Settings, database_url: str, admin: dict
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL writers wait for rows, up to the lock timeout")
    quick = settings.model_copy(update={"sqlite_busy_timeout_ms": 500})
    engine = make_engine(database_url, quick)
    try:
        with TestClient(create_app(quick, engine=engine)) as client:
            with write_session(engine) as holder:
                # This process's one writer, in the middle of its transaction.
                holder.execute(sa.text("DELETE FROM strategy WHERE id = 0"))
                waited = client.post("/api/v1/strategies", json=factories.STRATEGY, headers=admin)
            after = client.post("/api/v1/strategies", json=factories.STRATEGY, headers=admin)
    finally:
        engine.dispose()
    assert (waited.status_code, waited.headers["retry-after"]) == (503, "1")
    assert after.status_code == 201
