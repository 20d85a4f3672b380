"""Clocks: case_clock is vacuumed once 0.5 % of its rows have changed, not 20 %.

A sweep that turns clocks red rewrites them; their old versions stay in the partial
index the next sweep's find reads (`ix_case_clock_sweep_due`) until a vacuum takes them
out, and a bitmap scan never marks them dead. With PostgreSQL's default scale factor
(0.2) 10,000 clocks turned red among 1,000,000 never start an autovacuum, and every idle
sweep a minute walks those 10,000 entries again (bench/README.md, "the second sweep":
0.05 s when they are gone, 0.15–0.28 s while they are there). At 0.005 the autovacuum
after such a sweep comes within its naptime (a minute).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE case_clock SET (autovacuum_vacuum_scale_factor = 0.005, "
               "autovacuum_analyze_scale_factor = 0.01)")


def downgrade() -> None:
    op.execute("ALTER TABLE case_clock RESET (autovacuum_vacuum_scale_factor, "
               "autovacuum_analyze_scale_factor)")
