"""Accounts, refresh tokens, and the link from grid workers to their accounts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = ("grid_worker", "village_staff", "township_staff", "county_dispatcher",
         "enforcement_officer", "market_inspector", "service_clerk", "proxy_agent",
         "supervisor", "admin")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope_code", sa.String(length=15, collation="C"), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")",
                           name="role_known"),
        sa.ForeignKeyConstraint(["scope_code"], ["area.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_index("ix_app_user_scope_code", "app_user", ["scope_code"])
    op.create_table(
        "refresh_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_refresh_token_user_id", "refresh_token", ["user_id"])
    op.create_index("ix_refresh_token_family", "refresh_token", ["family"])
    op.add_column("grid_worker", sa.Column("user_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key("fk_grid_worker_user_id_app_user", "grid_worker", "app_user",
                          ["user_id"], ["id"], ondelete="SET NULL")
    op.create_index("ix_grid_worker_user_id", "grid_worker", ["user_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_grid_worker_user_id", "grid_worker")
    op.drop_constraint("fk_grid_worker_user_id_app_user", "grid_worker")
    op.drop_column("grid_worker", "user_id")
    op.drop_table("refresh_token")
    op.drop_table("app_user")
