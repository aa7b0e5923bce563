"""The quarter's timetable: a return deadline and board date an admin has set.

Revision ID: 0017_timetable
Revises: 0019_overdue_counts
Create Date: 2026-12-01 20:23:00.654644
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_timetable"
down_revision: str | None = "0019_overdue_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarter_timetable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("return_deadline", sa.Date(), nullable=False),
        sa.Column("board_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_quarter_timetable_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarter_timetable")),
        sa.UniqueConstraint(
            "strategy_id", "quarter", name=op.f("uq_quarter_timetable_strategy_id_quarter")
        ),
    )
    with op.batch_alter_table("quarter_timetable", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarter_timetable_strategy_id"), ["strategy_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quarter_timetable", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarter_timetable_strategy_id"))

    op.drop_table("quarter_timetable")
