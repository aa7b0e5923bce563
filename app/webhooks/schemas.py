from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from app.core.schemas import Flag, Id, InputModel, OutputModel, example, text
from app.webhooks.models import DeliveryStatus, EventType

MIN_SECRET_LENGTH = 16
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]://[^\s/?#@:\[\]\\%]+(:[1-9][0-9]{0,3})?([/?][^\s#]*)?$"


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
    Field(
        examples=["https://intranet.example.org/hooks/4p"],
        # https, as the API requires unless a setting allows the host plain http.
        json_schema_extra={"pattern": URL_PATTERN},
    ),
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
    model_config = example(
        {
            "url": "https://intranet.example.org/hooks/tracker",
            "secret": "a-long-random-shared-secret",
            "events": ["task.status_changed"],
            "active": True,
        }
    )
    url: Url
    secret: Secret
    events: Events
    active: Flag = True


class WebhookUpdate(InputModel):
    model_config = example({"active": False})
    url: Url | None = None
    secret: Secret | None = None
    events: Events | None = None
    active: Flag | None = None


class WebhookRead(OutputModel):
    model_config = example(
        {
            "id": 2,
            "url": "https://intranet.example.org/hooks/tracker",
            "events": ["task.status_changed"],
            "active": True,
            "version": 1,
            "created_at": "2020-09-14T10:32:05Z",
            "created_by": "admin",
            "updated_at": "2020-09-14T10:32:05Z",
            "updated_by": "admin",
        }
    )
    id: int
    url: str
    events: list[EventType]
    active: bool
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class ReceiverState(OutputModel):
    model_config = example(
        {
            "webhook_id": 2,
            "consecutive_failures": 3,
            "backoff_until": "2020-09-14T10:36:05Z",
            "waiting": 41,
        }
    )
    webhook_id: Id
    consecutive_failures: int = Field(
        description="Rounds of failed attempts since the receiver last answered with a 2xx."
    )
    backoff_until: datetime | None = Field(
        description="Nothing is sent to it before then (the backoff doubles with each round)."
    )
    waiting: int = Field(description="Its deliveries not yet sent.")


class DeliveryRead(OutputModel):
    model_config = example(
        {
            "id": "6f1d2c9a-0b8e-4c55-9a77-1b2c3d4e5f60",
            "webhook_id": 2,
            "event_id": 88,
            "type": "task.status_changed",
            "occurred_at": "2020-09-14T10:32:05Z",
            "status": "delivered",
            "attempts": 1,
            "next_attempt_at": None,
            "last_attempt_at": "2020-09-14T10:32:06Z",
            "last_status_code": 204,
            "last_error": "",
            "delivered_at": "2020-09-14T10:32:06Z",
            "created_at": "2020-09-14T10:32:05Z",
            "replay_of": None,
            "replayed_by": "",
        }
    )
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
    model_config = example(
        {
            "id": "6f1d2c9a-0b8e-4c55-9a77-1b2c3d4e5f60",
            "webhook_id": 2,
            "event_id": 88,
            "type": "task.status_changed",
            "occurred_at": "2020-09-14T10:32:05Z",
            "status": "delivered",
            "attempts": 1,
            "next_attempt_at": None,
            "last_attempt_at": "2020-09-14T10:32:06Z",
            "last_status_code": 204,
            "last_error": "",
            "delivered_at": "2020-09-14T10:32:06Z",
            "created_at": "2020-09-14T10:32:05Z",
            "replay_of": None,
            "replayed_by": "",
            "data": {"task_id": 17, "status": "at_risk", "effective_date": "2020-09-14"},
        }
    )
    data: dict[str, Any] = Field(description="The event's data, as sent.")
