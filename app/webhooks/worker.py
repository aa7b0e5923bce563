"""The webhook channel of the outbox: claims due deliveries, POSTs them signed, logs each attempt.

Leases, retries and backoff are the outbox's (`app/core/outbox.py`); this module adds what is
particular to webhooks: which deliveries are due (those of active subscriptions), the signed
POST, and what counts as a success.
"""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from datetime import timedelta

import anyio
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.core.base import utcnow
from app.core.config import Settings
from app.core.outbox import Clock, Leases, RetryPolicy
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.service import insecure_url_refusal, payload, signature, standard_headers

log = logging.getLogger(__name__)

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
    event_type: str
    url: str
    body: bytes
    headers: dict[str, str]
    secret: str = field(default="", repr=False)


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
        self._in_flight: set[Future[Outcome]] = set()
        self._pool = ThreadPoolExecutor(
            max_workers=settings.webhook_concurrency, thread_name_prefix="webhook-delivery"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True)

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
        rows = self.leases.claim(
            probe=due,
            batch=due.add_columns(
                delivery.c.attempts,
                subscription.c.url,
                subscription.c.secret,
                event.c.type,
                event.c.occurred_at,
                event.c.data,
            )
            .join(event, event.c.id == delivery.c.event_id)
            .order_by(delivery.c.next_attempt_at, delivery.c.created_at, delivery.c.id)
            .limit(limit or self.settings.webhook_concurrency),
            now=now,
        )
        claims = []
        for row in rows:
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
                Claim(row.id, row.attempts + 1, event_type, row.url, body, headers, row.secret)
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
        try:
            status, text = anyio.run(self._post, claim.url, claim.body, headers)
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
        """Log the attempt; schedule a retry with backoff, or give up after the last attempt."""
        now = self.clock()
        values: dict = {"last_status_code": outcome.status_code, "last_error": outcome.error}
        if outcome.ok:
            values |= {
                "status": DeliveryStatus.delivered,
                "delivered_at": now,
                "next_attempt_at": None,
            }
        else:
            retry_at = self.retry.retry_at(attempt=claim.attempt, now=now)
            if retry_at is None:
                values |= {"status": DeliveryStatus.failed, "next_attempt_at": None}
            else:
                values["next_attempt_at"] = retry_at
        self.leases.settle(row_id=claim.delivery_id, attempt=claim.attempt, values=values)
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
        """Claim as many due deliveries as there are free senders and start them; how many.

        It does not wait for them: a receiver that hangs until the timeout holds one sender, and
        the others go on serving the healthy receivers meanwhile.
        """
        self._in_flight = {future for future in self._in_flight if not future.done()}
        free = self.settings.webhook_concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        claims = self.claim(limit=free)
        self._in_flight |= {self._pool.submit(self.deliver, claim) for claim in claims}
        return len(claims)

    def wait(self) -> None:
        """Until every attempt started has finished."""
        futures_wait(self._in_flight)
        self._in_flight = set()

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
