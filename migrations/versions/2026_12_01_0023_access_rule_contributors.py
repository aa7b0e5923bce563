"""Access rules name the Police and Crime Plan contributors a lead writes commentary for, as
tokens do.

Revision ID: 0023_access_contributors
Revises: 0017_reminders
Create Date: 2026-12-01 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_access_contributors"
down_revision: str | None = "0017_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_rule", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contributors", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("access_rule", schema=None) as batch_op:
        batch_op.drop_column("contributors")
