"""Quarter locks: a quarter's published dashboard, frozen, and the record of who locked it."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.base import UTCDateTime, utcnow

IN_FORCE = sa.text("unlocked_at IS NULL")


class QuarterLock(SQLModel, table=True):
    """One act of locking a quarter; unlocking marks the row, so the history is never lost."""

    __tablename__ = "quarter_lock"
    __table_args__ = (
        # At most one lock in force per strategy and quarter, however many came before it.
        sa.Index(
            "ix_quarter_lock_in_force",
            "strategy_id",
            "quarter",
            unique=True,
            sqlite_where=IN_FORCE,
            postgresql_where=IN_FORCE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10))
    starts_on: date
    ends_on: date
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    locked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_by: str = Field(sa_type=sa.String(100))
    unlocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unlocked_by: str | None = Field(default=None, sa_type=sa.String(100))

    @property
    def in_force(self) -> bool:
        return self.unlocked_at is None


class QuarterTimetable(SQLModel, table=True):
    """A quarter's return deadline and board date, where an admin has set them; without a row
    the deadline is the default (working days after the quarter's end) and no board date."""

    __tablename__ = "quarter_timetable"
    __table_args__ = (sa.UniqueConstraint("strategy_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    quarter: str = Field(sa_type=sa.String(10))
    return_deadline: date
    board_date: date | None = Field(default=None)
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(sa_type=sa.String(100))


class Publication(SQLModel, table=True):
    """One published version of a document (a quarter's board paper, a quarterly update).

    `kind` says which document and `key` which of them (`1/2020-21-Q2`: the strategy and the
    quarter); `data` is what it was rendered from, its files are kept byte for byte beside it.
    A version after the first is a restatement, with its reason and what changed.
    """

    __tablename__ = "publication"
    __table_args__ = (sa.UniqueConstraint("kind", "key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=sa.String(40))
    key: str = Field(sa_type=sa.String(100))
    version: int
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    reason: str = Field(default="", sa_type=sa.Text)
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(sa_type=sa.String(100))


class PublicationFile(SQLModel, table=True):
    """One format of a published version: its bytes and their SHA-256, never changed."""

    __tablename__ = "publication_file"
    __table_args__ = (sa.UniqueConstraint("publication_id", "format"),)
    # The publication's own entry records the digests; the bytes are no audit's business.
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    publication_id: int = Field(foreign_key="publication.id", index=True, ondelete="CASCADE")
    format: str = Field(sa_type=sa.String(10))
    media_type: str = Field(sa_type=sa.String(100))
    filename: str = Field(sa_type=sa.String(200))
    sha256: str = Field(sa_type=sa.String(64))
    size: int
    content: bytes = Field(sa_type=sa.LargeBinary)


class Restatement(SQLModel, table=True):
    """An admin's reopening of a published document, with the reason its next version gives."""

    __tablename__ = "restatement"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=sa.String(40))
    key: str = Field(sa_type=sa.String(100), index=True)
    reason: str = Field(sa_type=sa.Text)
    of_version: int
    """The version it corrects."""
    restated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    restated_by: str = Field(sa_type=sa.String(100))
    published_version: int | None = None
    """The version that published the correction; None while it is awaited."""
