"""Webhook subscriptions, the outbox, and the delivery log admins read and replay.

Other domains report a change by calling `emit(session=..., type=..., data=...)` inside the
transaction that makes the change. The event and one pending delivery per active subscription
that asked for its type are written there and then, so an event exists exactly when its change
was committed, and the set of receivers is the one that stood at that moment. The worker
(`app/webhooks/worker.py`) sends them later, outside any request.
"""

import hashlib
import hmac
import ipaddress
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from app.auth.service import Actor, ensure_admin
from app.changes import service as changes
from app.core.base import utcnow
from app.core.concurrency import check_if_match, etag
from app.core.db import insert_rows
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, count
from app.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.schemas import (
    DeliveryDetail,
    DeliveryRead,
    ReceiverState,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
)

EVENT_TYPES: tuple[str, ...] = tuple(EventType)
SIGNATURE_PREFIX = "sha256="


# The outbox


def emit(*, session: Session, type: EventType | str, data: Mapping[str, Any]) -> None:
    """Record that something happened, in the caller's transaction, for every subscriber.

    `type` is one of `EventType`; `data` is anything JSON can carry once dates are written as
    ISO 8601 text. Nothing is sent here: delivery never waits on, or slows, the caller.
    """
    emit_many(session=session, type=type, data=[data])


def emit_many(
    *, session: Session, type: EventType | str, data: Sequence[Mapping[str, Any]]
) -> list[int]:
    """`emit` for many events of one type at once (an import), in a fixed number of queries.

    The events are written as rows, not ORM objects (an import of 10,000 tasks writes 10,000).
    Returns their ids when someone subscribes to the type (for the deliveries), else none.
    """
    if not data:
        return []
    kind = EventType(type)
    now = utcnow()
    subscribers = [
        subscription_id
        for subscription_id, wanted in session.execute(
            sa.select(WebhookSubscription.id, WebhookSubscription.events).where(
                WebhookSubscription.active.is_(True)  # type: ignore[attr-defined]
            )
        ).all()
        if kind in wanted
    ]
    table = WebhookEvent.__table__  # type: ignore[attr-defined]
    # Made JSON's in one call rather than one an event.
    rows = [
        {"type": kind, "data": jsonable, "occurred_at": now}
        for jsonable in to_jsonable_python([dict(item) for item in data])
    ]
    if not subscribers and len(rows) > 1:
        # Many events no one subscribes to: their ids are not read back (10,000 of them cost an
        # import a quarter of a second), only the range they lie in, for the change feed. Ids
        # are given out as rows are inserted, so every one of these is above the highest before.
        newest = sa.select(sa.func.max(table.c.id))
        before = session.execute(newest).scalar() or 0
        insert_rows(session, table, rows)
        changes.enter_at_commit(
            session, len(rows), lowest=before + 1, highest=session.execute(newest).scalar_one()
        )
        return []
    event_ids = list(
        session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    )
    changes.enter_at_commit(session, len(event_ids), lowest=min(event_ids), highest=max(event_ids))
    if not subscribers:
        return []
    session.add_all(
        WebhookDelivery(
            id=new_delivery_id(),
            subscription_id=subscription_id,
            event_id=event_id,
            next_attempt_at=now,
            created_at=now,
        )
        for event_id in event_ids
        for subscription_id in subscribers
    )
    session.flush()
    return event_ids


def new_delivery_id() -> str:
    return str(uuid.uuid4())


