from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from app.core.schemas import Flag, Id, InputModel, OutputModel, text
from app.webhooks.models import DeliveryStatus, EventType

MIN_SECRET_LENGTH = 16


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        raise ValueError(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("only http:// and https:// URLs can receive webhooks")
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry a user or password: the secret signs deliveries")
    if parts.fragment or any(c.isspace() for c in value):
        raise ValueError("the URL must not contain spaces or a #fragment")
    return value


def _distinct(events: list[EventType]) -> list[EventType]:
    return sorted(set(events), key=list(EventType).index)


Url = Annotated[
    text(2_000, 1),
    AfterValidator(_http_url),
    Field(examples=["https://intranet.example.org/hooks/4p"]),
]
Secret = Annotated[
    text(200, MIN_SECRET_LENGTH),
    Field(description="Signs every delivery (HMAC-SHA256); never shown again."),
]
Events = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(EventType)),
    AfterValidator(_distinct),
]


class WebhookCreate(InputModel):
    url: Url
    secret: Secret
    events: Events
    active: Flag = True


class WebhookUpdate(InputModel):
    url: Url | None = None
    secret: Secret | None = None
    events: Events | None = None
    active: Flag | None = None


class WebhookRead(OutputModel):
    id: int
    url: str
    events: list[EventType]
    active: bool
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class DeliveryRead(OutputModel):
    id: str = Field(description="Sent as X-Tracker-Delivery; the same on every retry.")
    webhook_id: Id
    event_id: Id
    type: EventType
    occurred_at: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime
    replay_of: str | None
    replayed_by: str


class DeliveryDetail(DeliveryRead):
    data: dict[str, Any] = Field(description="The event's data, as sent.")
