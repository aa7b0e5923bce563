"""The change feed: each outbox event's place in the order of commits (the events already written
enter it first); status events indexed by when they were recorded, for `updated_since`.

Revision ID: 0024_change_feed
Revises: 0018_board_paper
Create Date: 2026-12-01 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_change_feed"
down_revision: str | None = "0018_board_paper"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_event.id"],
            name=op.f("fk_change_entry_event_id_webhook_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_entry")),
        sa.UniqueConstraint("event_id", name=op.f("uq_change_entry_event_id")),
    )
    # The events written before the feed existed enter it first, in the order of their ids.
    op.execute("INSERT INTO change_entry (event_id) SELECT id FROM webhook_event ORDER BY id")
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index("ix_status_event_recorded_at", ["recorded_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index("ix_status_event_recorded_at")
    op.drop_table("change_entry")
