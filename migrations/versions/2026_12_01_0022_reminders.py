"""The reminder log: one row per person and day, queued as mail or skipped.

Revision ID: 0017_reminders
Revises: 0018_pcp
Create Date: 2026-12-01 20:31:57.385093
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_reminders"
down_revision: str | None = "0018_pcp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("return_deadline", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "skipped", name="reminderstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("mail_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_message_id"],
            ["mail_message.id"],
            name=op.f("fk_reminder_mail_message_id_mail_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_reminder_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_reminder_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_reminder_person_id_day")),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminder_mail_message_id"), ["mail_message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reminder_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_strategy_id"), ["strategy_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_strategy_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_person_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_mail_message_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_day"))

    op.drop_table("reminder")
