"""The spans counted as steps: `span_step` keeps, by plan, pillar, status and overdue, how many
more tasks stand in each from a quarter on than at the quarter before, in place of `span_count`'s
count of each quarter range. A quarter's count is the sum of the steps up to it: a dashboard reads
a row per quarter of history rather than per range, and a trend reads the same rows once.
Each direction fills the table it makes from the spans, as `tracker rebuild-spans` would.

Revision ID: 0028_span_steps
Revises: 0027_delivery_event_no_fk
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.tasks import spans

revision: str = "0028_span_steps"
down_revision: str | None = "0027_delivery_event_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PILLAR = sa.Enum(
    "prevent", "pursue", "protect", "prepare", name="pillar", native_enum=False, length=16
)
STATUS = sa.Enum(
    "ongoing", "at_risk", "complete", "withdrawn", name="status", native_enum=False, length=16
)
KEY = ("plan_id", "pillar", "status", "overdue")


def _table(name: str, quarters: Sequence[str]) -> None:
    op.create_table(
        name,
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pillar", PILLAR, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=False) for column in quarters),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["delivery_plan.id"],
            name=op.f(f"fk_{name}_plan_id_delivery_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*KEY, *quarters, name=op.f(f"pk_{name}")),
    )


SPAN = sa.table("status_span", *map(sa.column, spans.COLUMNS))


def upgrade() -> None:
    _table("span_step", ["q"])
    op.get_bind().execute(
        sa.insert(sa.table("span_step", *map(sa.column, (*spans.STEP_KEYS, "n")))).from_select(
            [*spans.STEP_KEYS, "n"], spans.steps_of_spans(SPAN)
        )
    )
    op.drop_table("span_count")


def downgrade() -> None:
    _table("span_count", ["from_q", "until_q"])
    rows = sa.union_all(*spans.counted(SPAN, 1)).subquery("counted")
    keys = [rows.c[k] for k in spans.KEYS]
    op.get_bind().execute(
        sa.insert(sa.table("span_count", *map(sa.column, (*spans.KEYS, "n")))).from_select(
            [*spans.KEYS, "n"], sa.select(*keys, sa.func.count()).group_by(*keys)
        )
    )
    op.drop_table("span_step")
