"""一单两库 (the item list, the entity register, the inspector register), plans and tasks,
and 双随机 draws (国发〔2019〕5号《关于在市场监管领域全面推行部门联合"双随机、一公开"监管的意见》).

The inspections part (market_supervision/inspections) builds on these tables: an inspection
is of one DrawTarget, by its DrawTargetInspectors, against its task's Items' checklists;
it writes the entity's `last_result` (the colour of the entity layer).
"""

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, membership, department)
import geo.models  # noqa: F401  (area)
from core.db import Base
from market_supervision.register.enums import (
    DrawState,
    EntityStatus,
    EntityType,
    ItemLevel,
    PlanState,
    RiskClass,
    TaskMode,
    TaskState,
    TaskUnitRole,
)


def _in(enum) -> str:
    return ", ".join(f"'{member}'" for member in enum)


# —— 随机抽查事项清单 (the inspection-item list) ——

class Item(Base):
    """One 抽查事项: what may be inspected, by which department, on which legal basis."""

    __tablename__ = "market_item"
    __table_args__ = (CheckConstraint(f"level IN ({_in(ItemLevel)})", name="level_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"),
                                                 index=True)
    level: Mapped[str] = mapped_column(String(8))  # 一般 / 重点
    legal_basis: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class ChecklistItem(Base):
    """One line of an item's checklist (检查表), weighted 一般 or 重点."""

    __tablename__ = "market_checklist_item"
    __table_args__ = (
        CheckConstraint(f"weight IN ({_in(ItemLevel)})", name="weight_known"),
        UniqueConstraint("item_id", "ordinal", name="uq_market_checklist_item_ordinal"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_item.id",
                                                                ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    weight: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str | None] = mapped_column(Text)


# —— 检查对象名录库 (the entity register) ——

class Entity(Base):
    """A market entity (市场主体), keyed by its 统一社会信用代码 (GB 32100)."""

    __tablename__ = "market_entity"
    __table_args__ = (
        CheckConstraint(f"type IN ({_in(EntityType)})", name="type_known"),
        CheckConstraint(f"status IN ({_in(EntityStatus)})", name="status_known"),
        CheckConstraint(f"risk_class IN ({_in(RiskClass)})", name="risk_class_known"),
        Index("ix_market_entity_location", "location", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(24))
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(300))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    # The smallest area the location lies in (grid, else village …): scope and drill-down.
    area_code: Mapped[str | None] = mapped_column(String(15, collation="C"),
                                                  ForeignKey("area.code", onupdate="CASCADE"),
                                                  index=True)
    industry: Mapped[str] = mapped_column(String(8, collation="C"), index=True)  # GB/T 4754
    licences: Mapped[list] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    status: Mapped[str] = mapped_column(String(16), default=EntityStatus.active,
                                        server_default=EntityStatus.active.value)
    # A code failing its GB 32100 check, kept because the row said it is a legacy pilot code
    # (试点期间赋码): flagged for the registry to correct.
    legacy_code: Mapped[bool] = mapped_column(Boolean, default=False,
                                              server_default=text("false"))
    # INTERNAL: the current month's credit-risk class (history in market_entity_risk).
    # Never on a public page or export.
    risk_class: Mapped[str | None] = mapped_column(String(1))
    # The last published inspection result (the inspections part writes it): the layer's
    # colour. NULL: never inspected.
    last_result: Mapped[str | None] = mapped_column(String(16))
    last_result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class EntityRisk(Base):
    """An entity's credit-risk class (信用风险分类) for one month: internal."""

    __tablename__ = "market_entity_risk"
    __table_args__ = (CheckConstraint(f"risk_class IN ({_in(RiskClass)})",
                                      name="risk_class_known"),)

    entity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_entity.id",
                                                                  ondelete="CASCADE"),
                                           primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    risk_class: Mapped[str] = mapped_column(String(1))
    basis: Mapped[str | None] = mapped_column(Text)


# —— 执法检查人员名录库 (the inspector register) ——

class InspectorItem(Base):
    """An inspector (a 检查员 membership of a market unit, holding an 执法证) may inspect
    this item."""

    __tablename__ = "market_inspector_item"

    membership_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("membership.id",
                                                                      ondelete="CASCADE"),
                                               primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_item.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True, index=True)


