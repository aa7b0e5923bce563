"""The audit trail: every change to a record, who made it, when, and the fields before/after."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_entity_entity_id", "entity", "entity_id"),
        sa.Index("ix_audit_entry_strand_id_at", "strand_id", "at"),
    )
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_token_id: int | None = Field(default=None)
    actor_person_id: int | None = Field(default=None)
    actor: str = Field(sa_type=sa.String(100), index=True)
    action: str = Field(sa_type=sa.String(32))
    entity: str = Field(sa_type=sa.String(64))
    entity_id: str = Field(sa_type=sa.String(64))
    # The strand the record belongs to, so that a lead can read the trail of their strands.
    strand_id: int | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
