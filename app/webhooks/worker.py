"""The webhook channel of the outbox: claims due deliveries, POSTs them signed, logs each attempt.

Leases, retries and backoff are the outbox's (`app/core/outbox.py`); this module adds what is
particular to webhooks: which deliveries are due, the signed POST, and what counts as a success.

One receiver cannot hold up the others: every attempt has one deadline for all of it; at most
`webhook_concurrency_per_webhook` of a worker's senders go to one webhook at once, the free ones
shared out among the webhooks in turn; and a webhook whose attempt failed is backed off as a
whole (`backoff_until`), so a receiver that keeps failing gets one attempt a backoff rather than
one per delivery, and then one at a time until it answers. Stopping the worker abandons the
attempts still in flight after a second: they are due again straight away, for the next worker,
and count against no one's backoff.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.changes.models import ChangeEntry
from app.core.base import utcnow
from app.core.config import Settings
from app.core.outbox import (
    PRUNE_BATCH,
    Clock,
    Leases,
    RetryPolicy,
    backoff_seconds,
    delete_in_batches,
)
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.service import insecure_url_refusal, payload, signature, standard_headers

# httpx (with the CLI it loads: rich, pygments, click) is imported where a request is made:
# a server that sends none never holds it in memory.
if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 1.0
"""How long a stopping worker lets the attempts in flight finish before abandoning them."""
STOP_CHECK_SECONDS = 0.05
"""How often an attempt in flight looks whether the worker is stopping."""
STOPPED_ERROR = "the worker stopped before the receiver answered; due again"

# Beyond the receiver's timeout, so that a lease never runs out under an attempt still in flight.
LEASE_MARGIN_SECONDS = 30.0
USER_AGENT = "4p-tracker-webhooks/1"
ANSWER_KEPT_BYTES = 1_000
"""Of a receiver's answer, what is kept for the delivery log."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt at one delivery, with everything needed to send it."""

    delivery_id: str
    attempt: int
    subscription_id: int
    claimed_at: datetime
    event_type: str
    url: str
    body: bytes
    headers: dict[str, str]
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


STOPPED = Outcome(None, STOPPED_ERROR, stopped=True)


