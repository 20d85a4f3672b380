"""Where staff are: each user's newest known fix, whatever recorded it (a grid worker's
patrol today; an officer's or an inspector's phone next), for the maps' staff layers and
for finding the nearest qualified team."""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

import core.users.models  # noqa: F401  (app_user)
from core.db import Base


class StaffPosition(Base):
    """The newest fix of one user; `source` names what recorded it (e.g. patrol 12)."""

    __tablename__ = "staff_position"
    __table_args__ = (Index("ix_staff_position_geom", "geom", postgresql_using="gist"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_type: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column(BigInteger)


# A position moves only to a newer fix (the upsert's condition is re-checked on the row's
# newest version after waiting for its lock: the newest fix wins).
NEWER_FIX_WINS = """ON CONFLICT (user_id) DO UPDATE
        SET geom = EXCLUDED.geom, accuracy_m = EXCLUDED.accuracy_m,
            recorded_at = EXCLUDED.recorded_at, source_type = EXCLUDED.source_type,
            source_id = EXCLUDED.source_id
        WHERE staff_position.recorded_at < EXCLUDED.recorded_at"""


def record_fix(session: Session, *, user_id: int, lon: float, lat: float,
               accuracy_m: float | None, at: datetime, source_type: str | None = None,
               source_id: int | None = None) -> None:
    """The user's position, if this fix is newer than the one known."""
    session.execute(text(f"""
        INSERT INTO staff_position (user_id, geom, accuracy_m, recorded_at, source_type,
                                    source_id)
        VALUES (:user, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :accuracy, :at, :type, :id)
        {NEWER_FIX_WINS}"""),
        {"user": user_id, "lon": lon, "lat": lat, "accuracy": accuracy_m, "at": at,
         "type": source_type, "id": source_id})


def record_fixes_from(session: Session, select_sql: str, params: dict) -> None:
    """Bulk: `select_sql` yields (user_id, geom, accuracy_m, recorded_at, source_type,
    source_id), one row per user, newest first."""
    session.execute(text(f"""
        INSERT INTO staff_position (user_id, geom, accuracy_m, recorded_at, source_type,
                                    source_id)
        {select_sql}
        {NEWER_FIX_WINS}"""), params)
