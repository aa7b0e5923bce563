"""A quarter's board paper: the author's sections, kept as Markdown."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow


class BoardPaper(SQLModel, table=True):
    __tablename__ = "board_paper"
    __table_args__ = (sa.UniqueConstraint("strategy_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10))
    sections: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    """`[{key, title, body, subsections: [{title, body}]}]`, in the paper's order."""
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", sa_type=sa.String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", sa_type=sa.String(100))
