import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class ChangeEntry(SQLModel, table=True):
    """One outbox event's place in the change feed: ids follow the order of commits.

    An entry is written at the very end of its transaction, its id taken under a lock held until
    the commit (PostgreSQL; SQLite has one writer at a time anyway), so that a reader who has seen
    entry N can never later find a committed entry below N.
    """

    __tablename__ = "change_entry"
    # The outbox's events are the record; the audit trail keeps the changes themselves.
    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    # The event's id, with no foreign key: PostgreSQL's check of one, by a plan each connection
    # keeps, could read every event for each entry once made while the outbox was small. The
    # outbox's pruning removes an event's entry with it (`WebhookWorker.prune`).
    event_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, unique=True))
