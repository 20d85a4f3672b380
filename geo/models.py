"""The area hierarchy: one table for every level, city down to grid cell."""

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from geo.enums import LEVELS

LEVEL_VALUES = ", ".join(f"'{level}'" for level in LEVELS)
# The code length each level must have; a table constraint so no path bypasses it.
CODE_LENGTH_RULE = (
    "char_length(code) = CASE level WHEN 'city' THEN 6 WHEN 'county' THEN 6 "
    "WHEN 'township' THEN 9 WHEN 'village' THEN 12 WHEN 'grid' THEN 15 END"
)


class Area(Base):
    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint(f"level IN ({LEVEL_VALUES})", name="level_known"),
        CheckConstraint(CODE_LENGTH_RULE, name="code_length_matches_level"),
        CheckConstraint("code ~ '^[0-9]+$'", name="code_digits"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        # With the "C" collation, btrees on code serve subtree (prefix range) queries.
        Index("ix_area_level_code", "level", "code"),
        Index("ix_area_parent_id", "parent_id"),
        # Locate searches grids only; see migration 0002.
        Index("ix_area_grid_geom", "geom", postgresql_using="gist",
              postgresql_where=text("level = 'grid'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(15, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("area.id", ondelete="RESTRICT")
    )
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float, server_default=text("0"))
    population: Mapped[int | None] = mapped_column(BigInteger)

    parent: Mapped["Area | None"] = relationship(remote_side=[id], lazy="raise")