class InspectorConflict(Base):
    """A declared conflict of interest (回避): the person is never drawn for the entity."""

    __tablename__ = "market_inspector_conflict"
    __table_args__ = (UniqueConstraint("user_id", "entity_id",
                                       name="uq_market_inspector_conflict"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_entity.id",
                                                                  ondelete="CASCADE"),
                                           index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


# —— the ratios per risk class: data, with their citation ——

class RatioRule(Base):
    """The share of a risk class to draw, per scheme (一般 / 重点 items); a province edits
    its own. `cap` bounds the count (NULL: none — 重点 items may have no cap)."""

    __tablename__ = "market_ratio_rule"
    __table_args__ = (
        CheckConstraint(f"risk_class IN ({_in(RiskClass)})", name="risk_class_known"),
        CheckConstraint("ratio >= 0 AND ratio <= 1", name="ratio_range"),
    )

    scheme: Mapped[str] = mapped_column(String(16), primary_key=True)
    risk_class: Mapped[str] = mapped_column(String(1), primary_key=True)
    ratio: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    cap: Mapped[int | None] = mapped_column(Integer)
    citation: Mapped[str] = mapped_column(Text)


# —— plans and tasks ——

class Plan(Base):
    """A unit's annual 抽查工作计划."""

    __tablename__ = "market_plan"
    __table_args__ = (CheckConstraint(f"state IN ({_in(PlanState)})", name="state_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), index=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"),
                                           ForeignKey("area.code", onupdate="CASCADE"),
                                           index=True)
    state: Mapped[str] = mapped_column(String(16), default=PlanState.draft,
                                       server_default=PlanState.draft.value)
    created_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class Task(Base):
    """A 抽查任务 of a plan: 定向 (a filtered part of the register) or 不定向 (all of it),
    by one department or jointly (组织部门 + 实施部门: 进一次门、查多项事)."""

    __tablename__ = "market_task"
    __table_args__ = (
        CheckConstraint(f"mode IN ({_in(TaskMode)})", name="mode_known"),
        CheckConstraint(f"state IN ({_in(TaskState)})", name="state_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_plan.id",
                                                                ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    # The register's subtree the task draws from, and 定向 filters (types, industries).
    area_code: Mapped[str] = mapped_column(String(15, collation="C"),
                                           ForeignKey("area.code", onupdate="CASCADE"),
                                           index=True)
    filters: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    ratio_scheme: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.planned,
                                       server_default=TaskState.planned.value)
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class TaskUnit(Base):
    """A unit taking part in a task: the 组织部门 (one) and the 实施部门 (one or more)."""

    __tablename__ = "market_task_unit"
    __table_args__ = (CheckConstraint(f"role IN ({_in(TaskUnitRole)})", name="role_known"),)

    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_task.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), primary_key=True,
                                         index=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class TaskItem(Base):
    """An item a task's visit covers (one visit, several departments' items)."""

    __tablename__ = "market_task_item"

    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_task.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_item.id"),
                                         primary_key=True, index=True)


# —— draws ——

class Draw(Base):
    """One 双随机 draw of a task. Committed first (the hashes of the candidate list and of
    the secret seed are published), then drawn (the seed revealed, mixed with the public
    entropy named at commitment time). `algorithm` names the version of draws.py used."""

    __tablename__ = "market_draw"
    __table_args__ = (CheckConstraint(f"state IN ({_in(DrawState)})", name="state_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_task.id"), index=True)
    # Scope: the task's area and organising unit, copied so a list needs no join.
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str] = mapped_column(String(40))
    # The month whose risk classes stratify the register.
    risk_month: Mapped[date] = mapped_column(Date)
    candidates_hash: Mapped[str] = mapped_column(String(64))
    public_candidates_hash: Mapped[str] = mapped_column(String(64))
    candidates_count: Mapped[int] = mapped_column(Integer)
    # The candidate list as drawn (gzip of canonical lines): the register changes, a
    # re-run must not. Holds the internal strata: served only to staff.
    candidates: Mapped[bytes] = mapped_column(LargeBinary)
    # The rules in force (ratios, caps, citations, items, inspector pool) as drawn.
    rules: Mapped[dict] = mapped_column(JSONB)
    seed_hash: Mapped[str] = mapped_column(String(64))
    secret_seed: Mapped[str] = mapped_column(String(64))  # revealed once drawn
    public_entropy: Mapped[str | None] = mapped_column(Text)  # e.g. a lottery result
    seed: Mapped[str | None] = mapped_column(String(64))  # SHA-256(secret ‖ entropy)
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class DrawTarget(Base):
    """An entity drawn: inspected by its DrawTargetInspectors (the inspections part)."""

    __tablename__ = "market_draw_target"
    __table_args__ = (UniqueConstraint("draw_id", "entity_id", name="uq_market_draw_target"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    draw_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_draw.id",
                                                                ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_entity.id"),
                                           index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    uscc: Mapped[str] = mapped_column(String(18, collation="C"))  # as drawn
    stratum: Mapped[str] = mapped_column(String(1))  # INTERNAL: the risk class drawn under
    score: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(seed, uscc), hex


class DrawTargetInspector(Base):
    """An inspector paired with a target; name and 执法证 as they were at the draw."""

    __tablename__ = "market_draw_target_inspector"

    target_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("market_draw_target.id",
                                                                  ondelete="CASCADE"),
                                           primary_key=True)
    # A copy of who was drawn, as history: no per-row foreign keys to the membership and
    # the account (validated once per draw, draw_sets.py; migration 0024).
    membership_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    credential_number: Mapped[str] = mapped_column(String(40))


class EntityCell(Base):
    """The register counted per grid and per Web Mercator cell of a clustered zoom (a cell
    is 1/32 of the zoom's tile side): the low-zoom tiles sum these (layers.py). Written only
    by market_entity's statement triggers (migration 0024); INTERNAL (risk counts)."""

    __tablename__ = "market_entity_cell"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # the zoom
    gx: Mapped[int] = mapped_column(Integer, primary_key=True)  # cell column from the west
    gy: Mapped[int] = mapped_column(Integer, primary_key=True)  # cell row from the south
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    sx: Mapped[float] = mapped_column(Float)  # Σ of the entities' EPSG:3857 x
    sy: Mapped[float] = mapped_column(Float)
    failed: Mapped[int] = mapped_column(Integer)
    inspected: Mapped[int] = mapped_column(Integer)
    risk_a: Mapped[int] = mapped_column(Integer)
    risk_b: Mapped[int] = mapped_column(Integer)
    risk_c: Mapped[int] = mapped_column(Integer)
    risk_d: Mapped[int] = mapped_column(Integer)