class Worker:
    """Delivers what is due; `run_once` and `drain` let callers (and tests) drive it by steps."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.transport = transport
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
        self.leases = Leases(
            engine, WebhookDelivery.__table__, pending=DeliveryStatus.pending, lease=self.lease
        )
        self.retry = RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            backoff_max_seconds=settings.webhook_backoff_max_seconds,
        )
        self.engine = engine
        # Each attempt started by `run_once`, with the webhook it goes to.
        self._in_flight: dict[Future[Outcome], int] = {}
        self._turn = 0
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=settings.webhook_concurrency, thread_name_prefix="webhook-delivery"
        )

    def close(self) -> None:
        """Stop: attempts in flight get `STOP_GRACE_SECONDS` to finish, then are abandoned (and
        due again) rather than waited for to their deadline."""
        futures_wait(list(self._in_flight), timeout=STOP_GRACE_SECONDS)
        self._stopping.set()
        self._pool.shutdown(wait=True)

    def _busy(self) -> Counter[int]:
        """Attempts in flight, by webhook."""
        self._in_flight = {f: s for f, s in self._in_flight.items() if not f.done()}
        return Counter(self._in_flight.values())

    def _choose(self, *, now: datetime, free: int, busy: Counter[int]) -> list[str]:
        """Up to `free` due deliveries, at most the per-webhook limit to each webhook counting
        those in flight (one while it is backed off), shared out one at a time among the
        webhooks, oldest first within one. Read without the write lock, so that an idle worker
        never takes SQLite's."""
        per_webhook = self.settings.webhook_concurrency_per_webhook
        delivery, subscription = WebhookDelivery.__table__, WebhookSubscription.__table__
        due = sa.and_(
            delivery.c.status == DeliveryStatus.pending, delivery.c.next_attempt_at <= now
        )
        ready = (
            sa.select(subscription.c.id, subscription.c.consecutive_failures)
            .where(
                subscription.c.active.is_(True),
                sa.or_(subscription.c.backoff_until.is_(None), subscription.c.backoff_until <= now),
                sa.exists().where(delivery.c.subscription_id == subscription.c.id, due),
            )
            .order_by(subscription.c.id)
        )
        queues: list[list[str]] = []
        with self.engine.connect() as connection:
            # A webhook backed off is tried again with one delivery, not a round of them: the
            # others follow once it has answered.
            rooms = {
                webhook_id: (1 if failures else per_webhook) - busy[webhook_id]
                for webhook_id, failures in connection.execute(ready)
            }
            webhooks = [webhook_id for webhook_id, room in rooms.items() if room > 0]
            if not webhooks:
                return []
            # Start each round at another webhook, so that none always goes first.
            self._turn = (self._turn + 1) % len(webhooks)
            for webhook_id in webhooks[self._turn :] + webhooks[: self._turn]:
                queues.append(
                    list(
                        connection.scalars(
                            sa.select(delivery.c.id)
                            .where(delivery.c.subscription_id == webhook_id, due)
                            .order_by(
                                delivery.c.next_attempt_at, delivery.c.created_at, delivery.c.id
                            )
                            .limit(min(rooms[webhook_id], free))
                        )
                    )
                )
        chosen: list[str] = []
        while len(chosen) < free and any(queues):
            for queue in queues:
                if queue and len(chosen) < free:
                    chosen.append(queue.pop(0))
        return chosen

    def claim(self, limit: int | None = None) -> list[Claim]:
        """Take up to `limit` due deliveries of active webhooks for one attempt each."""
        now = self.clock()
        chosen = self._choose(
            now=now, free=limit or self.settings.webhook_concurrency, busy=self._busy()
        )
        if not chosen:
            return []
        delivery, event, subscription = (
            WebhookDelivery.__table__,
            WebhookEvent.__table__,
            WebhookSubscription.__table__,
        )
        rows = self.leases.claim(
            probe=None,
            batch=sa.select(
                delivery.c.id,
                delivery.c.attempts,
                delivery.c.subscription_id,
                subscription.c.url,
                subscription.c.secret,
                event.c.type,
                event.c.occurred_at,
                event.c.data,
            )
            .join(subscription, subscription.c.id == delivery.c.subscription_id)
            .join(event, event.c.id == delivery.c.event_id)
            .where(
                delivery.c.id.in_(chosen),
                delivery.c.status == DeliveryStatus.pending,
                delivery.c.next_attempt_at <= now,
                subscription.c.active.is_(True),
            ),
            now=now,
        )
        claims = []
        for row in sorted(rows, key=lambda row: chosen.index(row.id)):
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
            claims.append(
                Claim(
                    row.id,
                    row.attempts + 1,
                    row.subscription_id,
                    now,
                    event_type,
                    row.url,
                    body,
                    headers,
                    row.secret,
                )
            )
        return claims

    def send(self, claim: Claim) -> Outcome:
        """POST one delivery; any 2xx is a success, anything else (or no answer) a failure."""
        refusal = insecure_url_refusal(claim.url, self.settings.webhook_http_hosts)
        if refusal:
            # Stored before URLs had to be https, or its host's allowance has since been removed.
            return Outcome(None, refusal)
        # Signed as it is sent: the timestamp is this attempt's, for receivers to refuse replays.
        headers = {
            **claim.headers,
            **standard_headers(
                delivery_id=claim.delivery_id, body=claim.body, secret=claim.secret, at=utcnow()
            ),
        }
        return anyio.run(self._attempt, claim.url, claim.body, headers)

    async def _attempt(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """The POST's outcome, or STOPPED if the worker began stopping before it had one."""
        outcome = STOPPED
        async with anyio.create_task_group() as attempt:
            attempt.start_soon(self._cancel_when_stopping, attempt.cancel_scope)
            outcome = await self._outcome(url, body, headers)
            attempt.cancel_scope.cancel()
        return outcome

    async def _cancel_when_stopping(self, scope: anyio.CancelScope) -> None:
        while not self._stopping.is_set():
            await anyio.sleep(STOP_CHECK_SECONDS)
        scope.cancel()

    async def _outcome(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        import httpx

        try:
            status, text = await self._post(url, body, headers)
        except TimeoutError:
            return Outcome(None, f"no answer within {self.settings.webhook_timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return Outcome(None, f"{type(error).__name__}: {error}"[:500])
        if 200 <= status < 300:
            return Outcome(status, "")
        return Outcome(status, f"HTTP {status}: {text[:200]}"[:500])

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """One POST within one deadline for all of it (connecting, the answer's headers and
        body), so a receiver that trickles its answer cannot hold an attempt past the timeout."""
        import httpx

        timeout = self.settings.webhook_timeout_seconds
        with anyio.fail_after(timeout):
            async with (
                httpx.AsyncClient(
                    timeout=timeout,
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                    transport=self.transport,
                ) as client,
                client.stream("POST", url, content=body, headers=headers) as response,
            ):
                kept = bytearray()
                async for chunk in response.aiter_bytes():
                    if len(kept) < ANSWER_KEPT_BYTES:
                        kept.extend(chunk)
                return response.status_code, kept.decode("utf-8", "replace")

    def record(self, claim: Claim, outcome: Outcome) -> None:
        """Log the attempt; schedule a retry with backoff, or give up after the last attempt;
        and keep the webhook's own backoff (reset by a success, lengthened by a failure)."""
        now = self.clock()
        values: dict = {"last_status_code": outcome.status_code, "last_error": outcome.error}
        if outcome.ok:
            values |= {
                "status": DeliveryStatus.delivered,
                "delivered_at": now,
                "next_attempt_at": None,
            }
        elif outcome.stopped:
            values["next_attempt_at"] = now
        else:
            retry_at = self.retry.retry_at(attempt=claim.attempt, now=now)
            if retry_at is None:
                values |= {"status": DeliveryStatus.failed, "next_attempt_at": None}
            else:
                values["next_attempt_at"] = retry_at
        self.leases.settle(
            row_id=claim.delivery_id,
            attempt=claim.attempt,
            values=values,
            then=None if outcome.stopped else self._receiver_backoff(claim, outcome, now),
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

    def _receiver_backoff(
        self, claim: Claim, outcome: Outcome, now: datetime
    ) -> Callable[[Connection], None]:
        subscription = WebhookSubscription.__table__
        mine = subscription.c.id == claim.subscription_id

        def keep(connection: Connection) -> None:
            if outcome.ok:
                connection.execute(
                    subscription.update()
                    .where(mine, subscription.c.consecutive_failures > 0)
                    .values(consecutive_failures=0, backoff_until=None)
                )
                return
            # Attempts that were already in flight when a failure backed the webhook off belong
            # to that round: they do not lengthen the backoff again.
            failures = connection.scalar(
                subscription.update()
                .where(
                    mine,
                    sa.or_(
                        subscription.c.backoff_until.is_(None),
                        subscription.c.backoff_until <= claim.claimed_at,
                    ),
                )
                .values(consecutive_failures=subscription.c.consecutive_failures + 1)
                .returning(subscription.c.consecutive_failures)
            )
            if failures is not None:
                wait = backoff_seconds(
                    attempt=failures,
                    base=self.retry.backoff_seconds,
                    cap=self.retry.backoff_max_seconds,
                )
                connection.execute(
                    subscription.update()
                    .where(mine)
                    .values(backoff_until=now + timedelta(seconds=wait))
                )

        return keep

    def prune(self, *, before: datetime) -> dict[str, int]:
        """The delivery log's finished entries older than `before`, then the events (and their
        place in the change feed) that old which no delivery still needs."""
        delivery, event = WebhookDelivery.__table__, WebhookEvent.__table__
        entry = ChangeEntry.__table__  # type: ignore[attr-defined]
        deliveries = self.leases.prune(before=before)
        unneeded = sa.select(event.c.id).where(
            event.c.occurred_at < before,
            ~sa.exists().where(delivery.c.event_id == event.c.id),
        )
        # Their places in the feed first (they hold no key to the events): an entry never
        # outlives its event, though an event may briefly outlive its entry, as it will be gone.
        entries = delete_in_batches(
            self.engine,
            entry,
            sa.select(entry.c.id).where(entry.c.event_id.in_(unneeded)).limit(PRUNE_BATCH),
        )
        events = delete_in_batches(self.engine, event, unneeded.limit(PRUNE_BATCH))
        return {"webhook_delivery": deliveries, "webhook_event": events, "change_entry": entries}

    def deliver(self, claim: Claim) -> Outcome:
        outcome = self.send(claim)
        self.record(claim, outcome)
        return outcome

    def run_once(self) -> int:
        """Claim as many due deliveries as there are free senders and start them; how many.

        It does not wait for them: a receiver that hangs until the timeout holds one sender, and
        the others go on serving the healthy receivers meanwhile.
        """
        free = self.settings.webhook_concurrency - len(self._busy())
        if free <= 0:
            return 0
        claims = self.claim(limit=free)
        for claim in claims:
            self._in_flight[self._pool.submit(self.deliver, claim)] = claim.subscription_id
        return len(claims)

    def wait(self) -> None:
        """Until every attempt started has finished."""
        futures_wait(self._in_flight)
        self._in_flight = {}

    def drain(self) -> int:
        """Send everything due now (retries not yet due wait); how many attempts were made."""
        attempts = 0
        while True:
            tried = self.run_once()
            attempts += tried
            if not tried:
                if not self._in_flight:
                    return attempts
                self.wait()
