"""The engine and the per-request session.

SQLite is the embedded default: WAL so readers never wait for the writer, foreign keys on, a busy
timeout, and write transactions that begin IMMEDIATE. A deferred transaction that reads and then
writes cannot wait out another writer (SQLite fails it at once with `database is locked`), so every
transaction that may write takes the write lock before its first read. The process's writers wait
for it in turn (see WriteTurn), for at most the busy timeout.
"""

import collections
import functools
import itertools
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, Generic, ParamSpec, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings, get_settings
from app.core.openapi import raises

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def normalise_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3 whichever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        # The server ends what runs too long, waits too long for a lock, or sits idle inside a
        # transaction, so one stuck request cannot hold rows (and the pool) for minutes.
        options = " ".join(
            f"-c {name}={value}"
            for name, value in (
                ("statement_timeout", settings.db_statement_timeout_ms),
                ("lock_timeout", settings.db_lock_timeout_ms),
                ("idle_in_transaction_session_timeout", settings.db_idle_in_transaction_timeout_ms),
            )
        )
        engine = sa.create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            connect_args={"options": options},
        )
        _ping_when_idle(engine, settings.db_ping_after_idle_seconds)
        return engine
    in_memory = sa.engine.make_url(url).database in (None, "", ":memory:")
    engine = sa.create_engine(
        url,
        # A file database is pooled (an in-memory one is one connection per thread).
        **(
            {}
            if in_memory
            else {
                "pool_size": settings.db_pool_size,
                "max_overflow": settings.db_max_overflow,
                "pool_timeout": settings.db_pool_timeout_seconds,
            }
        ),
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )
    busy_timeout = settings.sqlite_busy_timeout_ms
    turn = WriteTurn()

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event below issue BEGIN, rather than the driver's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        if not connection.get_execution_options().get("sqlite_immediate", False):
            connection.exec_driver_sql("BEGIN")
            return
        wait = busy_timeout / 1000
        deadline = WRITE_DEADLINE.get()
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        if not turn.take(timeout=wait):
            raise sa.exc.TimeoutError(
                f"no turn to write within {busy_timeout} ms: another write holds the database"
            )
        connection.info[HOLDS_TURN] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(connection.info)
            raise

    def _end_turn(info: dict[str, Any]) -> None:
        if info.pop(HOLDS_TURN, False):
            turn.pass_on()

    @sa.event.listens_for(engine, "commit")
    @sa.event.listens_for(engine, "rollback")
    def _ended(connection: sa.Connection) -> None:
        _end_turn(connection.info)

    @sa.event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        # A connection given back (or dropped) in the middle of its transaction.
        _end_turn(record.info)

    return engine


HOLDS_TURN = "holds_sqlite_write_turn"
P = ParamSpec("P")
R = TypeVar("R")
WRITE_DEADLINE: ContextVar[float | None] = ContextVar("write_deadline", default=None)
"""By when (`time.monotonic()`) the request being served must have had each turn to write on
SQLite: its waits together stay within the busy timeout, however many transactions it makes."""


def unhurried(work: Callable[P, R]) -> Callable[P, R]:
    """`work` waiting for its turn the whole busy timeout, whatever the request's deadline: for
    what must follow a committed write, such as storing its answer for retries."""

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = WRITE_DEADLINE.set(None)
        try:
            return work(*args, **kwargs)
        finally:
            WRITE_DEADLINE.reset(token)

    return run


class WriteTurn:
    """SQLite has one writer at a time. Without this, every other writer polls the file's lock
    with growing sleeps and whoever polls at the right moment wins, so some wait far longer than
    others; here the process's writers wait blocked, in order of arrival, and each is handed the
    turn the moment the one before it ends."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: collections.deque[threading.Lock] = collections.deque()

    def take(self, *, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the turn; whether it was had."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            signal = threading.Lock()
            signal.acquire()
            self._waiting.append(signal)
        if signal.acquire(timeout=timeout):
            return True
        with self._mutex:
            if signal in self._waiting:
                self._waiting.remove(signal)
                return False
        # The turn was handed over just as the wait ran out: it is ours.
        return True

    def pass_on(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


def allow_idle_between_statements(session: Session, milliseconds: int) -> None:
    """Let this transaction sit idle between statements for up to `milliseconds` (PostgreSQL).

    For the rare transaction that does seconds of work in Python between its reads and its
    writes, such as rendering every format of a paper it then stores, which the server would
    otherwise end as a forgotten transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text(f"SET LOCAL idle_in_transaction_session_timeout = {int(milliseconds)}")
        )


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeptPerDatabase(Generic[K, V]):
    """The last few values something read, per database (its engine) and key, shared by the
    threads that serve requests: at most `most` a database, the oldest written let go first."""

    def __init__(self, most: int) -> None:
        self._kept: weakref.WeakKeyDictionary[Any, dict[K, V]] = weakref.WeakKeyDictionary()
        self._mutex = threading.Lock()
        self._most = most

    def get(self, engine: Any, key: K) -> V | None:
        with self._mutex:
            return self._kept.get(engine, {}).get(key)

    def put(self, engine: Any, key: K, value: V) -> None:
        with self._mutex:
            kept = self._kept.setdefault(engine, {})
            kept.pop(key, None)
            kept[key] = value
            while len(kept) > self._most:
                del kept[next(iter(kept))]

    def clear(self) -> None:
        with self._mutex:
            self._kept.clear()


