"""Task comments: notes on a task without a change of status.

Revision ID: 0016_task_comments
Revises: 0010
Create Date: 2026-12-01 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_task_comments"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_comment_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comment")),
    )
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_comment_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_comment_task_id"))
    op.drop_table("task_comment")
