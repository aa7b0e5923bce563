"""The pool on PostgreSQL: a dropped connection is replaced before a request sees it."""

import time

import pytest
import sqlalchemy as sa

from app.core.config import Settings
from app.core.db import make_engine
from tests.dbutil import postgres_url

pytestmark = pytest.mark.skipif(
    postgres_url() is None, reason="PostgreSQL only: an embedded SQLite has no server to drop it"
)

BACKEND_PID = sa.text("SELECT pg_backend_pid()")


def _drop(url: str, pid: int) -> None:
    """End a backend as a server restart or a firewall would, and wait until it is gone."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        gone = sa.text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
        while not connection.execute(gone, {"pid": pid}).scalar_one():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)
    admin.dispose()


def _engine(url: str, ping_after: float) -> sa.Engine:
    settings = Settings(
        database_url=url, db_pool_size=1, db_max_overflow=0, db_ping_after_idle_seconds=ping_after
    )
    return make_engine(url, settings)


def test_a_connection_dropped_while_idle_is_replaced_before_use() -> None:
    url = postgres_url()
    assert url is not None
    engine = _engine(url, ping_after=0)
    with engine.connect() as connection:
        dropped = connection.execute(BACKEND_PID).scalar_one()
    _drop(url, dropped)
    with engine.connect() as connection:
        assert connection.execute(BACKEND_PID).scalar_one() != dropped
    engine.dispose()


@pytest.mark.parametrize(("ping_after", "pings"), [(3600, 0), (0, 1)])
def test_only_a_connection_idle_long_enough_is_pinged(ping_after: float, pings: int) -> None:
    url = postgres_url()
    assert url is not None
    engine = _engine(url, ping_after=ping_after)
    pinged = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pinged.append(1) or ping(dbapi_connection)  # type: ignore[method-assign]
    for _ in range(2):  # the one pooled connection: new, then back from the pool
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    engine.dispose()
    assert len(pinged) == pings
