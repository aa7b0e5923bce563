from datetime import datetime
from typing import Any

from app.core.schemas import Id, OutputModel


class AuditEntryRead(OutputModel):
    id: int
    at: datetime
    actor: str
    actor_token_id: int | None
    actor_person_id: int | None
    action: str
    entity: str
    entity_id: str
    strand_id: Id | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
