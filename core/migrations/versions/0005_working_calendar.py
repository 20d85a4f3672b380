"""The working calendar: holidays and adjusted workdays as data (core/workflow/calendar_store.py).

Seeded with every year the chinese_calendar package knows; later years are loaded as data.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_calendar_day"),
    )
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_calendar_year"),
    )
    # Data step: plain SQL on the two tables above (see _replace_year).
    from core.workflow.calendar_store import seed_from_chinese_calendar

    seed_from_chinese_calendar(op.get_bind())


def downgrade() -> None:
    op.drop_table("calendar_year")
    op.drop_table("calendar_day")
