from datetime import datetime
from typing import Any

from app.core.schemas import Id, OutputModel, example


class AuditEntryRead(OutputModel):
    model_config = example(
        {
            "id": 1203,
            "at": "2020-09-14T10:32:05Z",
            "actor": "DA lead",
            "actor_token_id": 5,
            "actor_person_id": None,
            "action": "update",
            "entity": "task",
            "entity_id": "17",
            "strand_id": 1,
            "before": {"owner": "DA Officer"},
            "after": {"owner": "DA Coordinator"},
        }
    )
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
