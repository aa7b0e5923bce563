"""The webhook worker: claims due deliveries, POSTs them signed, and logs each attempt.

A delivery is claimed in a short transaction of its own that counts the attempt and pushes
`next_attempt_at` past the time the attempt can take (a lease). The POST happens outside any
transaction, and its outcome is written in another short one, only if the delivery is still at
that attempt. So a worker that dies mid-attempt loses nothing: once the lease runs out another
worker takes the delivery over, with the same id. On PostgreSQL the claim uses
`FOR UPDATE SKIP LOCKED`, so any number of workers (one per API process, or `tracker worker`)
share the backlog without sending a delivery twice at once; on SQLite the claim is a write
transaction, and SQLite lets one writer in at a time.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.config import Settings
from app.core.db import writer
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.service import backoff_seconds, payload, signature

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Beyond the receiver's timeout, so that a lease never runs out under an attempt still in flight.
LEASE_MARGIN_SECONDS = 30.0
USER_AGENT = "4p-tracker-webhooks/1"


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt at one delivery, with everything needed to send it."""

    delivery_id: str
    attempt: int
    event_type: str
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Worker:
    """Delivers what is due; `run_once` and `drain` let callers (and tests) drive it by steps."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        http: httpx.Client | None = None,
    ) -> None:
        self.reader = engine
        self.engine = writer(engine)
        self.settings = settings
        self.clock = clock
        self.http = http or httpx.Client(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.webhook_concurrency, thread_name_prefix="webhook-delivery"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()

    def claim(self, limit: int | None = None) -> list[Claim]:
        """Take up to `limit` due deliveries of active webhooks for one attempt each."""
        now = self.clock()
        delivery, event, subscription = (
            WebhookDelivery.__table__,
            WebhookEvent.__table__,
            WebhookSubscription.__table__,
        )
        due = (
            sa.select(delivery.c.id)
            .join(subscription, subscription.c.id == delivery.c.subscription_id)
            .where(
                delivery.c.status == DeliveryStatus.pending,
                delivery.c.next_attempt_at <= now,
                subscription.c.active.is_(True),
            )
        )
        # Look first without the write lock, so that an idle worker never takes SQLite's.
        with self.reader.connect() as connection:
            if connection.execute(due.limit(1)).first() is None:
                return []
        with self.engine.begin() as connection:
            rows = connection.execute(
                due.add_columns(
                    delivery.c.attempts,
                    subscription.c.url,
                    subscription.c.secret,
                    event.c.type,
                    event.c.occurred_at,
                    event.c.data,
                )
                .join(event, event.c.id == delivery.c.event_id)
                .order_by(delivery.c.next_attempt_at, delivery.c.created_at, delivery.c.id)
                .limit(limit or self.settings.webhook_concurrency)
                .with_for_update(of=delivery, skip_locked=True)
            ).all()
            claims = []
            for row in rows:
                taken = connection.execute(
                    delivery.update()
                    .where(
                        delivery.c.id == row.id,
                        delivery.c.status == DeliveryStatus.pending,
                        delivery.c.attempts == row.attempts,
                    )
                    .values(
                        attempts=row.attempts + 1,
                        last_attempt_at=now,
                        next_attempt_at=now + self.lease,
                    )
                ).rowcount
                if taken != 1:
                    continue
                event_type = str(row.type)
                body = payload(
                    delivery_id=row.id,
                    type=event_type,
                    occurred_at=row.occurred_at,
                    data=row.data,
                )
                headers = {
                    "Content-Type": "application/json",
                    "X-Tracker-Event": event_type,
                    "X-Tracker-Delivery": row.id,
                    "X-Tracker-Signature": signature(body, row.secret),
                }
                claims.append(Claim(row.id, row.attempts + 1, event_type, row.url, body, headers))
        return claims

    def send(self, claim: Claim) -> Outcome:
        """POST one delivery; any 2xx is a success, anything else (or no answer) a failure."""
        try:
            response = self.http.post(claim.url, content=claim.body, headers=claim.headers)
        except httpx.TimeoutException:
            return Outcome(None, f"no answer within {self.settings.webhook_timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return Outcome(None, f"{type(error).__name__}: {error}"[:500])
        if 200 <= response.status_code < 300:
            return Outcome(response.status_code, "")
        return Outcome(
            response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"[:500]
        )

    def record(self, claim: Claim, outcome: Outcome) -> None:
        """Log the attempt; schedule a retry with backoff, or give up after the last attempt."""
        now = self.clock()
        values: dict = {"last_status_code": outcome.status_code, "last_error": outcome.error}
        if outcome.ok:
            values |= {
                "status": DeliveryStatus.delivered,
                "delivered_at": now,
                "next_attempt_at": None,
            }
        elif claim.attempt >= self.settings.webhook_max_attempts:
            values |= {"status": DeliveryStatus.failed, "next_attempt_at": None}
        else:
            wait = backoff_seconds(
                attempt=claim.attempt,
                base=self.settings.webhook_backoff_seconds,
                cap=self.settings.webhook_backoff_max_seconds,
            )
            values["next_attempt_at"] = now + timedelta(seconds=wait)
        delivery = WebhookDelivery.__table__
        with self.engine.begin() as connection:
            # Only while the delivery is still at this attempt: a worker whose lease ran out
            # must not overwrite what the worker that took over has recorded.
            connection.execute(
                delivery.update()
                .where(
                    delivery.c.id == claim.delivery_id,
                    delivery.c.status == DeliveryStatus.pending,
                    delivery.c.attempts == claim.attempt,
                )
                .values(**values)
            )
        if not outcome.ok:
            log.warning(
                "webhook delivery failed",
                extra={
                    "delivery_id": claim.delivery_id,
                    "event_type": claim.event_type,
                    "attempt": claim.attempt,
                    "status_code": outcome.status_code,
                    "error": outcome.error,
                },
            )

    def deliver(self, claim: Claim) -> Outcome:
        outcome = self.send(claim)
        self.record(claim, outcome)
        return outcome

    def run_once(self) -> int:
        """Claim one batch of due deliveries and send them side by side; how many were tried."""
        claims = self.claim()
        list(self._pool.map(self.deliver, claims))
        return len(claims)

    def drain(self) -> int:
        """Send everything due now (retries not yet due wait); how many attempts were made."""
        attempts = 0
        while tried := self.run_once():
            attempts += tried
        return attempts

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set, looking again every `webhook_poll_seconds` when idle."""
        pause = self.settings.webhook_poll_seconds
        while not stop.is_set():
            try:
                busy = self.run_once()
                pause = self.settings.webhook_poll_seconds
            except Exception:
                # Most likely the database is restarting: wait, longer each time, and try again.
                log.exception("webhook worker round failed")
                busy = 0
                pause = min(pause * 2, 60.0)
            if not busy:
                stop.wait(pause)


class BackgroundWorker:
    """A `Worker` on a daemon thread of the API process, started and stopped with the app."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.worker = Worker(engine, settings)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=self.worker.run, args=(self.stop_event,), name="webhook-worker", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        log.info("webhook worker started")

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=self.worker.settings.webhook_timeout_seconds + 5)
        self.worker.close()
        log.info("webhook worker stopped")
