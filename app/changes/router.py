"""The change feed, for intranets that cannot receive webhooks."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.changes import service
from app.changes.schemas import ChangeRead, ChangesRead
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.query import any_of, values
from app.webhooks.models import EventType

router = APIRouter(
    tags=tag(
        "changes",
        "Everything that changed, in the order it was committed, from a cursor: the events "
        "webhooks deliver, for an intranet that polls instead.",
    )
)


@router.get("/changes")
def list_changes(
    session: SessionDep,
    after: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The `cursor` of your last answer; none to start from the beginning.",
            examples=["1042"],
            json_schema_extra={"pattern": r"^[0-9]{0,18}$"},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT, description="At most 1000.")] = 100,
    type: Annotated[list[EventType] | None, any_of("An event type.")] = None,
) -> ChangesRead:
    """What changed after the cursor, oldest first; resume from the `cursor` it gives back."""
    cursor = service.parse_cursor(after)
    rows, has_more = service.changes_after(
        session=session, after=cursor, limit=limit, types=values(type)
    )
    items = [
        ChangeRead(
            cursor=str(entry_id),
            event_id=found.id,
            type=found.type,
            occurred_at=found.occurred_at,
            data=found.data,
        )
        for entry_id, found in rows
    ]
    return ChangesRead(
        items=items, cursor=items[-1].cursor if items else str(cursor), has_more=has_more
    )
