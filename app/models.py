"""Every table, imported in one place for Alembic and the tests."""

from app.audit.models import AuditEntry
from app.auth.models import ApiToken
from app.changes.models import ChangeEntry
from app.core.idempotency import IdempotencyRecord
from app.mail.models import MailMessage
from app.papers.models import BoardPaper
from app.pcp.models import (
    PcpCommentary,
    PcpCommitment,
    PcpContributor,
    PcpPlan,
    PcpPriority,
    PcpSubmission,
    PcpUpdate,
    StrandPriorityLink,
)
from app.people.models import AccessRule, Person, PersonAlias, SignInAttempt, WebSession
from app.periods.models import (
    Publication,
    PublicationFile,
    QuarterLock,
    QuarterTimetable,
    Restatement,
)
from app.reminders.models import Reminder
from app.returns.models import QuarterlyReturn, ReturnRevision
from app.risks.models import Risk, RiskEvent
from app.strategies.models import DeliveryPlan, Strand, Strategy
from app.tasks.models import SpanStep, StatusEvent, StatusSpan, Task, TaskComment, TaskLink
from app.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "AccessRule",
    "ApiToken",
    "AuditEntry",
    "BoardPaper",
    "ChangeEntry",
    "DeliveryPlan",
    "IdempotencyRecord",
    "MailMessage",
    "PcpCommentary",
    "PcpCommitment",
    "PcpContributor",
    "PcpPlan",
    "PcpPriority",
    "PcpSubmission",
    "PcpUpdate",
    "Person",
    "PersonAlias",
    "Publication",
    "PublicationFile",
    "QuarterLock",
    "QuarterTimetable",
    "QuarterlyReturn",
    "Reminder",
    "Restatement",
    "ReturnRevision",
    "Risk",
    "RiskEvent",
    "SignInAttempt",
    "SpanStep",
    "StatusEvent",
    "StatusSpan",
    "Strand",
    "StrandPriorityLink",
    "Strategy",
    "Task",
    "TaskComment",
    "TaskLink",
    "WebSession",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
