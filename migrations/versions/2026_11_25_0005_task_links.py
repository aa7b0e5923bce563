"""Links between tasks of a plan, read from `Linked to action (N)` in their How.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25 12:46:55.410058
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("linked_task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_task_id"],
            ["task.id"],
            name=op.f("fk_task_link_linked_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_link_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_link")),
        sa.UniqueConstraint(
            "task_id", "linked_task_id", name=op.f("uq_task_link_task_id_linked_task_id")
        ),
    )
    with op.batch_alter_table("task_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_link_linked_task_id"), ["linked_task_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_task_link_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_link_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_link_linked_task_id"))

    op.drop_table("task_link")
