"""Staying up under load: no more requests at once than the pool has connections, health checks
that never queue behind them, and a read retried once when its connection was dropped.

A request beyond the pool's size would only wait for a connection inside a worker thread; here it
waits (in order of arrival) for a place, for as long as a request may wait for a connection, and
is otherwise a quick 503 with `Retry-After`, so that a client is told rather than left hanging.
"""

import asyncio
import logging
import os
import sqlite3
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import READ_METHODS, WRITE_DEADLINE, normalise_url
from app.core.errors import DATABASE_CONNECTION_DROPPED, problem

log = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
AT_CAPACITY = "The server is at capacity; try again shortly."


def request_capacity(settings: Settings) -> int:
    """How many requests may be served at once: never more than the pool has connections, and
    by default no more than can make progress together (one process's Python runs one thread at
    a time; more threads only make each request slower, the writer holding SQLite's lock too)."""
    if settings.max_concurrent_requests:
        return settings.max_concurrent_requests
    pool = settings.db_pool_size + settings.db_max_overflow
    return min(pool, 2 + 2 * (os.cpu_count() or 1))


class Admission:
    """Lets at most `capacity` requests in at once; the next wait their turn up to
    `wait_seconds`, then are a 503 with `Retry-After`. Health checks go straight through."""

    def __init__(
        self, app: ASGIApp, *, capacity: int, wait_seconds: float, write_wait_seconds: float
    ) -> None:
        self.app = app
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self.write_wait_seconds = write_wait_seconds
        # One per event loop (a server has one; tests may serve one app from several).
        self._places: weakref.WeakKeyDictionary[Any, anyio.Semaphore] = weakref.WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        places = self._places.get(loop)
        if places is None:
            places = self._places[loop] = anyio.Semaphore(self.capacity)
        arrived = time.monotonic()
        admitted = False
        with anyio.move_on_after(self.wait_seconds):
            await places.acquire()
            admitted = True
        if not admitted:
            log.warning("request refused: %d requests already in progress", self.capacity)
            response = problem(503, AT_CAPACITY, kind="unavailable", headers={"Retry-After": "1"})
            await response(scope, receive, send)
            return
        # Every wait for SQLite's write lock this request makes comes out of one budget.
        deadline = WRITE_DEADLINE.set(arrived + self.write_wait_seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            WRITE_DEADLINE.reset(deadline)
            places.release()


def widen_thread_pool(capacity: int) -> None:
    """Give the worker threads room for every admitted request and a few besides."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, capacity + 8)


class RetryDroppedReads:
    """A read whose database connection turned out to be dropped (the server restarted, or ended
    the session) is served once more, on a fresh connection, before its 503 is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READ_METHODS:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        dropped: list[Message] = []

        async def recording() -> Message:
            received.append(await receive())
            return received[-1]

        async def hold_a_dropped_answer(message: Message) -> None:
            if dropped or (
                message["type"] == "http.response.start"
                and message["status"] == 503
                and scope.get("state", {}).pop(DATABASE_CONNECTION_DROPPED, False)
            ):
                dropped.append(message)
                return
            await send(message)

        await self.app(scope, recording, hold_a_dropped_answer)
        if not dropped:
            return
        log.warning("database connection dropped during a read; serving it again")
        replay = iter(received)

        async def replaying() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replaying, send)


def health_engine(engine: Engine, settings: Settings) -> Engine:
    """A separate pool of two connections for the health checks, so that they answer whatever
    the requests' pool is doing; PostgreSQL is given a second to connect and to answer."""
    url = engine.url
    if engine.dialect.name == "sqlite" and url.database in (None, "", ":memory:"):
        # An in-memory database exists only on its own engine.
        return engine
    options: dict[str, Any] = {"pool_size": 1, "max_overflow": 1, "pool_timeout": 0.5}
    if engine.dialect.name == "postgresql":
        options["connect_args"] = {
            "connect_timeout": 1,
            "options": "-c statement_timeout=1000 -c lock_timeout=500",
        }
    else:
        options["connect_args"] = {"check_same_thread": False, "timeout": 1}
    return sa.create_engine(
        normalise_url(url.render_as_string(hide_password=False)), pool_pre_ping=True, **options
    )


def _failures(dialect: str) -> tuple[type[Exception], ...]:
    """What a health check that found no database raises. psycopg is imported only where the
    database is PostgreSQL: a SQLite server need not hold its ten megabytes."""
    if dialect == "postgresql":
        import psycopg

        return (TimeoutError, OSError, psycopg.Error)
    return (TimeoutError, OSError, sqlite3.Error)


class HealthCheck:
    """Runs a health check's database work on threads of its own, answering within a second."""

    def __init__(self, engine: Engine, *, seconds: float = 1.0) -> None:
        self.engine = engine
        self.seconds = seconds
        self._threads = anyio.CapacityLimiter(2)
        # One connection per event loop, asked from the loop itself (see `alive`).
        self._connections: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._failures = _failures(engine.dialect.name)

    async def alive(self) -> bool:
        """Whether the database answers `SELECT 1` within the second, asked without a worker
        thread: handing work to a thread and back costs most when every thread is busy."""
        loop = asyncio.get_running_loop()
        try:
            with anyio.fail_after(self.seconds):
                connection = self._connections.get(loop)
                if connection is None:
                    connection = self._connections[loop] = await self._connect()
                if self.engine.dialect.name == "postgresql":
                    await connection.execute("SELECT 1")
                else:
                    connection.execute("SELECT 1").fetchone()
            return True
        except self._failures:
            dropped = self._connections.pop(loop, None)
            if dropped is not None and self.engine.dialect.name == "postgresql":
                with anyio.move_on_after(self.seconds):
                    await dropped.close()
            return False

    async def _connect(self) -> Any:
        url = self.engine.url
        if self.engine.dialect.name == "postgresql":
            import psycopg

            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            return await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, connect_timeout=max(1, int(self.seconds))
            )
        # SELECT 1 takes no lock and reads nothing: it cannot block the loop.
        return sqlite3.connect(
            url.database or ":memory:", timeout=self.seconds, check_same_thread=False
        )

    async def in_thread(self, work: Callable[[], Any]) -> Any:
        """`work()` on the health checks' own threads, however busy the others are."""
        return await anyio.to_thread.run_sync(work, limiter=self._threads)

    async def run(self, check: Callable[[sa.Connection], Any]) -> Any:
        """`check(connection)`'s result, or None when the database did not answer in time."""

        def in_thread() -> Any:
            with self.engine.connect() as connection:
                return check(connection)

        with anyio.move_on_after(self.seconds):
            return await anyio.to_thread.run_sync(
                in_thread, limiter=self._threads, abandon_on_cancel=True
            )
        return None

    async def close(self, *, unless: Engine) -> None:
        for connection in list(self._connections.values()):
            if self.engine.dialect.name == "postgresql":
                await connection.close()
            else:
                connection.close()
        self._connections.clear()
        if self.engine is not unless:
            self.engine.dispose()
