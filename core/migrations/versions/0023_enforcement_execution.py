"""Enforcement: instalments, appeals (复议/诉讼) outcomes, 公告 pauses.

- enforcement_payment_plan / enforcement_instalment: 暂缓或者分期缴纳 (行政处罚法第六十六条);
- enforcement_appeal: 行政复议 / 行政诉讼 and their outcomes;
- enforcement_case.payment_plan_id: the approved plan;
- rule rows: the 24-hour hand-over held as 1440 elapsed minutes (it was 1cd: the kernel
  had no natural hours), and 15 days to sue after a 复议 decision.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

PLAN_STATES = ("applied", "approved", "refused")
APPEAL_KINDS = ("reconsideration", "litigation")
APPEAL_OUTCOMES = ("upheld", "changed", "revoked", "revoked_redo", "unlawful", "invalid",
                   "perform_ordered", "rejected", "withdrawn", "terminated")
HANDOVER_CITATION = ("《行政执法机关移送涉嫌犯罪案件的规定》第五条第二款：决定批准的，"
                     "应当在24小时内向同级公安机关移送")
NEW_RULES = (
    ("litigation_after_reconsideration", "复议后提起行政诉讼", "duration", "15cd",
     "行政诉讼法第四十五条：公民、法人或者其他组织不服复议决定的，可以在收到复议决定书之日起十五日内"
     "向人民法院提起诉讼"),
)


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _plans() -> None:
    op.create_table(
        "enforcement_payment_plan",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), server_default="applied", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fine_fen", sa.BigInteger(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(f"state IN ({_in(PLAN_STATES)})", name="state_known"),
        sa.ForeignKeyConstraint(["case_id"], ["enforcement_case.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enforcement_payment_plan_case_id", "enforcement_payment_plan",
                    ["case_id"])
    op.create_table(
        "enforcement_instalment",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("surcharge_paid_fen", sa.BigInteger(), server_default=sa.text("0"),
                  nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
        sa.ForeignKeyConstraint(["plan_id"], ["enforcement_payment_plan.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "seq", name="uq_enforcement_instalment_seq"),
    )
    op.create_index("ix_enforcement_instalment_plan_id", "enforcement_instalment",
                    ["plan_id"])
    op.add_column("enforcement_case", sa.Column("payment_plan_id", sa.BigInteger(),
                                                nullable=True))


def _appeals() -> None:
    op.create_table(
        "enforcement_appeal",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.String(200), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("in_time", sa.Boolean(), nullable=False),
        sa.Column("limit_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("corrects", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("document_title", sa.String(200), nullable=True),
        sa.Column("document_number", sa.String(100), nullable=True),
        sa.Column("attachment_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(f"kind IN ({_in(APPEAL_KINDS)})", name="kind_known"),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN ({_in(APPEAL_OUTCOMES)})",
                           name="outcome_known"),
        sa.CheckConstraint("(outcome IS NULL) = (decided_on IS NULL)", name="outcome_dated"),
        sa.ForeignKeyConstraint(["case_id"], ["enforcement_case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enforcement_appeal_case_id", "enforcement_appeal", ["case_id"])
    # The KPI's 复议/诉讼纠错率 reads the outcomes decided in a period.
    op.create_index("ix_enforcement_appeal_decided_on", "enforcement_appeal", ["decided_on"],
                    postgresql_where=sa.text("decided_on IS NOT NULL"))


def _rules() -> None:
    op.execute(sa.text("UPDATE enforcement_rule SET value = '1440min', citation = :c, "
                       "version = version + 1 WHERE key = 'transfer_handover' "
                       "AND value = '1cd'").bindparams(c=HANDOVER_CITATION))
    columns = ("key", "label", "kind", "value", "citation")
    table = sa.table("enforcement_rule", *(sa.column(c) for c in columns))
    op.bulk_insert(table, [dict(zip(columns, row, strict=True)) for row in NEW_RULES])


def upgrade() -> None:
    _plans()
    _appeals()
    _rules()


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM enforcement_rule WHERE key = ANY(:keys)")
               .bindparams(keys=[row[0] for row in NEW_RULES]))
    op.execute("UPDATE enforcement_rule SET value = '1cd', version = version + 1 "
               "WHERE key = 'transfer_handover' AND value = '1440min'")
    op.drop_index("ix_enforcement_appeal_decided_on", table_name="enforcement_appeal")
    op.drop_index("ix_enforcement_appeal_case_id", table_name="enforcement_appeal")
    op.drop_table("enforcement_appeal")
    op.drop_column("enforcement_case", "payment_plan_id")
    op.drop_index("ix_enforcement_instalment_plan_id", table_name="enforcement_instalment")
    op.drop_table("enforcement_instalment")
    op.drop_index("ix_enforcement_payment_plan_case_id", table_name="enforcement_payment_plan")
    op.drop_table("enforcement_payment_plan")
