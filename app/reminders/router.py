"""The reminder log: what was sent to whom and when, what is pending, who was skipped."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.dependencies import admin_actor
from app.core.db import SessionDep
from app.core.openapi import tag
from app.core.pagination import Page, PageDep
from app.core.schemas import Day
from app.reminders import service
from app.reminders.schemas import ReminderRead, ReminderState

router = APIRouter(
    tags=tag(
        "reminders",
        "The log of reminder digests (admin): who was reminded of what before each quarter's "
        "return deadline, and whether the mail went.",
    )
)


@router.get("/reminders", dependencies=[Depends(admin_actor)])
def list_reminders(
    session: SessionDep,
    page: PageDep,
    day: Annotated[Day | None, Query(description="Only the digests of this day.")] = None,
    state: Annotated[
        ReminderState | None, Query(description="pending, sent, failed, skipped")
    ] = None,
) -> Page[ReminderRead]:
    """Every reminder digest decided, newest day first (admin)."""
    items, total = service.list_reminders(session=session, page=page, day=day, state=state)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
