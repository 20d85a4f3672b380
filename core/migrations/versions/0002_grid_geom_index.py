"""A GiST index of the grids alone, for locate.

With one index over every level, a point's bounding box also hits the grid's four
ancestors, each then tested exactly; the partial index sees grids only (bench/README.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_area_grid_geom ON area USING gist (geom) WHERE level = 'grid'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_area_grid_geom")
