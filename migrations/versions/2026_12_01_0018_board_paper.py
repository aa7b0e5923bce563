"""Board papers, the published versions of documents with their files, restatements, and
plans' live dates.

Revision ID: 0018_board_paper
Revises: 0023_access_contributors
Create Date: 2026-12-01 20:25:04.985216
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_board_paper"
down_revision: str | None = "0023_access_contributors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("kind", "key", "version", name=op.f("uq_publication_kind_key_version")),
    )
    op.create_table(
        "restatement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("of_version", sa.Integer(), nullable=False),
        sa.Column("restated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restated_by", sa.String(length=100), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restatement")),
    )
    with op.batch_alter_table("restatement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restatement_key"), ["key"], unique=False)

    op.create_table(
        "board_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_board_paper_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_paper")),
        sa.UniqueConstraint(
            "strategy_id", "quarter", name=op.f("uq_board_paper_strategy_id_quarter")
        ),
    )
    with op.batch_alter_table("board_paper", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_paper_strategy_id"), ["strategy_id"], unique=False
        )

    op.create_table(
        "publication_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publication.id"],
            name=op.f("fk_publication_file_publication_id_publication"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_file")),
        sa.UniqueConstraint(
            "publication_id", "format", name=op.f("uq_publication_file_publication_id_format")
        ),
    )
    with op.batch_alter_table("publication_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_file_publication_id"), ["publication_id"], unique=False
        )

    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_plan", schema=None) as batch_op:
        batch_op.drop_column("ends_on")
        batch_op.drop_column("starts_on")

    with op.batch_alter_table("publication_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_file_publication_id"))

    op.drop_table("publication_file")
    with op.batch_alter_table("board_paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_paper_strategy_id"))

    op.drop_table("board_paper")
    with op.batch_alter_table("restatement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restatement_key"))

    op.drop_table("restatement")
    op.drop_table("publication")
