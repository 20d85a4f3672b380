"""Patrols: the tracks grid workers walk (points uploaded late and idempotently) and each
worker's newest position, which the map's `staff` layer reads.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _point() -> geoalchemy2.Geometry:
    return geoalchemy2.Geometry(geometry_type="POINT", srid=4326, spatial_index=False,
                                from_text="ST_GeomFromEWKT", name="geometry", nullable=False)


def upgrade() -> None:
    op.create_table(
        "patrol",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.BigInteger(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at",
                           name=op.f("ck_patrol_ends_after_start")),
        sa.ForeignKeyConstraint(["worker_id"], ["grid_worker.id"],
                                name=op.f("fk_patrol_worker_id_grid_worker"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol")),
        sa.UniqueConstraint("worker_id", "client_key", name="uq_patrol_client_key"),
    )
    op.create_index(op.f("ix_patrol_worker_id"), "patrol", ["worker_id"])
    op.create_table(
        "patrol_point",
        sa.Column("patrol_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("geom", _point(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0",
                           name=op.f("ck_patrol_point_accuracy_positive")),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrol.id"],
                                name=op.f("fk_patrol_point_patrol_id_patrol"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("patrol_id", "recorded_at", name=op.f("pk_patrol_point")),
    )
    op.create_table(
        "staff_position",
        sa.Column("worker_id", sa.BigInteger(), nullable=False),
        sa.Column("geom", _point(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patrol_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrol.id"],
                                name=op.f("fk_staff_position_patrol_id_patrol"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["worker_id"], ["grid_worker.id"],
                                name=op.f("fk_staff_position_worker_id_grid_worker"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_staff_position")),
    )
    op.create_index("ix_staff_position_geom", "staff_position", ["geom"],
                    postgresql_using="gist")
    op.create_index(op.f("ix_staff_position_patrol_id"), "staff_position", ["patrol_id"])


def downgrade() -> None:
    op.drop_table("staff_position")
    op.drop_table("patrol_point")
    op.drop_table("patrol")
