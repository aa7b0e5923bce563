"""Quarter locks: each locking of a quarter, its frozen figures, and its unlocking.

Revision ID: 0003
Revises: 0006
Create Date: 2026-11-25 12:56:16.631400
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarter_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=100), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_quarter_lock_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarter_lock")),
    )
    with op.batch_alter_table("quarter_lock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quarter_lock_in_force",
            ["strategy_id", "quarter"],
            unique=True,
            sqlite_where=sa.text("unlocked_at IS NULL"),
            postgresql_where=sa.text("unlocked_at IS NULL"),
        )
        batch_op.create_index(
            batch_op.f("ix_quarter_lock_strategy_id"), ["strategy_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quarter_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarter_lock_strategy_id"))
        batch_op.drop_index("ix_quarter_lock_in_force")

    op.drop_table("quarter_lock")
