"""Every table, imported in one place for Alembic and the tests."""

from app.auth.models import ApiToken
from app.core.idempotency import IdempotencyRecord
from app.dashboard.models import QuarterLock
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks.models import StatusEvent, Task

__all__ = [
    "ApiToken",
    "DeliveryPlan",
    "IdempotencyRecord",
    "QuarterLock",
    "StatusEvent",
    "Strand",
    "Strategy",
    "Task",
]
