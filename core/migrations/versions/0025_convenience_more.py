"""Convenience: takes-reports flag, escalations of rectifications and 办不成事.

- `svc_item.takes_reports`: a catalogue item residents may report about through Open311
  (issue 15 §8: "the convenience items that take reports"); off unless an admin sets it.
- `escalated_at`, `escalated_to_unit_id` on `svc_rectification` and `svc_stuck_matter`:
  the sweep's escalation of an overdue one to the supervising office, recorded once.
- two `svc_setting` rows (with their citations) switching those escalations.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ANYANG = "安阳市政务服务条例"
# key → (value, label, citation); the same rows as convenience/services/limits.py DEFAULTS.
SETTINGS = {
    "rating.escalate": (
        "1", "差评整改超期自动督办（1=是，0=否）",
        f"{ANYANG}第五十二条第二款：建立差评调查核实、督促整改和反馈机制；第六条：政务服务管理部门"
        "负责监督本行政区域的政务服务工作；第五十六条：由上级主管机关责令改正"),
    "stuck.escalate": (
        "1", "办不成事超期自动督办（1=是，0=否）",
        f"“办不成事”反映窗口工作规范（参照各地做法）：超期未办结的报政务服务管理部门督办；{ANYANG}"
        "第六条、第五十六条"),
}
TABLES = ("svc_rectification", "svc_stuck_matter")


def upgrade() -> None:
    op.add_column("svc_item", sa.Column("takes_reports", sa.Boolean(), nullable=False,
                                        server_default=sa.text("false")))
    for table in TABLES:
        op.add_column(table, sa.Column("escalated_at", sa.DateTime(timezone=True),
                                       nullable=True))
        foreign_key = sa.ForeignKey("unit.id", name=f"fk_{table}_escalated_to_unit_id_unit")
        op.add_column(table, sa.Column("escalated_to_unit_id", sa.BigInteger(), foreign_key,
                                       nullable=True))
    op.bulk_insert(sa.table("svc_setting", sa.column("key"), sa.column("value"),
                            sa.column("label"), sa.column("citation")),
                   [{"key": k, "value": v, "label": label, "citation": citation}
                    for k, (v, label, citation) in SETTINGS.items()])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM svc_setting WHERE key IN ('rating.escalate', "
                       "'stuck.escalate')"))
    for table in TABLES:
        op.drop_column(table, "escalated_to_unit_id")
        op.drop_column(table, "escalated_at")
    op.drop_column("svc_item", "takes_reports")
