"""Foundation: strategies, strands, delivery plans, tasks, status events and API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:31:21.006998
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "lead", "viewer", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("strands", sa.JSON(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("name", name=op.f("uq_api_token_name")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_token_token_digest")),
    )
    op.create_table(
        "strategy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy")),
        sa.UniqueConstraint("name", name=op.f("uq_strategy_name")),
    )
    op.create_table(
        "strand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("strategic_aims", sa.JSON(), nullable=False),
        sa.Column("partnership_forums", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_strand_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strand")),
        sa.UniqueConstraint("strategy_id", "slug", name=op.f("uq_strand_strategy_id_slug")),
    )
    with op.batch_alter_table("strand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strand_strategy_id"), ["strategy_id"], unique=False)

    op.create_table(
        "delivery_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tactical_lead", sa.String(length=200), nullable=False),
        sa.Column("operational_lead", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["strand_id"],
            ["strand.id"],
            name=op.f("fk_delivery_plan_strand_id_strand"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_plan")),
        sa.UniqueConstraint("strand_id", "name", name=op.f("uq_delivery_plan_strand_id_name")),
    )
    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_plan_strand_id"), ["strand_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sa.Integer(), nullable=False),
        sa.Column(
            "pillar",
            sa.Enum(
                "prevent",
                "pursue",
                "protect",
                "prepare",
                name="pillar",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("task_no", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_text", sa.String(length=200), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ongoing",
                "at_risk",
                "complete",
                "withdrawn",
                name="status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["delivery_plan.id"],
            name=op.f("fk_task_plan_id_delivery_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strand_id"], ["strand.id"], name=op.f("fk_task_strand_id_strand"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint(
            "plan_id", "pillar", "task_no", name=op.f("uq_task_plan_id_pillar_task_no")
        ),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index("ix_task_strand_id_status", ["strand_id", "status"], unique=False)

    op.create_table(
        "status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ongoing",
                "at_risk",
                "complete",
                "withdrawn",
                name="status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_status_event_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_event")),
    )
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_event_task_id_effective_date",
            ["task_id", "effective_date", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index("ix_status_event_task_id_effective_date")

    op.drop_table("status_event")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_strand_id_status")
        batch_op.drop_index(batch_op.f("ix_task_plan_id"))
        batch_op.drop_index(batch_op.f("ix_task_due_date"))

    op.drop_table("task")
    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_plan_strand_id"))

    op.drop_table("delivery_plan")
    with op.batch_alter_table("strand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strand_strategy_id"))

    op.drop_table("strand")
    op.drop_table("strategy")
    op.drop_table("api_token")