_COMMIT_COUNTER = itertools.count(1)
_LAST_COMMIT = [0]


def commit_count() -> int:
    """A number that grows whenever this process commits a transaction, on any database: taken
    before a read, and compared after, it tells whether what was read may have changed since
    here. It moves as a commit begins (any connection's) and again once an ORM session's commit
    has ended, so that a read made between the two is not mistaken for a read after both."""
    return _LAST_COMMIT[0]


def _committed(*_: Any) -> None:
    _LAST_COMMIT[0] = next(_COMMIT_COUNTER)


sa.event.listen(Engine, "commit", _committed)
sa.event.listen(OrmSession, "after_commit", _committed)


def run_core(
    session: Session, statement: sa.Executable, params: Mapping[str, Any] | None = None
) -> sa.CursorResult:
    """A Core statement (plain columns, no entity to load) on the session's connection, after
    the session flushes as an ORM read would: spared the ORM's handling of a statement."""
    session.flush()
    return session.connection().execute(statement, params)


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows of `table` in the session's transaction, after what it has to flush:
    see `copy_rows`."""
    if not rows:
        return
    session.flush()
    copy_rows(session.connection(), table, rows)


def copy_rows(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert many rows of `table`, each with the same keys, none read back.

    On PostgreSQL by COPY, which an import's 10,000 tasks, their events and their audit entries
    cross in a fraction of an executemany's time (one stream, not a statement a row); elsewhere
    by executemany. Either way in the order given, so serial ids rise in that order, and each
    value as the column's type binds it; a column left out takes its default.
    """
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.name not in rows[0] and column.default is not None
    }
    if dialect.name != "postgresql" or any(
        not (default.is_scalar or default.is_callable) for default in defaults.values()
    ):
        connection.execute(table.insert(), rows)
        return
    from psycopg import sql as psycopg_sql

    columns = [*names, *defaults]
    binds = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table.name),
        psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, columns)),
    )
    with (
        connection.connection.driver_connection.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            values = [row[name] for name in names]
            values.extend(
                default.arg(None) if default.is_callable else default.arg
                for default in defaults.values()
            )
            copy.write_row(
                [
                    value if bind is None else bind(value)
                    for value, bind in zip(values, binds, strict=True)
                ]
            )


def _ping_when_idle(engine: Engine, after_seconds: float) -> None:
    """Ping a pooled connection before use only once it has sat idle `after_seconds`.

    A connection the server or a firewall dropped is replaced before a request sees it, as with
    `pool_pre_ping`, without a round trip before every request of a busy pool. A connection
    dropped within the interval fails its request (503, worth retrying) and SQLAlchemy then
    replaces the whole pool.
    """

    @sa.event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards the connection and checks out another.
            raise sa.exc.DisconnectionError("the connection was dropped while idle") from error


def writer(engine: Engine) -> Engine:
    """The same engine, with transactions that take SQLite's write lock when they begin."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_immediate=True)
    return engine


@functools.cache
def reader(engine: Engine) -> Engine:
    """The same engine, for reading: on PostgreSQL its statements run outside a transaction.

    At READ COMMITTED each statement sees its own snapshot either way, so a read loses nothing
    and is spared a BEGIN and a ROLLBACK, each a round trip. SQLite keeps its transaction, whose
    snapshot holds for the whole request.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def write_session(engine: Engine, actor: Any = None) -> Session:
    """A session for work that writes (CLI, importer, worker): commit it explicitly.

    `actor` is who the audit trail records for the session's changes.
    """
    session = Session(writer(engine), expire_on_commit=False)
    if actor is not None:
        session.info["actor"] = actor
    return session


def read_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@raises(503, writes=(409,))
async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed when the route returns without error.

    An async generator, so that making the session, and closing a read's, cost no trip to a
    worker thread: neither touches the database (a read's connection goes back to the pool with
    nothing to undo). What does, a write's commit or rollback, runs on one.
    """
    engines = request.app.state
    if request.method in READ_METHODS:
        session = Session(reader(engines.engine), expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
        return
    session = Session(engines.write_engine, expire_on_commit=False)
    # The audit trail reads the request's actor from here once authentication has set it.
    session.info["request_state"] = request.state
    try:
        try:
            yield session
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    finally:
        session.close()


def commits(endpoint: Callable[P, R]) -> Callable[P, R]:
    """A write route that commits its request's session itself, on the worker thread it runs on,
    as it returns: the commit then waits for no second trip to a worker thread, and SQLite's
    write lock, held from the route's first statement to its commit, is held that much less
    (the session dependency still commits whatever is left, and rolls back on any error)."""

    @functools.wraps(endpoint)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        result = endpoint(*args, **kwargs)
        session: Session = kwargs["session"]  # type: ignore[assignment]
        session.commit()
        return result

    return run


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
