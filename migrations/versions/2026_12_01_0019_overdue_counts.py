"""Overdue counted ahead: `span_count` also counts each open span over the quarters in which its
task is overdue (`overdue` joins the key), and the spans get an index by due date for the running
quarter. Filled from the spans.

Revision ID: 0019_overdue_counts
Revises: 0017_mail_outbox
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.tasks import spans

revision: str = "0019_overdue_counts"
down_revision: str | None = "0017_mail_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PILLAR = sa.Enum(
    "prevent", "pursue", "protect", "prepare", name="pillar", native_enum=False, length=16
)
STATUS = sa.Enum(
    "ongoing", "at_risk", "complete", "withdrawn", name="status", native_enum=False, length=16
)
OLD_KEYS = ("plan_id", "pillar", "status", "from_q", "until_q")


def _span_count(overdue: bool) -> None:
    columns = [
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pillar", PILLAR, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        *([sa.Column("overdue", sa.Boolean(), nullable=False)] if overdue else []),
        sa.Column("from_q", sa.Integer(), nullable=False),
        sa.Column("until_q", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    ]
    keys = spans.KEYS if overdue else OLD_KEYS
    op.create_table(
        "span_count",
        *columns,
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["delivery_plan.id"],
            name=op.f("fk_span_count_plan_id_delivery_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_span_count")),
    )


def upgrade() -> None:
    op.drop_table("span_count")
    _span_count(overdue=True)
    span = sa.table("status_span", *map(sa.column, spans.COLUMNS))
    rows = sa.union_all(*spans.counted(span, 1)).subquery("counted")
    keys = [rows.c[k] for k in spans.KEYS]
    op.get_bind().execute(
        sa.insert(sa.table("span_count", *map(sa.column, (*spans.KEYS, "n")))).from_select(
            [*spans.KEYS, "n"], sa.select(*keys, sa.func.count()).group_by(*keys)
        )
    )
    with op.batch_alter_table("status_span", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_span_due",
            ["due_date", "status", "from_q", "until_q", "plan_id", "pillar"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("status_span", schema=None) as batch_op:
        batch_op.drop_index("ix_status_span_due")
    op.drop_table("span_count")
    _span_count(overdue=False)
    keys = ", ".join(OLD_KEYS)
    op.execute(
        f"INSERT INTO span_count ({keys}, n) SELECT {keys}, count(*) FROM status_span "
        f"GROUP BY {keys}"
    )
