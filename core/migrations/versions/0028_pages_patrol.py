"""Pages: indexes the county-wide patrol tracks read.

GET /api/v1/patrols/tracks (grid/patrols/tracks.py, the supervisor map's staff layer)
asks for the patrols started on one day in the caller's territory, newest first: an index
on (started_at, id) reads that day's range backwards and stops at the limit, where the
worker index alone made a county's request visit every patrol of every worker
(tests/grid/patrols/test_tracks_index.py reads the plan).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_patrol_started_at", "patrol", ["started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_patrol_started_at", table_name="patrol")
