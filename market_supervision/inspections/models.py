"""Inspections in the field (检查), their checklist lines, inspectors and confirmations, the
referrals of serious findings, the submissions' idempotency keys, and the limits of 公示 as
data. The kernel keeps their clocks, timeline, hand-offs, links and photos, keyed by
("market_inspection", id) and ("market_referral", id).

The register's tables (market_supervision/register/models.py) are the other end: an
inspection is of one draw target (or of a 定向 task's entity), by the target's inspectors,
against the task's items' checklists; it writes the entity's `last_result`.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, membership)
import market_supervision.register.models  # noqa: F401  (task, entity, draw target, items)
from core.db import Base
from market_supervision.inspections.vocabulary import KINDS, OUTCOMES, RESULTS, STATES


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Inspection(Base):
    """One inspection of one entity for one task: a subject of the case kernel."""

    __tablename__ = "market_inspection"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(STATES)})", name="state_known"),
        CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind_known"),
        CheckConstraint(f"outcome IN ({_in(OUTCOMES)})", name="outcome_known"),
        CheckConstraint("(kind = 'reinspection') = (parent_id IS NOT NULL)",
                        name="reinspection_has_parent"),
        # One inspection per draw target: opening them twice (a retried request, a
        # re-delivered event) finds the first.
        Index("uq_market_inspection_target", "draw_target_id", unique=True,
              postgresql_where=text("draw_target_id IS NOT NULL")),
        # At most one open re-inspection of an inspection.
        Index("uq_market_inspection_open_reinspection", "parent_id", unique=True,
              postgresql_where=text("parent_id IS NOT NULL AND state NOT IN "
                                    "('approved', 'published', 'overturned', 'withdrawn')")),
        Index("ix_market_inspection_area", "area_code", "created_at"),
        Index("ix_market_inspection_geom", "geom", postgresql_using="gist"),
        Index("ix_market_inspection_owner_open", "owner_unit_id", "state",
              postgresql_where=text("state NOT IN ('published', 'withdrawn')")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="routine")  # routine | reinspection
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("market_inspection.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_task.id"), index=True)
    draw_target_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("market_draw_target.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_entity.id"),
                                           index=True)
    # Where the entity lies (its area code, copied): scope, drill-down, KPIs by area.
    area_code: Mapped[str] = mapped_column(String(15, collation="C"))
    # The unit holding it (the task's 实施部门 covering the entity): its 审核人 reviews.
    owner_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default="market_supervision")
    # In the field: the fix (the phone's GPS, WGS 84) and the moment, as the device says.
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    inspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list,
                                                    server_default=text("'{}'"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))
    failed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Failed lines not corrected on the spot: ordered corrected (责令限期改正) within
    # `rectify_days` natural days of the inspection (the `rectify` clock).
    ordered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rectify_days: Mapped[int | None] = mapped_column(Integer)
    rectify_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The re-inspection's verdict on the order: done (整改完成) or failed.
    rectification: Mapped[str | None] = mapped_column(String(8))
    rectified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # 公示: due 20 working days after the inspection (the `publish` clock, mirrored here).
    publish_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_on_time: Mapped[bool | None] = mapped_column(Boolean)
    overturned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdraw_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_on_time: Mapped[bool | None] = mapped_column(Boolean)
    referred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    @property
    def grid_code(self) -> str:  # where the kernel's hand-offs look for the subject
        return self.area_code


class InspectionInspector(Base):
    """An inspector of an inspection (from the draw's pairing, or named for a 定向 task),
    with the 执法证 he holds; `confirmed_at` once he confirmed the record."""

    __tablename__ = "market_inspection_inspector"

    inspection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("market_inspection.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"),
                                         primary_key=True, index=True)
    membership_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("membership.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    credential_number: Mapped[str | None] = mapped_column(String(40))


class InspectionCheck(Base):
    """One line of the inspection's checklist: the task item's checklist line, its answer
    (合格 / 不合格 / 不适用), the note, 当场整改, and the photos (attachments' ids)."""

    __tablename__ = "market_inspection_check"
    __table_args__ = (
        CheckConstraint(f"result IS NULL OR result IN ({_in(RESULTS)})", name="result_known"),
        CheckConstraint("NOT rectified_on_site OR result = 'fail'",
                        name="rectified_only_if_failed"),
    )

    inspection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("market_inspection.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_checklist_item.id"),
                                          primary_key=True, index=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_item.id"), index=True)
    result: Mapped[str | None] = mapped_column(String(8))  # NULL: not answered yet
    note: Mapped[str | None] = mapped_column(Text)
    rectified_on_site: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=text("false"))
    rectify_note: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list,
                                                 server_default=text("'{}'"))


class InspectionSubmission(Base):
    """A field submission (录入, 确认 …) carried with an Idempotency-Key: a phone that
    replays its offline queue gets the first answer, and nothing is applied twice."""

    __tablename__ = "market_inspection_submission"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key",
                                       name="uq_market_inspection_submission"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    inspection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("market_inspection.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class Referral(Base):
    """A serious finding referred to 综合执法 (移送): the subject the kernel hands off to the
    enforcement unit, linked to its inspection, carrying copies of its evidence."""

    __tablename__ = "market_referral"
    __table_args__ = (
        CheckConstraint("state IN ('referred', 'accepted', 'returned')", name="state_known"),
        UniqueConstraint("inspection_id", name="uq_market_referral_inspection"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="referred")
    version: Mapped[int] = mapped_column(Integer, default=1)
    inspection_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("market_inspection.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_entity.id"))
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    reason: Mapped[str] = mapped_column(Text)
    check_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list,
                                                 server_default=text("'{}'"))
    created_by: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class InspectionRule(Base):
    """A limit of the inspection's procedure as data, with its citation: 公示 within 20
    working days, 撤回 within 3, the fewest inspectors, the longest rectification deadline.
    Provinces differ: an admin edits them (PUT /api/v1/market/inspection-rules/{name})."""

    __tablename__ = "market_inspection_rule"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(16))  # a duration (20d) or a number
    label: Mapped[str] = mapped_column(String(100))
    citation: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
