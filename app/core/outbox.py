"""The outbox's delivery machinery, shared by its channels (webhook deliveries, mail).

A channel's table holds one row per thing to send, with `status` (pending until sent or given
up), `attempts`, `last_attempt_at` and `next_attempt_at`. The row is written in the transaction
that decides it should go out; a worker sends it later, outside any request:

- `Leases.claim` takes due rows in a short transaction of its own that counts the attempt and
  pushes `next_attempt_at` past the time the attempt can take (a lease). On PostgreSQL the claim
  uses `FOR UPDATE SKIP LOCKED`, so any number of workers share the backlog without sending a
  row twice at once; on SQLite the claim is a write transaction, and SQLite lets one writer in
  at a time.
- The channel sends outside any transaction, and `Leases.settle` writes the outcome in another
  short one, only if the row is still at that attempt. So a worker that dies mid-attempt loses
  nothing: once the lease runs out another worker takes the row over.
- `RetryPolicy` says when a failed attempt is tried again (doubling waits, capped) and when it
  is given up.
- `Leases.prune` deletes the rows a channel has finished with (sent or given up) once their last
  attempt is older than the retention (`TRACKER_OUTBOX_RETENTION_DAYS`); pending rows are kept
  however old they are.
- `Runner` drives the channels, in a thread of each API process (`BackgroundRunner`) or in
  `tracker worker`, and prunes them every `prune_every` (or `tracker outbox prune`).
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from app.core.base import utcnow
from app.core.db import writer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
PRUNE_BATCH = 1_000
"""Rows deleted per transaction when pruning, so that no prune holds the write lock for long."""


def backoff_seconds(*, attempt: int, base: float, cap: float) -> float:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): doubling, capped."""
    return min(cap, base * 2 ** min(attempt - 1, 62))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float

    def retry_at(self, *, attempt: int, now: datetime, permanent: bool = False) -> datetime | None:
        """When to try again after failed attempt `attempt`; None when it is given up."""
        if permanent or attempt >= self.max_attempts:
            return None
        wait = backoff_seconds(
            attempt=attempt, base=self.backoff_seconds, cap=self.backoff_max_seconds
        )
        return now + timedelta(seconds=wait)


class Leases:
    """Claims the due rows of one outbox table for one attempt each, and settles the attempts."""

    def __init__(self, engine: Engine, table: sa.Table, *, pending: str, lease: timedelta) -> None:
        self.reader = engine
        self.engine = writer(engine)
        self.table = table
        self.pending = pending
        self.lease = lease

    def claim(self, *, probe: sa.Select | None, batch: sa.Select, now: datetime) -> list[Row[Any]]:
        """Claim the rows `batch` selects (their `id` and `attempts` first, then what sending
        needs); `probe` is a cheap look for any due row at all, made without the write lock, so
        that an idle worker never takes SQLite's (None when the caller has looked already). The
        rows come back as they were read: the attempt being made is their `attempts` + 1."""
        table = self.table
        if probe is not None:
            with self.reader.connect() as connection:
                if connection.execute(probe.limit(1)).first() is None:
                    return []
        claimed = []
        with self.engine.begin() as connection:
            rows = connection.execute(batch.with_for_update(of=table, skip_locked=True)).all()
            for row in rows:
                taken = connection.execute(
                    table.update()
                    .where(
                        table.c.id == row.id,
                        table.c.status == self.pending,
                        table.c.attempts == row.attempts,
                    )
                    .values(
                        attempts=row.attempts + 1,
                        last_attempt_at=now,
                        next_attempt_at=now + self.lease,
                    )
                ).rowcount
                if taken == 1:
                    claimed.append(row)
        return claimed

    def settle(
        self,
        *,
        row_id: Any,
        attempt: int,
        values: dict[str, Any],
        then: Callable[[Connection], None] | None = None,
    ) -> bool:
        """Write an attempt's outcome, only while the row is still at that attempt: a worker
        whose lease ran out must not overwrite what the worker that took over has recorded.
        `then` runs in the same transaction when the outcome was written (a channel's own
        bookkeeping, such as a receiver's backoff)."""
        table = self.table
        with self.engine.begin() as connection:
            settled = (
                connection.execute(
                    table.update()
                    .where(
                        table.c.id == row_id,
                        table.c.status == self.pending,
                        table.c.attempts == attempt,
                    )
                    .values(**values)
                ).rowcount
                == 1
            )
            if settled and then is not None:
                then(connection)
            return settled

    def prune(self, *, before: datetime) -> int:
        """Delete the rows sent or given up whose last attempt was before `before`; how many."""
        table = self.table
        finished = (
            sa.select(table.c.id)
            .where(table.c.status != self.pending, table.c.last_attempt_at < before)
            .limit(PRUNE_BATCH)
        )
        return delete_in_batches(self.engine, table, finished)


