"""The audit trail of every write."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEntryRead
from app.auth.dependencies import ActorDep
from app.core.db import SessionDep
from app.core.openapi import errors, tag
from app.core.pagination import Page, PageDep
from app.core.schemas import Moment

router = APIRouter(
    tags=tag(
        "audit",
        "Who changed what and when: every write, for admins (everything) and strand leads (their "
        "strands).",
    )
)


@router.get("/audit", responses=errors(403))
def list_audit(
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    entity: Annotated[str | None, Query(max_length=64, description="A table, e.g. task.")] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    by: Annotated[str | None, Query(max_length=100, description="The actor's name.")] = None,
    since: Moment | None = None,
    until: Moment | None = None,
) -> Page[AuditEntryRead]:
    """Who changed what and when, newest first (admins: everything; leads: their strands)."""
    entries, total = service.list_entries(
        session=session,
        actor=actor,
        page=page,
        entity=entity,
        entity_id=entity_id,
        by=by,
        since=since,
        until=until,
    )
    return page.of([AuditEntryRead.model_validate(e) for e in entries], total)
