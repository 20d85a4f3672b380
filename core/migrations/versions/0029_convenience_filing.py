"""便民服务: Open311 filings that gave up, re-queued.

- `open311_request.filing` (queued | filed | refused), `queued_at` (when it was last sent
  to the filing task) and `requeues` (how often the re-queue job sent it again), with a
  partial index on `queued_at` of the queued ones: the job's search
  (convenience/open311/filing.py `requeue_stuck`). Requests already filed are `filed`;
  those still waiting are queued since they were requested.
- the rule `filing_stuck_minutes` (workorder_rule, with its citation): how long a filing
  may wait before it is sent again.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# The rule as first seeded (convenience/open311/filing.py STUCK_RULE, STUCK_DEFAULT).
RULE = ("filing_stuck_minutes", "10", "市民诉求受理后未分派的重新分派时限（分钟）",
        "技术限值：受理后即入队分派（GeoReport v2 POST Service Request 先答复后办理，"
        "service_notice）；超过此时限仍未分派的，视为分派任务丢失，重新入队，"
        "每次重新入队后时限加倍；同一诉求只立案一次")


def upgrade() -> None:
    op.add_column("open311_request", sa.Column("filing", sa.String(length=8),
                                               server_default="queued", nullable=False))
    op.add_column("open311_request", sa.Column("queued_at", sa.DateTime(timezone=True),
                                               nullable=True))
    op.add_column("open311_request", sa.Column("requeues", sa.SmallInteger(),
                                               server_default="0", nullable=False))
    op.execute(sa.text(
        "UPDATE open311_request SET "
        "filing = CASE WHEN subject_id IS NULL THEN 'queued' ELSE 'filed' END, "
        "queued_at = CASE WHEN subject_id IS NULL THEN requested_at END"))
    op.create_check_constraint(op.f("ck_open311_request_filing_known"), "open311_request",
                               "filing IN ('queued', 'filed', 'refused')")
    op.create_index("ix_open311_request_queued", "open311_request", ["queued_at"],
                    postgresql_where=sa.text("filing = 'queued'"))
    name, value, label, citation = RULE
    op.bulk_insert(sa.table("workorder_rule", sa.column("name"), sa.column("value"),
                            sa.column("label"), sa.column("citation")),
                   [{"name": name, "value": value, "label": label, "citation": citation}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM workorder_rule WHERE name = 'filing_stuck_minutes'"))
    op.drop_index("ix_open311_request_queued", table_name="open311_request")
    op.drop_constraint(op.f("ck_open311_request_filing_known"), "open311_request",
                       type_="check")
    op.drop_column("open311_request", "requeues")
    op.drop_column("open311_request", "queued_at")
    op.drop_column("open311_request", "filing")
