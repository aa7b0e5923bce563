"""A webhook receiver's backoff: its failed rounds since its last success, and when it may be
tried again.

Revision ID: 0025_webhook_receiver_backoff
Revises: 0024_change_feed
Create Date: 2026-12-02 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_webhook_receiver_backoff"
down_revision: str | None = "0024_change_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.alter_column("consecutive_failures", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscription", schema=None) as batch_op:
        batch_op.drop_column("backoff_until")
        batch_op.drop_column("consecutive_failures")
