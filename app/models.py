"""Every table, imported in one place for Alembic and the tests."""

from app.auth.models import ApiToken
from app.core.idempotency import IdempotencyRecord
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks.models import StatusEvent, Task, TaskLink

__all__ = [
    "ApiToken",
    "DeliveryPlan",
    "IdempotencyRecord",
    "StatusEvent",
    "Strand",
    "Strategy",
    "Task",
    "TaskLink",
]
