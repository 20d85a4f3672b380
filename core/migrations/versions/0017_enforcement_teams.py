"""综合执法: teams, on-duty rosters, joint operations, 吹哨报到.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TEAM_STATUSES = ("free", "busy")
POSITION_SOURCES = ("members", "seat")
OPERATION_STATES = ("planned", "running", "finished", "cancelled")
OPERATION_ROLES = ("lead", "cooperating")
URGENCIES = ("normal", "urgent")
CALL_STATES = ("called", "responded", "arrived", "acted", "closed")

# 北京市街道办事处条例第五条 (街乡吹哨、部门报到), 第四十四条 (拒不履职者纳入绩效考评):
# the law sets the duty to answer; the limits are the district's working rules (local
# practice: a called department responds within 30 minutes, arrives, acts). Admins edit
# them. (urgency, respond, arrive, act) in the kernel's durations: 30min elapsed minutes,
# 4h office hours, 2d working days.
CITATION = ("北京市街道办事处条例第五条、第四十四条（街乡吹哨、部门报到）；"
            "响应、到场、处置时限依区人民政府工作机制（地方实践，可由管理员调整）")
DEFAULT_LIMITS = (("normal", "30min", "4h", "2d"), ("urgent", "30min", "120min", "1d"))


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _point(name: str, kind=geoalchemy2.types.Geometry, nullable: bool = False):
    return sa.Column(name, kind(geometry_type="POINT", srid=4326, spatial_index=False),
                     nullable=nullable)


def _teams() -> None:
    op.create_table(
        "enforcement_team_qualification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("matter_code", sa.String(length=40, collation="C"), nullable=True),
        sa.CheckConstraint("(department_code IS NULL) <> (matter_code IS NULL)",
                           name="department_or_matter"),
        sa.ForeignKeyConstraint(["team_id"], ["unit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.ForeignKeyConstraint(["matter_code"], ["enforcement_matter.code"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_team_qualification_department", "enforcement_team_qualification",
                    ["team_id", "department_code"], unique=True,
                    postgresql_where=sa.text("department_code IS NOT NULL"))
    op.create_index("uq_team_qualification_matter", "enforcement_team_qualification",
                    ["team_id", "matter_code"], unique=True,
                    postgresql_where=sa.text("matter_code IS NOT NULL"))

    op.create_table(
        "enforcement_roster",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("shift", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.ForeignKeyConstraint(["team_id"], ["unit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", "starts_at", name="uq_enforcement_roster"),
    )
    op.create_index("ix_enforcement_roster_team_ends", "enforcement_roster",
                    ["team_id", "ends_at"])
    op.create_index("ix_enforcement_roster_user", "enforcement_roster", ["user_id"])

    op.create_table(
        "enforcement_team_state",
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="free", nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.CheckConstraint(f"status IN ({_in(TEAM_STATUSES)})", name="status_known"),
        sa.ForeignKeyConstraint(["team_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )

    op.create_table(
        "enforcement_team_position",
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        _point("geom"),
        _point("geog", geoalchemy2.types.Geography),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("fixes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("fix_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departments", postgresql.ARRAY(sa.String(length=32)), server_default="{}",
                  nullable=False),
        sa.Column("matters", postgresql.ARRAY(sa.String(length=40)), server_default="{}",
                  nullable=False),
        sa.Column("busy", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"source IN ({_in(POSITION_SOURCES)})", name="source_known"),
        sa.ForeignKeyConstraint(["team_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_index("ix_enforcement_team_position_geog", "enforcement_team_position",
                    ["geog"], postgresql_using="gist")
    op.create_index("ix_enforcement_team_position_geom", "enforcement_team_position",
                    ["geom"], postgresql_using="gist")


def _operations() -> None:
    op.create_table(
        "enforcement_operation",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("lead_department_code", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("chosen_area_code", sa.String(length=15, collation="C"), nullable=True),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=4326,
                                                     spatial_index=False), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), server_default="planned", nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.CheckConstraint(f"state IN ({_in(OPERATION_STATES)})", name="state_known"),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.ForeignKeyConstraint(["lead_department_code"], ["department.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enforcement_operation_area_code", "enforcement_operation",
                    ["area_code"])
    op.create_index("ix_enforcement_operation_geom", "enforcement_operation", ["geom"],
                    postgresql_using="gist")

    op.create_table(
        "enforcement_operation_department",
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("tasks", postgresql.JSONB(astext_type=sa.Text()), server_default="[]",
                  nullable=False),
        sa.CheckConstraint(f"role IN ({_in(OPERATION_ROLES)})", name="role_known"),
        sa.ForeignKeyConstraint(["operation_id"], ["enforcement_operation.id"],
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.PrimaryKeyConstraint("operation_id", "department_code"),
    )
    op.create_index("uq_operation_lead", "enforcement_operation_department",
                    ["operation_id"], unique=True, postgresql_where=sa.text("role = 'lead'"))

    op.create_table(
        "enforcement_operation_object",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        _point("geom", nullable=True),
        sa.Column("checks", postgresql.JSONB(astext_type=sa.Text()), server_default="[]",
                  nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visited_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["enforcement_operation.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operation_id", "name", name="uq_operation_object"),
    )
    op.create_index("ix_enforcement_operation_object_operation_id",
                    "enforcement_operation_object", ["operation_id"])


def _whistles() -> None:
    limits = op.create_table(
        "enforcement_whistle_limit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("respond_limit", sa.String(length=12), nullable=False),
        sa.Column("arrive_limit", sa.String(length=12), nullable=False),
        sa.Column("act_limit", sa.String(length=12), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency_known"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_whistle_limit", "enforcement_whistle_limit",
                    [sa.text("coalesce(department_code, '')"), "urgency"], unique=True)
    op.bulk_insert(limits, [{"department_code": None, "urgency": urgency,
                             "respond_limit": respond, "arrive_limit": arrive,
                             "act_limit": act, "citation": CITATION}
                            for urgency, respond, arrive, act in DEFAULT_LIMITS])

    op.create_table(
        "enforcement_whistle",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("caller_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("matter", sa.String(length=200), nullable=False),
        sa.Column("matter_code", sa.String(length=40, collation="C"), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("address", sa.String(length=300), server_default="", nullable=False),
        _point("geom"),
        sa.Column("urgency", sa.String(length=8), server_default="normal", nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=True),
        sa.Column("blown_by", sa.String(length=64), nullable=False),
        sa.Column("blown_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency_known"),
        sa.ForeignKeyConstraint(["caller_unit_id"], ["unit.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["matter_code"], ["enforcement_matter.code"]),
        sa.ForeignKeyConstraint(["operation_id"], ["enforcement_operation.id"],
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enforcement_whistle_area_code", "enforcement_whistle", ["area_code"])
    op.create_index("ix_enforcement_whistle_geom", "enforcement_whistle", ["geom"],
                    postgresql_using="gist")
    op.create_index("ix_enforcement_whistle_blown_at", "enforcement_whistle", ["blown_at"])

    op.create_table(
        "enforcement_whistle_call",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("whistle_id", sa.BigInteger(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=12), server_default="called", nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column("owner_unit_id", sa.BigInteger(), nullable=True),
        sa.Column("owner_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("owner_platform", sa.String(length=24), server_default="enforcement",
                  nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("urgency", sa.String(length=8), server_default="normal", nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("step_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.String(length=8), server_default="green", nullable=False),
        sa.Column("responded_late", sa.Boolean(), nullable=True),
        sa.Column("arrived_late", sa.Boolean(), nullable=True),
        sa.Column("acted_late", sa.Boolean(), nullable=True),
        sa.CheckConstraint(f"state IN ({_in(CALL_STATES)})", name="state_known"),
        sa.ForeignKeyConstraint(["whistle_id"], ["enforcement_whistle.id"],
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("whistle_id", "department_code", name="uq_whistle_call_department"),
    )
    op.create_index("ix_enforcement_whistle_call_whistle_id", "enforcement_whistle_call",
                    ["whistle_id"])
    op.create_index("ix_enforcement_whistle_call_area_code", "enforcement_whistle_call",
                    ["area_code"])
    op.create_index("ix_enforcement_whistle_call_department", "enforcement_whistle_call",
                    ["department_code", "called_at"])


def upgrade() -> None:
    _teams()
    _operations()
    _whistles()


def downgrade() -> None:
    for table in ("enforcement_whistle_call", "enforcement_whistle",
                  "enforcement_whistle_limit", "enforcement_operation_object",
                  "enforcement_operation_department", "enforcement_operation",
                  "enforcement_team_position", "enforcement_team_state", "enforcement_roster",
                  "enforcement_team_qualification"):
        op.drop_table(table)
