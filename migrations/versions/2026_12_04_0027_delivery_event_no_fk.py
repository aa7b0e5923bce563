"""A webhook delivery keeps its event's id without a foreign key to it, as the change feed's
entries do (0026): pruning removes an event only once no delivery needs it.

PostgreSQL checks a foreign key with a plan each connection keeps. One made while
`webhook_event` was small (a new outbox) reads the whole table for every row. By hand, on a new
database, eight single deliveries and then 40,000 events and 10,000 deliveries (an import with one
subscriber) on the same connection: the deliveries' insert took 29.2 s with the key, 0.42 s
without.

Revision ID: 0027_delivery_event_no_fk
Revises: 0026_change_entry_no_fk
Create Date: 2026-12-04 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027_delivery_event_no_fk"
down_revision: str | None = "0026_change_entry_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_webhook_delivery_event_id_webhook_event"


def upgrade() -> None:
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="foreignkey")


def downgrade() -> None:
    # A delivery whose event is gone would refuse the key: it had nothing left to send.
    op.execute(
        "DELETE FROM webhook_delivery WHERE NOT EXISTS "
        "(SELECT 1 FROM webhook_event WHERE webhook_event.id = webhook_delivery.event_id)"
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_foreign_key(NAME, "webhook_event", ["event_id"], ["id"], ondelete="CASCADE")
