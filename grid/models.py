"""Grid staff (网格员): who patrols which grid cells."""

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

import core.users.models  # noqa: F401  (app_user, which user_id refers to)
from core.db import Base

# A worker may look after several grids, and a grid may have several workers.
grid_assignment = Table(
    "grid_assignment",
    Base.metadata,
    Column("worker_id", BigInteger, ForeignKey("grid_worker.id", ondelete="CASCADE"),
           primary_key=True),
    Column("grid_id", BigInteger, ForeignKey("area.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class GridWorker(Base):
    __tablename__ = "grid_worker"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # Staff number: the village code + a 3-digit sequence, so a subtree query finds them.
    staff_code: Mapped[str] = mapped_column(String(15, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    # The worker's login, when the worker has one (a grid worker's scope is their grids).
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("app_user.id", ondelete="SET NULL"), unique=True, index=True)
