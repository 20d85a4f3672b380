"""综合执法: 派遣 assigns the team's members.

The dispatched team is kept on the case (`enforcement_case.team_id`): its members' 执法证
count for the case as the case unit's own do (enforcement/cases/service.py
`valid_officers`). The least number of officers (行政处罚法第四十二条) becomes a rule row,
of a new kind `count`, read by the 派遣 and by the investigation's guards.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

KINDS_BEFORE = "'duration', 'amount_fen', 'per_mille', 'text'"
KINDS_AFTER = KINDS_BEFORE + ", 'count'"
OFFICERS_MIN = {
    "key": "officers_min", "label": "执法人员最少人数", "kind": "count", "value": "2",
    "extension": None, "extension_position": None,
    "citation": "行政处罚法第四十二条：行政处罚应当由具有行政执法资格的执法人员实施。"
                "执法人员不得少于两人，法律另有规定的除外。"}


def _kinds(values: str) -> None:
    op.drop_constraint(op.f("ck_enforcement_rule_kind_known"), "enforcement_rule",
                       type_="check")
    op.create_check_constraint(op.f("ck_enforcement_rule_kind_known"), "enforcement_rule",
                               f"kind IN ({values})")


def upgrade() -> None:
    op.add_column("enforcement_case", sa.Column("team_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f("fk_enforcement_case_team_id_unit"), "enforcement_case",
                          "unit", ["team_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_enforcement_case_team", "enforcement_case", ["team_id", "id"],
                    postgresql_where=sa.text("team_id IS NOT NULL"))
    _kinds(KINDS_AFTER)
    table = sa.table("enforcement_rule", *(sa.column(c) for c in OFFICERS_MIN))
    op.bulk_insert(table, [OFFICERS_MIN])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM enforcement_rule WHERE kind = 'count'"))
    _kinds(KINDS_BEFORE)
    op.drop_index("ix_enforcement_case_team", table_name="enforcement_case")
    op.drop_constraint(op.f("fk_enforcement_case_team_id_unit"), "enforcement_case",
                       type_="foreignkey")
    op.drop_column("enforcement_case", "team_id")
