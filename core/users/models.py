"""Accounts and their refresh tokens."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.users.enums import Role

ROLE_VALUES = ", ".join(f"'{role}'" for role in Role)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(32))
    # The area whose subtree the user sees and acts in. Its foreign key to area.code is in
    # the migration only: core may not import geo, where the area table is mapped.
    scope_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))  # GB 11643, validated on input
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Access tokens carry the epoch they were issued in; raising it (logout, a new
    # password, deactivation) refuses every token issued before, at the next request.
    # Not part of `version`: a logout must not make an admin's pending edit stale.
    token_epoch: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Optimistic concurrency: an edit names the version it read; a stale one gets 409.
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class RefreshToken(Base):
    """One issued refresh token, stored as a hash; rotation links each to its successor.

    Tokens of one login share a family: presenting a rotated-out token means it was
    stolen or replayed, and the whole family is revoked.
    """

    __tablename__ = "refresh_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[str | None] = mapped_column(String(64))
