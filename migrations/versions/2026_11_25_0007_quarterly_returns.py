"""Quarterly returns: each strand's narrative per quarter, with every saved revision.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-25 12:43:25.407639
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarterly_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("insight", sa.Text(), nullable=False),
        sa.Column("delivery_achieved", sa.Text(), nullable=False),
        sa.Column("delivery_scheduled", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", name="returnstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["strand_id"],
            ["strand.id"],
            name=op.f("fk_quarterly_return_strand_id_strand"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarterly_return")),
        sa.UniqueConstraint(
            "strand_id", "quarter", name=op.f("uq_quarterly_return_strand_id_quarter")
        ),
    )
    with op.batch_alter_table("quarterly_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarterly_return_quarter"), ["quarter"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quarterly_return_strand_id"), ["strand_id"], unique=False
        )

    op.create_table(
        "return_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", name="returnstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("insight", sa.Text(), nullable=False),
        sa.Column("delivery_achieved", sa.Text(), nullable=False),
        sa.Column("delivery_scheduled", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["quarterly_return.id"],
            name=op.f("fk_return_revision_return_id_quarterly_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_revision")),
    )
    with op.batch_alter_table("return_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_revision_return_id"), ["return_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("return_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_revision_return_id"))

    op.drop_table("return_revision")
    with op.batch_alter_table("quarterly_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarterly_return_strand_id"))
        batch_op.drop_index(batch_op.f("ix_quarterly_return_quarter"))

    op.drop_table("quarterly_return")
