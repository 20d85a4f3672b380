"""The incident category tree (grid/categories/models.py), seeded with the defaults.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from grid.categories.seed import seed_categories

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=8, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("standard", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("filing_condition", sa.Text(), nullable=False, server_default=""),
        sa.Column("closing_condition", sa.Text(), nullable=False, server_default=""),
        sa.Column("time_limits", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("sort", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("level IN ('major', 'minor')", name="level_known"),
        sa.CheckConstraint("CASE level WHEN 'major' THEN code ~ '^[A-Z][0-9]{2}$' "
                           "ELSE code ~ '^[A-Z][0-9]{4}$' END", name="code_matches_level"),
        sa.CheckConstraint("(level = 'major') = (parent_id IS NULL)",
                           name="parent_matches_level"),
        sa.CheckConstraint("(level = 'minor') = (time_limits IS NOT NULL)",
                           name="time_limits_on_minors"),
        sa.ForeignKeyConstraint(["parent_id"], ["category.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("parent_id", "name", name="uq_category_parent_id_name"),
    )
    op.create_index("ix_category_parent_id", "category", ["parent_id"])
    seed_categories(op.get_bind())


def downgrade() -> None:
    op.drop_table("category")
