"""综合执法 cases: the matters catalogue (执法事项) and its discretion bands, the
limits of the procedure as data, cases, parties, evidence and recusals.

Every legal limit or threshold lives in a row with its citation (enforcement_rule), so a
province edits data, not code (行政处罚法 leaves amounts and some periods to provinces).
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

import core.attachments.models  # noqa: F401  (attachment, which evidence names)
import core.units.models  # noqa: F401  (department, unit, which matters and cases name)
from core.db import Base

# 行政处罚法第九条: the kinds of administrative penalty.
PENALTY_TYPES = ("warning", "criticism", "fine", "confiscation", "confiscation_property",
                 "license_suspend", "license_revoke", "qualification_lower",
                 "production_suspend", "business_restrict", "closure", "employment_ban",
                 "detention")
BAND_LEVELS = ("lighter", "ordinary", "heavier")  # 从轻 / 一般 / 从重


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Matter(Base):
    """One 执法事项 of the catalogue: what may be punished, by whom, within what range."""

    __tablename__ = "enforcement_matter"
    __table_args__ = (
        CheckConstraint("fine_min_fen IS NULL OR fine_min_fen >= 0", name="fine_min_positive"),
        CheckConstraint("fine_max_fen IS NULL OR fine_min_fen IS NULL "
                        "OR fine_max_fen >= fine_min_fen", name="fine_range_ordered"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # The provincial catalogue's code, e.g. 330217001000 (浙江) or CG-SR-001.
    code: Mapped[str] = mapped_column(String(40, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"),
                                                 index=True)
    # The provision broken (违法依据) and the one that punishes (处罚依据), as article text.
    violated_basis: Mapped[str] = mapped_column(Text, server_default="")
    legal_basis: Mapped[str] = mapped_column(Text, server_default="")
    penalty_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)),
                                                     server_default="{}")
    fine_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    fine_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    # 行政处罚法第三十三条: 首违不罚 (first, minor, corrected in time) and 轻微免罚 lists.
    first_offence_exempt: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    minor_exempt: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # 行政处罚法第二十四条: devolved to townships (赋权乡镇街道).
    devolved_to_township: Mapped[bool] = mapped_column(Boolean,
                                                       server_default=text("false"))
    # 行政处罚法第三十六条第一款 但书: life, health or financial safety → 5-year limitation.
    safety_related: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class MatterBand(Base):
    """One discretion band of a matter (裁量基准): the circumstances and the fine range of
    从轻, 一般 or 从重 (行政处罚法第三十四条: 行政机关可以依法制定行政处罚裁量基准)."""

    __tablename__ = "enforcement_matter_band"
    __table_args__ = (
        CheckConstraint(f"level IN ({_in(BAND_LEVELS)})", name="level_known"),
        CheckConstraint("fine_max_fen IS NULL OR fine_min_fen IS NULL "
                        "OR fine_max_fen >= fine_min_fen", name="fine_range_ordered"),
        UniqueConstraint("matter_id", "level", name="uq_enforcement_matter_band_level"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    matter_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_matter.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(16))
    circumstances: Mapped[str] = mapped_column(Text, server_default="")
    fine_min_fen: Mapped[int | None] = mapped_column(BigInteger)
    fine_max_fen: Mapped[int | None] = mapped_column(BigInteger)


# --- the procedure's limits and thresholds, as data ----------------------------------------

RULE_KINDS = ("duration", "amount_fen", "per_mille", "text", "count")


class Rule(Base):
    """One limit or threshold of the procedure, with its citation: a province edits the
    row (e.g. its 较大数额罚款 for 听证), the code reads it (enforcement/cases/rules.py).

    `duration` rows hold a kernel duration (`15d`, `90cd`, `6mo`) and optionally the most it
    may be extended by and who approves it; `amount_fen` rows an amount in fen; `per_mille`
    a rate in thousandths (3 % a day is 30); `count` a number of people (执法人员不得少于
    两人)."""

    __tablename__ = "enforcement_rule"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(RULE_KINDS)})", name="kind_known"),)

    key: Mapped[str] = mapped_column(String(48, collation="C"), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(48))
    extension: Mapped[str | None] = mapped_column(String(16))
    extension_position: Mapped[str | None] = mapped_column(String(24))
    citation: Mapped[str] = mapped_column(Text, server_default="")
    rule_text: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}


# --- cases ---------------------------------------------------------------------------------

PROCEDURES = ("ordinary", "simple")
SOURCES = ("patrol", "complaint", "hotline", "grid_referral", "petition", "transfer",
           "superior", "monitoring")


class Case(Base):
    """One enforcement case (行政处罚案件), ordinary or simple, a subject of the kernel.

    The decision's figures are kept twice on purpose: what the notice proposed and what was
    decided, so 行政处罚法第四十五条 (no heavier because the party defended himself) is a
    comparison of two columns."""

    __tablename__ = "enforcement_case"
    __table_args__ = (
        CheckConstraint(f"procedure IN ({_in(PROCEDURES)})", name="procedure_known"),
        CheckConstraint(f"source IN ({_in(SOURCES)})", name="source_known"),
        UniqueConstraint("owner_unit_id", "idempotency_key", name="uq_enforcement_case_key"),
        # The dispatcher's queue: by unit, step and clock colour, newest first.
        Index("ix_enforcement_case_queue", "owner_unit_id", "state", "deadline", "id"),
        Index("ix_enforcement_case_area", "area_code", "id"),
        # The command centre's view: a step's overdue (or yellow) cases of a territory.
        Index("ix_enforcement_case_step_clock", "step", "deadline", "area_code",
              postgresql_where=text("step IS NOT NULL")),
        Index("ix_enforcement_case_geom", "geom", postgresql_using="gist"),
        # The cases a team was sent to (its members' "本单位案件" with their unit's own).
        Index("ix_enforcement_case_team", "team_id", "id",
              postgresql_where=text("team_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    procedure: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), server_default="enforcement")
    # Where it happened (an area code, the scope's key) and the point, when known.
    area_code: Mapped[str] = mapped_column(String(15, collation="C"))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    address: Mapped[str] = mapped_column(String(200), server_default="")
    source: Mapped[str] = mapped_column(String(24))
    matter_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("enforcement_matter.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text, server_default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # 案件等级: 重大 cases go to 集体讨论 (行政处罚法第五十七条第二款); 法制审核 where
    # 第五十八条 requires it.
    major: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    legal_review_required: Mapped[bool] = mapped_column(Boolean,
                                                        server_default=text("false"))
    legal_review_passed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    discussed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The officers on the case (行政处罚法第四十二条: at least two with 执法证).
    officer_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    # The team sent by 派遣 (a unit): its members' 执法证 count for the case as the case
    # unit's own do (enforcement/cases/service.py valid_officers; migration 0031).
    team_id: Mapped[int | None] = mapped_column(BigInteger,
                                                ForeignKey("unit.id", ondelete="SET NULL"))
    # When the offence happened or ended (第三十六条: the limitation period).
    offence_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    # 事先告知: what was proposed, whether a hearing was offered and asked.
    notice_penalty_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)),
                                                            server_default="{}")
    notice_fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    hearing_offered: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    hearing_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 决定: penalty / no_penalty / transfer; what was decided.
    outcome: Mapped[str | None] = mapped_column(String(16))
    penalty_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    confiscation_fen: Mapped[int | None] = mapped_column(BigInteger)
    service_method: Mapped[str | None] = mapped_column(String(16))
    electronic_consent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    paid_fen: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # The last day to pay (行政处罚法第六十七条第三款), from which 加处罚款 runs.
    payment_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The approved 暂缓/分期 plan (enforcement_payment_plan, migration 0023), when there is
    # one: 加处罚款 is then counted on its instalments.
    payment_plan_id: Mapped[int | None] = mapped_column(BigInteger)
    police_answer: Mapped[str | None] = mapped_column(Text)
    suspended_from: Mapped[str | None] = mapped_column(String(24))
    # The step clock, mirrored for the queue (colour and due) like the incidents'.
    step: Mapped[str | None] = mapped_column(String(32))
    step_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[str] = mapped_column(String(8), server_default="green")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


PARTY_KINDS = ("citizen", "organisation")


class Party(Base):
    """当事人: a citizen (ID number validated, shown masked) or an organisation (统一社会
    信用代码 validated per GB 32100)."""

    __tablename__ = "enforcement_party"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(PARTY_KINDS)})", name="kind_known"),
        CheckConstraint("(kind = 'citizen') = (id_number IS NOT NULL)", name="citizen_id"),
        CheckConstraint("(kind = 'organisation') = (uscc IS NOT NULL)",
                        name="organisation_uscc"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    representative: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(200), server_default="")
    phone: Mapped[str | None] = mapped_column(String(20))


class DeclaredConflict(Base):
    """A declared conflict of interest (利害关系) of an officer with a party (by ID number
    or 统一社会信用代码): he cannot be put on that party's cases (行政处罚法第四十三条)."""

    __tablename__ = "enforcement_conflict"
    __table_args__ = (UniqueConstraint("user_id", "party_key",
                                       name="uq_enforcement_conflict_user_party"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"))
    party_key: Mapped[str] = mapped_column(String(18), index=True)
    reason: Mapped[str] = mapped_column(Text, server_default="")
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


RECUSAL_DECISIONS = ("granted", "refused")


class Recusal(Base):
    """A party's request that an officer withdraw (申请回避), and the head's decision
    (行政处罚法第四十三条第三款: 由行政机关负责人决定; the investigation does not stop)."""

    __tablename__ = "enforcement_recusal"
    __table_args__ = (CheckConstraint(
        f"decision IS NULL OR decision IN ({_in(RECUSAL_DECISIONS)})", name="decision_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_case.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# 行政处罚法第四十六条: the eight kinds of evidence.
EVIDENCE_KINDS = ("documentary", "physical", "audiovisual", "electronic", "witness",
                  "statement", "expert_opinion", "inspection_record")


class Evidence(Base):
    """One piece of evidence: its kind, what it is, and the file (core/attachments: type,
    size, SHA-256, GPS, time, device), or a text's own hash. Immutable once recorded: a
    trigger of the migration refuses UPDATE and DELETE."""

    __tablename__ = "enforcement_evidence"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(EVIDENCE_KINDS)})", name="kind_known"),
                      # A phone's queued piece, sent again, is recorded once (migration 0026).
                      UniqueConstraint("case_id", "idempotency_key",
                                       name="uq_enforcement_evidence_key"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, server_default="")
    attachment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("attachment.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    # Where it came from when carried over (a referred incident's photo).
    from_subject_type: Mapped[str | None] = mapped_column(String(32))
    from_subject_id: Mapped[int | None] = mapped_column(BigInteger)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
