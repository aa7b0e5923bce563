"""The Police and Crime Plan: priorities, commitments, contributors, commentary, submissions,
the quarterly update's title block, strand links, and the contributors a token writes for.

Revision ID: 0018_pcp
Revises: 0021_clean_stored_text
Create Date: 2026-12-01 20:14:09.812768
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_pcp"
down_revision: str | None = "0021_clean_stored_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pcp_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "layout",
            sa.Enum("headings", "table", name="layout", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_pcp_plan_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_pcp_plan_slug")),
    )
    op.create_table(
        "pcp_contributor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("area", "unit", "force", name="contributorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_contributor_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_contributor")),
        sa.UniqueConstraint("plan_id", "slug", name=op.f("uq_pcp_contributor_plan_id_slug")),
    )
    with op.batch_alter_table("pcp_contributor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pcp_contributor_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pcp_priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_priority_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_priority")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_pcp_priority_plan_id_number")),
    )
    with op.batch_alter_table("pcp_priority", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pcp_priority_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pcp_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("version_label", sa.String(length=50), nullable=False),
        sa.Column("produced", sa.String(length=100), nullable=False),
        sa.Column("data_to", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("document_owner", sa.String(length=200), nullable=False),
        sa.Column("sensitivity", sa.String(length=100), nullable=False),
        sa.Column(
            "layout",
            sa.Enum("headings", "table", name="layout", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_update_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_update")),
        sa.UniqueConstraint("plan_id", "quarter", name=op.f("uq_pcp_update_plan_id_quarter")),
    )
    with op.batch_alter_table("pcp_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pcp_update_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pcp_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lead_in", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_commitment_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["priority_id"],
            ["pcp_priority.id"],
            name=op.f("fk_pcp_commitment_priority_id_pcp_priority"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_commitment")),
        sa.UniqueConstraint(
            "priority_id", "position", name=op.f("uq_pcp_commitment_priority_id_position")
        ),
    )
    with op.batch_alter_table("pcp_commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pcp_commitment_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pcp_commitment_priority_id"), ["priority_id"], unique=False
        )

    op.create_table(
        "pcp_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["pcp_contributor.id"],
            name=op.f("fk_pcp_submission_contributor_id_pcp_contributor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_submission_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_submission")),
        sa.UniqueConstraint(
            "contributor_id", "quarter", name=op.f("uq_pcp_submission_contributor_id_quarter")
        ),
    )
    with op.batch_alter_table("pcp_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pcp_submission_contributor_id"), ["contributor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pcp_submission_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pcp_submission_quarter"), ["quarter"], unique=False)

    op.create_table(
        "strand_priority_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strand_id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["priority_id"],
            ["pcp_priority.id"],
            name=op.f("fk_strand_priority_link_priority_id_pcp_priority"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strand_id"],
            ["strand.id"],
            name=op.f("fk_strand_priority_link_strand_id_strand"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strand_priority_link")),
        sa.UniqueConstraint(
            "strand_id", "priority_id", name=op.f("uq_strand_priority_link_strand_id_priority_id")
        ),
    )
    with op.batch_alter_table("strand_priority_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_strand_priority_link_priority_id"), ["priority_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_strand_priority_link_strand_id"), ["strand_id"], unique=False
        )

    op.create_table(
        "pcp_commentary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("joint_with", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["pcp_commitment.id"],
            name=op.f("fk_pcp_commentary_commitment_id_pcp_commitment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contributor_id"],
            ["pcp_contributor.id"],
            name=op.f("fk_pcp_commentary_contributor_id_pcp_contributor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["pcp_plan.id"],
            name=op.f("fk_pcp_commentary_plan_id_pcp_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pcp_commentary")),
        sa.UniqueConstraint(
            "commitment_id",
            "contributor_id",
            "quarter",
            name=op.f("uq_pcp_commentary_commitment_id_contributor_id_quarter"),
        ),
    )
    with op.batch_alter_table("pcp_commentary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pcp_commentary_commitment_id"), ["commitment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pcp_commentary_contributor_id"), ["contributor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pcp_commentary_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pcp_commentary_quarter"), ["quarter"], unique=False)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contributors", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("contributors")

    with op.batch_alter_table("pcp_commentary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_commentary_quarter"))
        batch_op.drop_index(batch_op.f("ix_pcp_commentary_plan_id"))
        batch_op.drop_index(batch_op.f("ix_pcp_commentary_contributor_id"))
        batch_op.drop_index(batch_op.f("ix_pcp_commentary_commitment_id"))

    op.drop_table("pcp_commentary")
    with op.batch_alter_table("strand_priority_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strand_priority_link_strand_id"))
        batch_op.drop_index(batch_op.f("ix_strand_priority_link_priority_id"))

    op.drop_table("strand_priority_link")
    with op.batch_alter_table("pcp_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_submission_quarter"))
        batch_op.drop_index(batch_op.f("ix_pcp_submission_plan_id"))
        batch_op.drop_index(batch_op.f("ix_pcp_submission_contributor_id"))

    op.drop_table("pcp_submission")
    with op.batch_alter_table("pcp_commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_commitment_priority_id"))
        batch_op.drop_index(batch_op.f("ix_pcp_commitment_plan_id"))

    op.drop_table("pcp_commitment")
    with op.batch_alter_table("pcp_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_update_plan_id"))

    op.drop_table("pcp_update")
    with op.batch_alter_table("pcp_priority", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_priority_plan_id"))

    op.drop_table("pcp_priority")
    with op.batch_alter_table("pcp_contributor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pcp_contributor_plan_id"))

    op.drop_table("pcp_contributor")
    op.drop_table("pcp_plan")
