"""KPI indexes: the territory index covers the KPI columns; one by handling unit.

The KPIs of an area read its incidents by grid-code range and `reported_at < until`
(grid/kpis/service.py). With the instants and flags the figures need in the index, the
scan is index-only: contiguous index pages instead of ~7,000 heap pages scattered over
the table (bench/README.md, `kpis.py`: a township's year over 1,000,000 incidents, p95
78 → 21 ms for the statement). A department's KPIs get the same by handling unit, the
caller's territory (a grid-code range) as the second key.

Index-only scans need the visibility map: autovacuum keeps it for the finished incidents,
which are most of them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KPI_COLUMNS = ["filed_at", "handled_at", "verified_at", "closed_at", "ever_overdue",
               "rework_count", "verified_on_time"]


def upgrade() -> None:
    op.drop_index("ix_incident_grid_code_reported", table_name="incident")
    op.create_index("ix_incident_grid_code_reported", "incident", ["grid_code", "reported_at"],
                    postgresql_include=KPI_COLUMNS)
    op.create_index("ix_incident_handler_unit_kpis", "incident", ["handler_unit", "grid_code"],
                    postgresql_include=["reported_at", *KPI_COLUMNS],
                    postgresql_where=sa.text("handler_unit IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_incident_handler_unit_kpis", table_name="incident")
    op.drop_index("ix_incident_grid_code_reported", table_name="incident")
    op.create_index("ix_incident_grid_code_reported", "incident", ["grid_code", "reported_at"])
