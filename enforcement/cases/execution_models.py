"""执行 and remedies of an enforcement decision, as their own records:

- `enforcement_payment_plan`: the party's application to defer the fine or pay it in
  instalments, and the head's decision (行政处罚法第六十六条第二款: 当事人确有经济困难，需要
  延期或者分期缴纳罚款的，经当事人申请和行政机关批准，可以暂缓或者分期缴纳);
- `enforcement_instalment`: one instalment of an approved plan (a deferral is a plan of
  one), its amount, its last day and what was paid; 加处罚款 (第七十二条第一项) runs on
  each instalment from the day after its last day;
- `enforcement_appeal`: an application for 行政复议 or a 行政诉讼 against the decision and
  its outcome (维持, 变更, 撤销, 确认违法 …), with its dates and the deciding document.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import enforcement.cases.models  # noqa: F401  (enforcement_case, which these name)
from core.db import Base

PLAN_STATES = ("applied", "approved", "refused")
APPEAL_KINDS = ("reconsideration", "litigation")  # 行政复议, 行政诉讼
# 行政复议法第六十三至六十六条, 第六十八至七十条; 行政诉讼法第六十九至七十七条.
APPEAL_OUTCOMES = ("upheld", "changed", "revoked", "revoked_redo", "unlawful", "invalid",
                   "perform_ordered", "rejected", "withdrawn", "terminated")


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class PaymentPlan(Base):
    """暂缓或者分期缴纳: the application (with its proposed schedule) and the decision."""

    __tablename__ = "enforcement_payment_plan"
    __table_args__ = (CheckConstraint(f"state IN ({_in(PLAN_STATES)})", name="state_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_case.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), server_default="applied")
    reason: Mapped[str] = mapped_column(Text)  # the party's hardship (确有经济困难)
    fine_fen: Mapped[int] = mapped_column(BigInteger)  # the fine the schedule covers
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


class Instalment(Base):
    """One instalment: `amount_fen` due by the end of `due_on` (Asia/Shanghai)."""

    __tablename__ = "enforcement_instalment"
    __table_args__ = (
        UniqueConstraint("plan_id", "seq", name="uq_enforcement_instalment_seq"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_payment_plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)  # 1, 2, … in order of their days
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_on: Mapped[date] = mapped_column(Date)
    paid_fen: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    surcharge_paid_fen: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Appeal(Base):
    """行政复议 or 行政诉讼 against a case's decision: filed when, to whom, whether within
    its limit, and the outcome with the deciding document (复议决定书 / 判决书 / 裁定书)."""

    __tablename__ = "enforcement_appeal"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(APPEAL_KINDS)})", name="kind_known"),
        CheckConstraint(f"outcome IS NULL OR outcome IN ({_in(APPEAL_OUTCOMES)})",
                        name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (decided_on IS NULL)", name="outcome_dated"),
        # The KPI's 复议/诉讼纠错率 reads the outcomes decided in a period.
        Index("ix_enforcement_appeal_decided_on", "decided_on",
              postgresql_where=text("decided_on IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(String(200))  # 复议机关 / 人民法院
    filed_on: Mapped[date] = mapped_column(Date)
    in_time: Mapped[bool] = mapped_column()  # filed within the rule row's limit
    limit_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_on: Mapped[date | None] = mapped_column(Date)
    # The outcome corrected the decision (纠错: 变更, 撤销, 确认违法 …): the KPI counts it.
    corrects: Mapped[bool] = mapped_column(server_default=text("false"))
    document_title: Mapped[str | None] = mapped_column(String(200))
    document_number: Mapped[str | None] = mapped_column(String(100))
    attachment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("attachment.id"))
    note: Mapped[str] = mapped_column(Text, server_default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}
