"""Risk register: risks with refs unique per strategy, 5T responses, scores, and their history.

Revision ID: 0004
Revises: 0008
Create Date: 2026-11-25 12:47:45.215660
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=8), nullable=False),
        sa.Column("ref_prefix", sa.String(length=3), nullable=False),
        sa.Column("ref_number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column(
            "response",
            sa.Enum(
                "treat",
                "tolerate",
                "transfer",
                "terminate",
                "take",
                name="response",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("inherent_likelihood", sa.Integer(), nullable=True),
        sa.Column("inherent_impact", sa.Integer(), nullable=True),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("target_likelihood", sa.Integer(), nullable=True),
        sa.Column("target_impact", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="riskstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)",
            name=op.f("ck_risk_closed_on_when_closed"),
        ),
        sa.CheckConstraint(
            "(inherent_likelihood IS NULL) = (inherent_impact IS NULL)",
            name=op.f("ck_risk_inherent_pair"),
        ),
        sa.CheckConstraint(
            "(likelihood IS NULL) = (impact IS NULL)", name=op.f("ck_risk_residual_pair")
        ),
        sa.CheckConstraint(
            "(target_likelihood IS NULL) = (target_impact IS NULL)",
            name=op.f("ck_risk_target_pair"),
        ),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name=op.f("ck_risk_impact_level")),
        sa.CheckConstraint(
            "inherent_impact BETWEEN 1 AND 5", name=op.f("ck_risk_inherent_impact_level")
        ),
        sa.CheckConstraint(
            "inherent_likelihood BETWEEN 1 AND 5", name=op.f("ck_risk_inherent_likelihood_level")
        ),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name=op.f("ck_risk_likelihood_level")),
        sa.CheckConstraint(
            "target_impact BETWEEN 1 AND 5", name=op.f("ck_risk_target_impact_level")
        ),
        sa.CheckConstraint(
            "target_likelihood BETWEEN 1 AND 5", name=op.f("ck_risk_target_likelihood_level")
        ),
        sa.ForeignKeyConstraint(
            ["strand_id"], ["strand.id"], name=op.f("fk_risk_strand_id_strand"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_risk_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_risk_task_id_task"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
        sa.UniqueConstraint("strategy_id", "ref", name=op.f("uq_risk_strategy_id_ref")),
    )
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_strand_id"), ["strand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_task_id"), ["task_id"], unique=False)

    op.create_table(
        "risk_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "created",
                "updated",
                "closed",
                "reopened",
                name="riskaction",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["risk_id"], ["risk.id"], name=op.f("fk_risk_event_risk_id_risk"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_event")),
    )
    with op.batch_alter_table("risk_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_event_risk_id"), ["risk_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_event_risk_id"))

    op.drop_table("risk_event")
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_task_id"))
        batch_op.drop_index(batch_op.f("ix_risk_strand_id"))

    op.drop_table("risk")
