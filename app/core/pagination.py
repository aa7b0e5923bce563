"""`?limit=&offset=` paging with the `{items, total, limit, offset}` body."""

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.datastructures import URL

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
    url: URL | None = None
    response: Response | None = None

    def of(self, items: list[T], total: int) -> "Page[T]":
        """The page's body, with `Link` headers to the first, previous, next and last pages."""
        if self.url is not None and self.response is not None:
            self.response.headers["Link"] = link_header(self.url, self.limit, self.offset, total)
        return Page(items=items, total=total, limit=self.limit, offset=self.offset)


def link_header(url: URL, limit: int, offset: int, total: int) -> str:
    """RFC 8288 links beside a page's body; the other query parameters are kept as sent."""
    kept = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "offset"]
    kept = [(k, v) for k, v in kept if k != "limit"]

    def at(start: int) -> str:
        query = urlencode([*kept, ("limit", str(limit)), ("offset", str(start))])
        return f"<{url.path}?{query}>"

    last = max(0, (total - 1) // limit * limit)
    links = [f'{at(0)}; rel="first"']
    if offset > 0:
        links.append(f'{at(max(0, min(offset - limit, last)))}; rel="prev"')
    if offset + limit < total:
        links.append(f'{at(offset + limit)}; rel="next"')
    links.append(f'{at(last)}; rel="last"')
    return ", ".join(links)


async def page_params(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most 500.")] = 50,
    offset: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, url=request.url, response=response)


PageDep = Annotated[PageParams, Depends(page_params)]


def count(session: Session, statement: sa.Select) -> int:
    """How many rows a select returns, counted by the database."""
    subquery = statement.order_by(None).subquery()
    return session.execute(sa.select(sa.func.count()).select_from(subquery)).scalar_one()


def fetch_page(session: Session, statement: sa.Select, params: PageParams) -> tuple[list, int]:
    rows = session.execute(statement.limit(params.limit).offset(params.offset)).scalars().all()
    return list(rows), count(session, statement)
