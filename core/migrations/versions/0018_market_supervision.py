"""市场监管: 一单两库 (items and checklists, entities and their monthly risk classes, the
inspectors' items and declared conflicts), the ratios per risk class (data, 国发〔2019〕5号),
plans, tasks and 双随机 draws with their targets and inspectors.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LEVELS = ("general", "key")
TYPES = ("company", "enterprise", "partnership", "sole_proprietorship", "branch",
         "individual", "cooperative", "foreign")
STATUSES = ("active", "deregistered", "revoked")
CLASSES = ("A", "B", "C", "D")
PLAN_STATES = ("draft", "published")
TASK_MODES = ("directed", "undirected")
TASK_STATES = ("planned", "drawn", "done")
TASK_ROLES = ("organising", "implementing")
DRAW_STATES = ("committed", "drawn")

# The ratios per credit-risk class, as seeded data a province edits (the citation travels
# with each row). 国发〔2019〕5号 asks that the ratio and frequency follow the credit risk
# class; the shares below follow the common provincial practice of 市场监管总局《关于推进
# 企业信用风险分类管理进一步提升监管效能的意见》(国市监信发〔2022〕6号): low risk (A) drawn
# least, high risk (D) most. 重点 items: every high-risk entity, no cap.
_CITE = ("国发〔2019〕5号《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》"
         "三、（二）；国市监信发〔2022〕6号 二、（二）")
RATIOS = (
    ("general", "A", "0.0300", None), ("general", "B", "0.0500", None),
    ("general", "C", "0.1000", None), ("general", "D", "0.2000", None),
    ("key", "A", "0.0500", None), ("key", "B", "0.1000", None),
    ("key", "C", "0.3000", None), ("key", "D", "1.0000", None),
)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _point(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False,
                                                from_text="ST_GeomFromEWKT", name="geometry"),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "market_item",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"level IN ({_in(LEVELS)})", name="level_known"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_market_item_department_code", "market_item", ["department_code"])
    op.create_table(
        "market_checklist_item",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("weight", sa.String(length=8), nullable=False),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.CheckConstraint(f"weight IN ({_in(LEVELS)})", name="weight_known"),
        sa.ForeignKeyConstraint(["item_id"], ["market_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "ordinal", name="uq_market_checklist_item_ordinal"),
    )
    op.create_table(
        "market_entity",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("uscc", sa.String(length=18, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("legal_representative", sa.String(length=50), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        _point("location", nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("industry", sa.String(length=8, collation="C"), nullable=False),
        sa.Column("licences", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  server_default=sa.text("'[]'")),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="active"),
        sa.Column("legacy_code", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("risk_class", sa.String(length=1), nullable=True),
        sa.Column("last_result", sa.String(length=16), nullable=True),
        sa.Column("last_result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False, server_default="api"),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"type IN ({_in(TYPES)})", name="type_known"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status_known"),
        sa.CheckConstraint(f"risk_class IN ({_in(CLASSES)})", name="risk_class_known"),
        sa.ForeignKeyConstraint(["area_code"], ["area.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_index("ix_market_entity_location", "market_entity", ["location"],
                    postgresql_using="gist")
    op.create_index("ix_market_entity_area_code", "market_entity", ["area_code"])
    op.create_index("ix_market_entity_industry", "market_entity", ["industry"])
    op.create_table(
        "market_entity_risk",
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("risk_class", sa.String(length=1), nullable=False),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.CheckConstraint(f"risk_class IN ({_in(CLASSES)})", name="risk_class_known"),
        sa.ForeignKeyConstraint(["entity_id"], ["market_entity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("entity_id", "month"),
    )
    op.create_table(
        "market_inspector_item",
        sa.Column("membership_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["market_item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("membership_id", "item_id"),
    )
    op.create_index("ix_market_inspector_item_item_id", "market_inspector_item", ["item_id"])
    op.create_table(
        "market_inspector_conflict",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["market_entity.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "entity_id", name="uq_market_inspector_conflict"),
    )
    op.create_index("ix_market_inspector_conflict_entity_id", "market_inspector_conflict",
                    ["entity_id"])
    ratio = op.create_table(
        "market_ratio_rule",
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("risk_class", sa.String(length=1), nullable=False),
        sa.Column("ratio", sa.Numeric(6, 4), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.CheckConstraint(f"risk_class IN ({_in(CLASSES)})", name="risk_class_known"),
        sa.CheckConstraint("ratio >= 0 AND ratio <= 1", name="ratio_range"),
        sa.PrimaryKeyConstraint("scheme", "risk_class"),
    )
    op.bulk_insert(ratio, [{"scheme": s, "risk_class": c, "ratio": r, "cap": cap,
                            "citation": _CITE} for s, c, r, cap in RATIOS])
    op.create_table(
        "market_plan",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="draft"),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"state IN ({_in(PLAN_STATES)})", name="state_known"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["area_code"], ["area.code"], onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_market_plan_unit_id", "market_plan", ["unit_id"])
    op.create_index("ix_market_plan_area_code", "market_plan", ["area_code"])
    op.create_table(
        "market_task",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  server_default=sa.text("'{}'")),
        sa.Column("ratio_scheme", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="planned"),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"mode IN ({_in(TASK_MODES)})", name="mode_known"),
        sa.CheckConstraint(f"state IN ({_in(TASK_STATES)})", name="state_known"),
        sa.ForeignKeyConstraint(["plan_id"], ["market_plan.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_code"], ["area.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_market_task_plan_id", "market_task", ["plan_id"])
    op.create_index("ix_market_task_area_code", "market_task", ["area_code"])
    op.create_table(
        "market_task_unit",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(f"role IN ({_in(TASK_ROLES)})", name="role_known"),
        sa.ForeignKeyConstraint(["task_id"], ["market_task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("task_id", "unit_id", "role"),
    )
    op.create_index("ix_market_task_unit_unit_id", "market_task_unit", ["unit_id"])
    op.create_table(
        "market_task_item",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["market_task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["market_item.id"]),
        sa.PrimaryKeyConstraint("task_id", "item_id"),
    )
    op.create_index("ix_market_task_item_item_id", "market_task_item", ["item_id"])
    op.create_table(
        "market_draw",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("risk_month", sa.Date(), nullable=False),
        sa.Column("candidates_hash", sa.String(length=64), nullable=False),
        sa.Column("public_candidates_hash", sa.String(length=64), nullable=False),
        sa.Column("candidates_count", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.LargeBinary(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_seed", sa.String(length=64), nullable=False),
        sa.Column("public_entropy", sa.Text(), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.CheckConstraint(f"state IN ({_in(DRAW_STATES)})", name="state_known"),
        sa.ForeignKeyConstraint(["task_id"], ["market_task.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_market_draw_task_id", "market_draw", ["task_id"])
    op.create_index("ix_market_draw_area_code", "market_draw", ["area_code"])
    op.create_index("ix_market_draw_unit_id", "market_draw", ["unit_id"])
    op.create_table(
        "market_draw_target",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("draw_id", sa.BigInteger(), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18, collation="C"), nullable=False),
        sa.Column("stratum", sa.String(length=1), nullable=False),
        sa.Column("score", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["draw_id"], ["market_draw.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["market_entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draw_id", "entity_id", name="uq_market_draw_target"),
    )
    op.create_index("ix_market_draw_target_entity_id", "market_draw_target", ["entity_id"])
    op.create_table(
        "market_draw_target_inspector",
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("credential_number", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["market_draw_target.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("target_id", "membership_id"),
    )
    op.create_index("ix_market_draw_target_inspector_membership_id",
                    "market_draw_target_inspector", ["membership_id"])
    op.create_index("ix_market_draw_target_inspector_user_id",
                    "market_draw_target_inspector", ["user_id"])


def downgrade() -> None:
    for table in ("market_draw_target_inspector", "market_draw_target", "market_draw",
                  "market_task_item", "market_task_unit", "market_task", "market_plan",
                  "market_ratio_rule", "market_inspector_conflict", "market_inspector_item",
                  "market_entity_risk", "market_entity", "market_checklist_item",
                  "market_item"):
        op.drop_table(table)