def payload(*, delivery_id: str, type: str, occurred_at: datetime, data: Any) -> bytes:
    """The exact bytes POSTed (and signed) for a delivery: the same on every retry."""
    body = {"id": delivery_id, "type": type, "occurred_at": occurred_at.isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def standard_headers(*, delivery_id: str, body: bytes, secret: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt: its id, its time and their signature.

    Signed with the secret's UTF-8 bytes (a library that wants `whsec_…` takes `whsec_` and the
    base64 of those bytes); a receiver refuses a timestamp too old, so a captured delivery cannot
    be replayed later.
    """
    signed = Webhook(secret.encode()).sign(delivery_id, at, body.decode())
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signed,
    }


def signature(body: bytes, secret: str) -> str:
    """The `X-Tracker-Signature` header: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Subscriptions


def webhook_etag(subscription: WebhookSubscription) -> str:
    return etag("webhook", subscription.id, subscription.version)


def insecure_url_refusal(url: str, http_hosts: Sequence[str]) -> str | None:
    """Why `url` may not receive webhooks (plain http to a host not allowed it), or None."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    host = (parts.hostname or "").lower()
    for allowed in http_hosts:
        allowed = allowed.strip().lower()
        if host == allowed:
            return None
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(allowed, strict=False):
                return None
        except ValueError:
            continue
    return (
        f"webhooks are sent over https only; {host or 'this host'} is not among the hosts "
        "allowed plain http (TRACKER_WEBHOOK_HTTP_HOSTS)"
    )


def _ensure_url_allowed(url: str, http_hosts: Sequence[str]) -> None:
    refusal = insecure_url_refusal(url, http_hosts)
    if refusal:
        raise Invalid(refusal, field="url")


def create_subscription(
    *, session: Session, actor: Actor, data: WebhookCreate, http_hosts: Sequence[str] = ()
) -> WebhookSubscription:
    ensure_admin(actor)
    _ensure_url_allowed(data.url, http_hosts)
    now = utcnow()
    subscription = WebhookSubscription(
        url=data.url,
        secret=data.secret,
        events=[str(e) for e in data.events],
        active=data.active,
        created_at=now,
        created_by=actor.name,
        updated_at=now,
        updated_by=actor.name,
    )
    session.add(subscription)
    session.flush()
    return subscription


def list_subscriptions(
    *, session: Session, page: PageParams
) -> tuple[list[WebhookSubscription], int]:
    statement = select(WebhookSubscription).order_by(WebhookSubscription.id)
    items = session.exec(statement.limit(page.limit).offset(page.offset)).all()
    return list(items), count(session, statement)


def get_subscription(
    *, session: Session, webhook_id: int, for_update: bool = False
) -> WebhookSubscription:
    statement = select(WebhookSubscription).where(WebhookSubscription.id == webhook_id)
    if for_update:
        statement = statement.with_for_update()
    subscription = session.exec(statement).first()
    if subscription is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    return subscription


def update_subscription(
    *,
    session: Session,
    actor: Actor,
    subscription: WebhookSubscription,
    data: WebhookUpdate,
    if_match: str | None,
    http_hosts: Sequence[str] = (),
) -> WebhookSubscription:
    """Change the URL, secret, events or active flag; a paused webhook keeps its backlog."""
    ensure_admin(actor)
    if data.url is not None:
        _ensure_url_allowed(data.url, http_hosts)
    check_if_match(
        if_match,
        webhook_etag(subscription),
        what="webhook",
        current=lambda: WebhookRead.model_validate(subscription).model_dump(mode="json"),
    )
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "events" in changes:
        changes["events"] = [str(e) for e in changes["events"]]
    changed = {k: v for k, v in changes.items() if getattr(subscription, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(subscription, key, value)
        subscription.version += 1
        subscription.updated_at = utcnow()
        subscription.updated_by = actor.name
        session.add(subscription)
        session.flush()
    return subscription


def delete_subscription(
    *, session: Session, actor: Actor, subscription: WebhookSubscription
) -> None:
    """Remove a webhook with its delivery log; pending deliveries are never sent."""
    ensure_admin(actor)
    session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    session.delete(subscription)
    session.flush()


def receiver_state(*, session: Session, subscription: WebhookSubscription) -> ReceiverState:
    """How the webhook's receiver has been answering, and what waits for it."""
    waiting = session.scalar(
        sa.select(sa.func.count()).where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
    )
    return ReceiverState(
        webhook_id=subscription.id,
        consecutive_failures=subscription.consecutive_failures,
        backoff_until=subscription.backoff_until,
        waiting=waiting or 0,
    )


# The delivery log


def _delivery_query() -> sa.Select:
    return sa.select(
        WebhookDelivery, WebhookEvent.type, WebhookEvent.occurred_at, WebhookEvent.data
    ).join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)


def _read(delivery: WebhookDelivery, type_: str, occurred_at: datetime) -> dict[str, Any]:
    return {
        **delivery.model_dump(),
        "webhook_id": delivery.subscription_id,
        "type": type_,
        "occurred_at": occurred_at,
    }


def list_deliveries(
    *,
    session: Session,
    subscription: WebhookSubscription,
    status: DeliveryStatus | None,
    page: PageParams,
) -> tuple[list[DeliveryRead], int]:
    """A webhook's deliveries, newest first."""
    statement = (
        sa.select(WebhookDelivery, WebhookEvent.type, WebhookEvent.occurred_at)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(
            WebhookDelivery.created_at.desc(),  # type: ignore[attr-defined]
            WebhookDelivery.event_id.desc(),  # type: ignore[attr-defined]
            WebhookDelivery.id,
        )
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    rows = session.execute(statement.limit(page.limit).offset(page.offset)).all()
    items = [DeliveryRead.model_validate(_read(d, t, o)) for d, t, o in rows]
    return items, count(session, statement)


def get_delivery(*, session: Session, delivery_id: str) -> DeliveryDetail:
    row = session.execute(_delivery_query().where(WebhookDelivery.id == delivery_id)).first()
    if row is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    delivery, type_, occurred_at, data = row
    return DeliveryDetail.model_validate({**_read(delivery, type_, occurred_at), "data": data})


def replay_delivery(*, session: Session, actor: Actor, delivery_id: str) -> DeliveryDetail:
    """Send a finished delivery's event to its webhook again, as a new delivery with a new id.

    A new id, because the receiver may have recorded the first one as handled; the new delivery
    names the one it replays.
    """
    ensure_admin(actor)
    original = session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    if original.status is DeliveryStatus.pending:
        raise Conflict("this delivery is still pending: the worker will try it again by itself")
    subscription = get_subscription(session=session, webhook_id=original.subscription_id)
    if not subscription.active:
        raise Conflict(f"webhook {subscription.id} is paused: set it active first")
    now = utcnow()
    replay = WebhookDelivery(
        id=new_delivery_id(),
        subscription_id=original.subscription_id,
        event_id=original.event_id,
        next_attempt_at=now,
        created_at=now,
        replay_of=original.id,
        replayed_by=actor.name,
    )
    session.add(replay)
    session.flush()
    return get_delivery(session=session, delivery_id=replay.id)


# Figures for /metrics


@dataclass(frozen=True, slots=True)
class Backlog:
    by_status: dict[DeliveryStatus, int]
    waiting: int
    oldest_waiting_at: datetime | None


def backlog(*, session: Session) -> Backlog:
    """Deliveries by status, and those of active webhooks still waiting to be sent."""
    by_status = {status: 0 for status in DeliveryStatus}
    rows = session.execute(
        sa.select(WebhookDelivery.status, sa.func.count()).group_by(WebhookDelivery.status)
    ).all()
    for status, number in rows:
        by_status[DeliveryStatus(status)] = number
    waiting, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(WebhookDelivery.created_at))
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookSubscription.active.is_(True),  # type: ignore[attr-defined]
        )
    ).one()
    return Backlog(by_status=by_status, waiting=waiting, oldest_waiting_at=oldest)
