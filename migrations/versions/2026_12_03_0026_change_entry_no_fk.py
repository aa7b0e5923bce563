"""The change feed's entries keep their event's id without a foreign key to it: the pruning that
removes old events removes their entries first.

PostgreSQL checks a foreign key with a plan of its own that each connection keeps. One made while
`webhook_event` was small reads the whole table for every entry, and stays until the table is
analysed again: an import's 10,000 entries, written after a burst of writes, took one connection
past the 20-second statement timeout that way.

Revision ID: 0026_change_entry_no_fk
Revises: 0025_webhook_receiver_backoff
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026_change_entry_no_fk"
down_revision: str | None = "0025_webhook_receiver_backoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_change_entry_event_id_webhook_event"


def upgrade() -> None:
    with op.batch_alter_table("change_entry", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")


def downgrade() -> None:
    # An entry whose event is gone would refuse the key: it had no event to show anyway.
    op.execute(
        "DELETE FROM change_entry WHERE NOT EXISTS "
        "(SELECT 1 FROM webhook_event WHERE webhook_event.id = change_entry.event_id)"
    )
    with op.batch_alter_table("change_entry", schema=None) as batch_op:
        batch_op.create_foreign_key(NAME, "webhook_event", ["event_id"], ["id"], ondelete="CASCADE")
