"""Webhook subscriptions and their delivery log (admin only)."""

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth.dependencies import ActorDep, admin_actor
from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.schemas import Id
from app.webhooks import service
from app.webhooks.models import DeliveryStatus
from app.webhooks.schemas import (
    DeliveryDetail,
    DeliveryRead,
    ReceiverState,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(
    tags=tag(
        "webhooks",
        "Subscriptions (admin) to events such as `task.status_changed`, delivered as signed POSTs "
        "with retries.",
    ),
    dependencies=[Depends(admin_actor)],
)


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(
    data: WebhookCreate, session: SessionDep, actor: ActorDep, request: Request, response: Response
) -> WebhookRead:
    """Subscribe an https URL to event types; every delivery is signed with the secret."""
    subscription = service.create_subscription(
        session=session,
        actor=actor,
        data=data,
        http_hosts=request.app.state.settings.webhook_http_hosts,
    )
    set_etag(response, service.webhook_etag(subscription))
    response.headers["Location"] = f"/api/v1/webhooks/{subscription.id}"
    return WebhookRead.model_validate(subscription)


@router.get("/webhooks")
def list_webhooks(session: SessionDep, page: PageDep) -> Page[WebhookRead]:
    """Every webhook subscription, oldest first (secrets are never shown)."""
    items, total = service.list_subscriptions(session=session, page=page)
    return page.of([WebhookRead.model_validate(s) for s in items], total)


@router.get("/webhooks/deliveries/{delivery_id}")
def get_delivery(delivery_id: uuid.UUID, session: SessionDep) -> DeliveryDetail:
    """One delivery: its log and the event's data as sent."""
    return service.get_delivery(session=session, delivery_id=str(delivery_id))


@router.post("/webhooks/deliveries/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED)
def replay_delivery(delivery_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DeliveryDetail:
    """Send a delivered or failed delivery's event again, as a new delivery."""
    return service.replay_delivery(session=session, actor=actor, delivery_id=str(delivery_id))


@router.get("/webhooks/{webhook_id:int}")
def get_webhook(webhook_id: Id, session: SessionDep, response: Response) -> WebhookRead:
    """One webhook subscription; its ETag goes in If-Match when you PATCH it."""
    subscription = service.get_subscription(session=session, webhook_id=webhook_id)
    set_etag(response, service.webhook_etag(subscription))
    return WebhookRead.model_validate(subscription)


@router.patch("/webhooks/{webhook_id:int}")
def update_webhook(
    webhook_id: Id,
    data: WebhookUpdate,
    session: SessionDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookRead:
    """Change the URL, secret, events, or pause it with `active: false` (If-Match required)."""
    subscription = service.get_subscription(session=session, webhook_id=webhook_id, for_update=True)
    subscription = service.update_subscription(
        session=session,
        actor=actor,
        subscription=subscription,
        data=data,
        if_match=if_match,
        http_hosts=request.app.state.settings.webhook_http_hosts,
    )
    set_etag(response, service.webhook_etag(subscription))
    return WebhookRead.model_validate(subscription)


@router.delete("/webhooks/{webhook_id:int}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: Id, session: SessionDep, actor: ActorDep) -> None:
    """Remove a webhook and its delivery log; deliveries not yet sent are dropped."""
    subscription = service.get_subscription(session=session, webhook_id=webhook_id, for_update=True)
    service.delete_subscription(session=session, actor=actor, subscription=subscription)


@router.get("/webhooks/{webhook_id:int}/receiver")
def get_receiver_state(webhook_id: Id, session: SessionDep) -> ReceiverState:
    """How the receiver has been answering: failed rounds since its last success, its backoff."""
    subscription = service.get_subscription(session=session, webhook_id=webhook_id)
    return service.receiver_state(session=session, subscription=subscription)


@router.get("/webhooks/{webhook_id:int}/deliveries")
def list_deliveries(
    webhook_id: Id,
    session: SessionDep,
    page: PageDep,
    status: DeliveryStatus | None = None,
) -> Page[DeliveryRead]:
    """The webhook's deliveries, newest first, with attempts, last answer and error."""
    subscription = service.get_subscription(session=session, webhook_id=webhook_id)
    items, total = service.list_deliveries(
        session=session, subscription=subscription, status=status, page=page
    )
    return page.of(items, total)
