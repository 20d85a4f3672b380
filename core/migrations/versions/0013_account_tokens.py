"""Accounts: a token epoch, so that a logout, a password change or a deactivation revokes
every token of the account at once (access tokens carry the epoch they were issued in).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("token_epoch", sa.BigInteger(), nullable=False,
                                        server_default="0"))


def downgrade() -> None:
    op.drop_column("app_user", "token_epoch")
