"""The reports to live: when (office hours busier, weekends and holidays quieter), where
(grids weighted by population, a random point inside) and what (common 小类 such as
暴露垃圾 and 道路不洁 more often; urgency and source by their shares)."""

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid.incidents.enums import Source, Urgency

from .records import Incident
from .world import World

# Reports per hour of the local day, relative (patrols and desks in office hours).
HOUR_WEIGHTS = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1.5, 1.8, 1.8, 1.5,
                0.8, 0.9, 1.6, 1.7, 1.6, 1.3, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2)
OFF_DAY_WEIGHT = 0.7  # weekends and holidays: fewer patrols, the hotline still rings
# The 小类 reported most (the rest weigh OTHER_CATEGORY_WEIGHT each).
CATEGORY_WEIGHTS = {"S0102": 16, "S0104": 12, "S0201": 8, "S0505": 7, "S0506": 5,
                    "S0504": 5, "S0103": 4, "S0106": 3, "S0110": 3, "S0501": 3, "S0507": 3,
                    "S0108": 2, "B0115": 2, "B0303": 2, "Z0102": 2, "Z0401": 2, "Z0402": 2}
OTHER_CATEGORY_WEIGHT = 0.5
URGENCIES = ((Urgency.normal, 0.9), (Urgency.urgent, 0.08), (Urgency.critical, 0.02))
SOURCES = ((Source.grid_worker, 0.6), (Source.hotline, 0.15), (Source.patrol, 0.15),
           (Source.citizen_app, 0.1))


def plan_reports(world: World, rng: np.random.Generator, *, total: int, days: int,
                 now: datetime) -> list[Incident]:
    """`total` reports, oldest first: times by hour of day and kind of day, grids by
    population, 小类 by how common they are, urgency and source by their shares."""
    times = _report_times(world, rng, total=total, days=days, now=now)
    population = world.population + 1.0  # an empty grid still sees the odd report
    grids = rng.choice(len(world.grids), size=total, p=population / population.sum())
    weights = np.array([CATEGORY_WEIGHTS.get(c.code, OTHER_CATEGORY_WEIGHT)
                        for c in world.categories])
    categories = rng.choice(len(world.categories), size=total, p=weights / weights.sum())
    urgencies = _draw(rng, URGENCIES, total)
    sources = _draw(rng, SOURCES, total)
    return [Incident(i, times[i], world.grids[grids[i]], world.categories[categories[i]],
                     urgencies[i], sources[i]) for i in range(total)]


def _report_times(world: World, rng: np.random.Generator, *, total: int, days: int,
                  now: datetime) -> list[datetime]:
    """Hour slots back from `now`, each weighted by its local hour and by whether it is a
    workday on the calendar; a multinomial draw keeps the total exact."""
    start = now.replace(microsecond=0) - timedelta(days=days)
    slots = [start + timedelta(hours=h) for h in range(days * 24)]
    weights = np.array([HOUR_WEIGHTS[local.hour] * (1.0 if world.calendar.is_workday(local.date())
                                                    else OFF_DAY_WEIGHT)
                        for local in (world.calendar.localize(s) for s in slots)])
    counts = rng.multinomial(total, weights / weights.sum())
    seconds = rng.integers(0, 3600, size=total)
    times = [slot + timedelta(seconds=int(s))
             for slot, s in zip(np.repeat(np.array(slots, dtype=object), counts), seconds,
                                strict=True)]
    return sorted(min(t, now - timedelta(seconds=1)) for t in times)


def _draw(rng: np.random.Generator, shares, size: int) -> list[str]:
    values = [str(value) for value, _ in shares]
    p = np.array([share for _, share in shares])
    return [values[i] for i in rng.choice(len(values), size=size, p=p / p.sum())]


def place_reports(session: Session, plans: list[Incident], *, seed: int) -> None:
    """A random point inside each report's grid (PostGIS, seeded: the same every time)."""
    per_grid: dict[int, list[Incident]] = {}
    for incident in plans:
        per_grid.setdefault(incident.grid.id, []).append(incident)
    ids = sorted(per_grid)
    rows = session.execute(text("""
        SELECT c.grid_id, encode(ST_AsEWKB(d.geom), 'hex') AS ewkb
        FROM unnest(CAST(:ids AS bigint[]), CAST(:ns AS int[])) AS c(grid_id, n)
        JOIN area a ON a.id = c.grid_id
        CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(a.geom, c.n, :seed)) AS d
        ORDER BY c.grid_id, d.path[1]"""),
        {"ids": ids, "ns": [len(per_grid[i]) for i in ids], "seed": seed % 2**31 or 1})
    unplaced = {grid_id: iter(incidents) for grid_id, incidents in per_grid.items()}
    for row in rows:
        next(unplaced[row.grid_id]).ewkb = row.ewkb
