"""The area hierarchy and grid workers.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "area",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("area_m2", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "level IN ('city', 'county', 'township', 'village', 'grid')", name="level_known"
        ),
        sa.CheckConstraint(
            "char_length(code) = CASE level WHEN 'city' THEN 6 WHEN 'county' THEN 6 "
            "WHEN 'township' THEN 9 WHEN 'village' THEN 12 WHEN 'grid' THEN 15 END",
            name="code_length_matches_level",
        ),
        sa.CheckConstraint("code ~ '^[0-9]+$'", name="code_digits"),
        sa.CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        sa.ForeignKeyConstraint(["parent_id"], ["area.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_area_level_code", "area", ["level", "code"])
    op.create_index("ix_area_parent_id", "area", ["parent_id"])
    op.create_index("idx_area_geom", "area", ["geom"], postgresql_using="gist")

    op.create_table(
        "grid_worker",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("staff_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_code"),
    )
    op.create_table(
        "grid_assignment",
        sa.Column("worker_id", sa.BigInteger(), nullable=False),
        sa.Column("grid_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["grid_worker.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grid_id"], ["area.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("worker_id", "grid_id"),
    )
    op.create_index("ix_grid_assignment_grid_id", "grid_assignment", ["grid_id"])


def downgrade() -> None:
    op.drop_table("grid_assignment")
    op.drop_table("grid_worker")
    op.drop_table("area")
