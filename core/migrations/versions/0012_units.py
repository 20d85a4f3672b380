"""Units and memberships: departments, their units with a jurisdiction of areas, and the
users' positions in them with their 执法证; the one SQL function of area-code arithmetic.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KINDS = ("department", "brigade", "squadron", "enforcement_team", "market_office",
         "service_hall", "service_centre", "service_station", "centre")
POSITIONS = ("handler", "reviewer", "head", "legal_reviewer", "dispatcher", "receiver",
             "proxy_agent", "inspector", "grid_worker")
# The line departments of a county (DESIGN.md); a province adds its own as data.
DEPARTMENTS = (
    ("governance", "综治"), ("chengguan", "城市管理"), ("market", "市场监管"),
    ("ecology", "生态环境"), ("culture", "文化市场"), ("transport", "交通运输"),
    ("emergency", "应急管理"), ("agriculture", "农业农村"), ("natural_resources", "自然资源"),
    ("housing", "住房城乡建设"), ("health", "卫生健康"), ("police", "公安"), ("fire", "消防救援"),
    ("government_services", "政务服务"),
)

# core/codes.py `parent_code`, in SQL: grid → village → township → county → city →
# province; NULL above a province.
AREA_PARENT_CODE = """
CREATE FUNCTION area_parent_code(code text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE length(code)
        WHEN 15 THEN substr(code, 1, 12) WHEN 12 THEN substr(code, 1, 9)
        WHEN 9 THEN substr(code, 1, 6)
        WHEN 6 THEN CASE WHEN code LIKE '%0000' THEN NULL
                         WHEN code LIKE '%00' THEN substr(code, 1, 2) || '0000'
                         ELSE substr(code, 1, 4) || '00' END
    END
$$"""


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.execute(AREA_PARENT_CODE)
    op.create_table(
        "department",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(sa.table("department", sa.column("code"), sa.column("name")),
                   [{"code": code, "name": name} for code, name in DEPARTMENTS])
    op.create_table(
        "unit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=48, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("platform", sa.String(length=24), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("seat_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("location", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False,
                                                   from_text="ST_GeomFromEWKT",
                                                   name="geometry"), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind_known"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["seat_code"], ["area.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_unit_department_code", "unit", ["department_code"])
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])
    op.create_index("ix_unit_seat_code", "unit", ["seat_code"])
    op.create_index("ix_unit_location", "unit", ["location"], postgresql_using="gist")
    op.create_index("uq_unit_centre_seat", "unit", ["seat_code"], unique=True,
                    postgresql_where=sa.text("kind = 'centre' AND is_active"))
    op.create_table(
        "unit_area",
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.String(length=15, collation="C"), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_code"], ["area.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "area_code"),
    )
    op.create_index("ix_unit_area_area_code", "unit_area", ["area_code"])
    op.create_table(
        "membership",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.String(length=24), nullable=False),
        sa.Column("credential_number", sa.String(length=40), nullable=True),
        sa.Column("credential_issuer", sa.String(length=100), nullable=True),
        sa.Column("credential_expires_on", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint(f"position IN ({_in(POSITIONS)})", name="position_known"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "unit_id", "position", name="uq_membership_position"),
    )
    op.create_index("ix_membership_user_id", "membership", ["user_id"])
    op.create_index("ix_membership_unit_position", "membership", ["unit_id", "position"],
                    postgresql_where=sa.text("is_active"))


def downgrade() -> None:
    op.drop_table("membership")
    op.drop_table("unit_area")
    op.drop_table("unit")
    op.drop_table("department")
    op.execute("DROP FUNCTION area_parent_code(text)")
