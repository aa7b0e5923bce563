"""`?limit=&offset=` paging with the `{items, total, limit, offset}` body."""

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlmodel import Session

MAX_LIMIT = 500


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list; its example is made from the example of what it holds."""

    items: list[T]
    total: int = Field(description="How many match, over all pages.", examples=[1])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most 500.")] = 50,
    offset: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def count(session: Session, statement: sa.Select) -> int:
    """How many rows a select returns, counted by the database."""
    subquery = statement.order_by(None).subquery()
    return session.execute(sa.select(sa.func.count()).select_from(subquery)).scalar_one()


def fetch_page(session: Session, statement: sa.Select, params: PageParams) -> tuple[list, int]:
    rows = session.execute(statement.limit(params.limit).offset(params.offset)).scalars().all()
    return list(rows), count(session, statement)
