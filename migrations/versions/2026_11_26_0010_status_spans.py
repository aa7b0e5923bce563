"""Status spans: each task's history restated in quarters, so that counting a quarter is an
index scan, and the spans counted by plan, pillar, status and range for trends. Filled from the
existing history.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.tasks import spans

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PILLAR = sa.Enum(
    "prevent", "pursue", "protect", "prepare", name="pillar", native_enum=False, length=16
)
STATUS = sa.Enum(
    "ongoing", "at_risk", "complete", "withdrawn", name="status", native_enum=False, length=16
)


def upgrade() -> None:
    op.create_table(
        "status_span",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("from_q", sa.Integer(), nullable=False),
        sa.Column("until_q", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pillar", PILLAR, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_status_span_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "from_q", name=op.f("pk_status_span")),
    )
    with op.batch_alter_table("status_span", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_span_counts",
            ["plan_id", "pillar", "status", "from_q", "until_q", "due_date"],
            unique=False,
        )
    op.create_table(
        "span_count",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pillar", PILLAR, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("from_q", sa.Integer(), nullable=False),
        sa.Column("until_q", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["delivery_plan.id"],
            name=op.f("fk_span_count_plan_id_delivery_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "pillar", "status", "from_q", "until_q", name=op.f("pk_span_count")
        ),
    )
    # Filled as this revision's tables stand (later revisions add to span_count's key).
    bind = op.get_bind()
    bind.execute(
        sa.insert(sa.table("status_span", *map(sa.column, spans.COLUMNS))).from_select(
            spans.COLUMNS, spans.spans_of()
        )
    )
    keys = ", ".join(("plan_id", "pillar", "status", "from_q", "until_q"))
    bind.execute(
        sa.text(
            f"INSERT INTO span_count ({keys}, n) SELECT {keys}, count(*) FROM status_span "
            f"GROUP BY {keys}"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("status_span", schema=None) as batch_op:
        batch_op.drop_index("ix_status_span_counts")
    op.drop_table("span_count")
    op.drop_table("status_span")