def delete_in_batches(engine: Engine, table: sa.Table, ids: sa.Select) -> int:
    """Delete the rows whose ids `ids` selects (at most a batch at a time), until none is left;
    each batch in a transaction of its own. How many were deleted."""
    deleted = 0
    while True:
        with writer(engine).begin() as connection:
            done = connection.execute(
                table.delete().where(table.c.id.in_(ids.scalar_subquery()))
            ).rowcount
        deleted += done
        if done < PRUNE_BATCH:
            return deleted


class Channel(Protocol):
    def run_once(self) -> int:
        """Claim one batch of due rows and send them; how many were tried."""
        ...

    def close(self) -> None: ...


class Prunable(Protocol):
    def prune(self, *, before: datetime) -> dict[str, int]:
        """Delete what was finished with before `before`; how many rows, by table."""
        ...


class Runner:
    """Runs the outbox's channels in turn; `run_once` and `drain` let callers drive it by steps.

    Every `prune_every` of running it also prunes what is older than `retention`.
    """

    def __init__(
        self,
        channels: Sequence[Channel],
        *,
        poll_seconds: float,
        prunable: Sequence[Prunable] = (),
        retention: timedelta = timedelta(days=30),
        prune_every: timedelta = timedelta(hours=1),
        clock: Clock = utcnow,
    ) -> None:
        self.channels = list(channels)
        self.poll_seconds = poll_seconds
        self.prunable = list(prunable)
        self.retention = retention
        self.prune_every = prune_every
        self.clock = clock
        self.next_prune_at: datetime | None = None

    def run_once(self) -> int:
        return sum(channel.run_once() for channel in self.channels)

    def prune(self) -> dict[str, int]:
        """Delete what the outbox finished with longer ago than the retention; rows by table."""
        before = self.clock() - self.retention
        pruned: dict[str, int] = {}
        for prunable in self.prunable:
            pruned |= prunable.prune(before=before)
        if any(pruned.values()):
            log.info("outbox pruned", extra={"pruned": pruned, "before": before.isoformat()})
        return pruned

    def prune_if_due(self) -> None:
        now = self.clock()
        if self.next_prune_at is None or now >= self.next_prune_at:
            self.next_prune_at = now + self.prune_every
            self.prune()

    def drain(self) -> int:
        """Send everything due now (retries not yet due wait); how many attempts were made."""
        attempts = 0
        while tried := self.run_once():
            attempts += tried
        return attempts

    def run(self, stop: threading.Event) -> None:
        """Send until `stop` is set, looking again every `poll_seconds` when idle."""
        pause = self.poll_seconds
        while not stop.is_set():
            try:
                self.prune_if_due()
                busy = self.run_once()
                pause = self.poll_seconds
            except Exception:
                # Most likely the database is restarting: wait, longer each time, and try again.
                log.exception("outbox worker round failed")
                busy = 0
                pause = min(pause * 2, 60.0)
            if not busy:
                stop.wait(pause)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


class BackgroundRunner:
    """A `Runner` on a daemon thread of the API process, started and stopped with the app."""

    def __init__(self, runner: Runner, *, stop_timeout_seconds: float) -> None:
        self.runner = runner
        self.stop_timeout_seconds = stop_timeout_seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=self.runner.run, args=(self.stop_event,), name="outbox-worker", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        log.info("outbox worker started")

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=self.stop_timeout_seconds)
        self.runner.close()
        log.info("outbox worker stopped")
