"""Writing areas: one bulk path shared by file import, the demo city and the benchmarks."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from shapely import MultiPolygon, Polygon, to_wkb
from sqlalchemy import text
from sqlalchemy.orm import Session

Progress = Callable[[int, int], None]

_INSERT = text(
    """
    INSERT INTO area (code, name, level, parent_id, geom, area_m2, population)
    SELECT :code, :name, :level,
           (SELECT id FROM area WHERE code = :parent_code),
           g, ST_Area(g::geography), :population
    FROM (SELECT ST_Multi(ST_GeomFromWKB(:wkb, 4326)) AS g) AS new
    """
)


@dataclass(frozen=True)
class NewArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    geom: Polygon | MultiPolygon  # WGS84, valid
    population: int | None = None


def insert_areas(
    session: Session, areas: Sequence[NewArea], *, progress: Progress | None = None,
    chunk: int = 500,
) -> int:
    """Insert areas (parents before children); flushes, never commits."""
    total = len(areas)
    for start in range(0, total, chunk):
        batch = areas[start : start + chunk]
        session.execute(_INSERT, [_row(area) for area in batch])
        if progress:
            progress(min(start + chunk, total), total)
    return total


def _row(area: NewArea) -> dict:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent_code": area.parent_code,
        "wkb": to_wkb(area.geom),
        "population": area.population,
    }


def existing_codes(session: Session, codes: Iterable[str]) -> set[str]:
    rows = session.execute(
        text("SELECT code FROM area WHERE code = ANY(:codes)"), {"codes": list(codes)}
    )
    return {row.code for row in rows}
