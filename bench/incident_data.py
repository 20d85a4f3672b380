"""Incidents for the benchmarks: 1,000,000 by default, over the demo city, generated with
numpy and inserted as arrays (INSERT … SELECT FROM unnest) into a bench database of their
own, reused on later runs.

    from bench.incident_data import describe, ensure_incidents

    url = ensure_incidents()                                  # 1,000,000 open, 1 % due
    url = ensure_incidents(open_share=0.03, max_age=None)     # a year of mostly closed work
    data = describe(url)  # the anchor (the instant the data is relative to), the counts

Every timestamp is relative to the *anchor*, the instant of generation (whole seconds,
UTC), kept in the database with the parameters (table `bench_incident_data`). A database
whose parameters match and whose anchor is younger than `max_age` is reused as it is;
otherwise the incidents are generated anew (85 s for 1,000,000 and their clocks).
Without a URL the database is `gridgov_bench_incidents_<digest of the parameters>`,
created with the demo city on the server DATABASE_URL names (bench/datasets.py), so
benchmarks that want different data never rebuild each other's.

What the data holds (seeded: the same parameters, seed and anchor give the same incidents):

- where: every grid of the database, weighted by a lognormal "activity" (some grids
  report far more than others); the point is the grid's ST_PointOnSurface; the grid's
  first worker answers for it (demo grid workers are created when there are none); a
  小类 drawn with lognormal weights; source and urgency with fixed shares;
- who: the incident is held by its village's centre (`owner_unit_id`; the township's when
  escalated), and, once dispatched, handled by one of 14 departments' unit in its county
  (`handler_unit_id`). The centre of every area from village up and each county's
  department units are made when missing (`_ensure_units`);
- `1 - open_share` are finished, reported over the `days` days before the anchor (more on
  weekdays, mostly in office hours, volume growing by a quarter over the period): 5.5 %
  never filed (作废 or 并单), the others filed ~1.5 h after the report, dispatched to a
  department ~1 h later, handled after ~30 h (lognormal), 7 % reworked (1 %
  twice; ~24 h more each time), verified ~4 h later (on time within 8 h), closed ~2 h later,
  and 70 % of those closed three days before the anchor evaluated with a rating. Overdue
  (ever_overdue) when handling took over 5 days or filing over 8 h, and 2 % more at
  random; 20 % escalated to their township. A timeline that would end after the anchor
  is moved back to end before it;
- `open_share` are open, in a stage drawn from reported 15 %, filed 10 %, returned 3 %,
  dispatched 10 %, handling 40 %, rework 5 %, handled 12 %, suspended 5 %, their events
  laid out backwards from the running step's start. Exactly `overdue_share` of the open
  incidents (1,000,000 × 1 % = 10,000 by default) are due at the anchor, all of them among
  those whose clock runs (not suspended): their step fell due in the hour before it, and
  they are yellow, not yet red (the deadline sweep's work). The others turn neither yellow
  nor red within STABLE_HOURS (24 h) after the anchor, so a sweep at any instant of that
  window finds the same work;
- clocks: every open incident has its step clock in `case_clock` (the kernel's,
  core/workflow/clocks.py: case type and subject "incident", name "step", the 小类's limit
  and citation, the same instants and colour as the incident's mirror columns, not
  escalated), running, or paused with what was left when suspended. No hand-offs, timeline
  or links: those tables are emptied with the incidents.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from core.migrate import upgrade

GENERATOR = 3  # bump when the data this module makes changes: older databases are rebuilt
DEFAULT_SEED = 20261122
STABLE_HOURS = 24
HOUR = 3600.0
DAY = 86400.0
SHANGHAI_OFFSET = 8 * HOUR  # no daylight saving time in China

SOURCES = (("grid_worker", 0.55), ("patrol", 0.15), ("hotline", 0.15), ("citizen_app", 0.12),
           ("inspection", 0.03))
URGENCIES = (("normal", 0.85), ("urgent", 0.12), ("critical", 0.03))
# The departments an incident is dispatched to (migration 0012's `department` codes), most
# work first: the handling unit is that department's unit in the incident's county.
DEPARTMENTS = ("chengguan", "housing", "ecology", "market", "transport", "natural_resources",
               "agriculture", "police", "health", "emergency", "culture", "fire",
               "government_services", "governance")
URGENCY_NAMES = tuple(name for name, _ in URGENCIES)
SOURCE_NAMES = tuple(name for name, _ in SOURCES)
STATE_NAMES = ("reported", "filed", "dispatched", "handling", "handled", "verified",
               "closed", "evaluated", "returned", "rework", "suspended", "void", "merged")
STEP_NAMES = ("filing", "dispatch", "handling", "verification")
DEADLINES = ("green", "yellow", "red")
OPEN_STAGES = (("reported", 0.15), ("filed", 0.10), ("returned", 0.03), ("dispatched", 0.10),
               ("handling", 0.40), ("rework", 0.05), ("handled", 0.12), ("suspended", 0.05))
STEP_OF_STAGE = {"reported": "filing", "filed": "dispatch", "returned": "dispatch",
                 "dispatched": "handling", "handling": "handling", "rework": "handling",
                 "handled": "verification", "suspended": "handling"}
# Calendar hours: a step's limit (for those due at the anchor), how long a step that is not
# due may have run already, and how far beyond the stable window its due time may lie.
LIMIT_H = {"filing": 4, "dispatch": 4, "handling": 72, "verification": 24}
RUNNING_H = {"filing": 2, "dispatch": 3, "handling": 96, "verification": 24}
SPREAD_H = {"filing": 24, "dispatch": 24, "handling": 120, "verification": 48}
WARN_SHARE = 0.8

TIMES = ("reported_at", "filed_at", "dispatched_at", "handled_at", "verified_at", "closed_at",
         "step_started_at", "step_warn_at", "step_due_at", "suspended_at")

err = Console(stderr=True)


@dataclass(frozen=True)
class IncidentData:
    url: str
    params: dict
    anchor: datetime
    counts: dict
    built_seconds: float


# --- the public functions ---------------------------------------------------------------------

def ensure_incidents(url: str | None = None, *, count: int = 1_000_000,
                     open_share: float = 1.0, overdue_share: float = 0.01,
                     seed: int = DEFAULT_SEED, days: int = 365,
                     max_age: timedelta | None = timedelta(hours=STABLE_HOURS - 1),
                     regenerate: bool = False) -> str:
    """The URL of a database holding exactly these incidents (see the module docstring).

    `max_age`: rebuild when the anchor is older (open clocks drift with time: after the
    stable window more of them are due); None reuses the data whatever its age (the
    anchor says what "now" was). `url`: a database with the demo city's areas (migrated
    to head here); by default one of its own, created as needed.
    """
    if not 0 <= open_share <= 1 or not 0 <= overdue_share <= 1 or count < 1 or days < 1:
        raise ValueError("count >= 1, days >= 1, open_share and overdue_share in [0, 1]")
    params = {"generator": GENERATOR, "count": count, "open_share": open_share,
              "overdue_share": overdue_share, "seed": seed, "days": days}
    url = url or _own_database(params)
    upgrade(url)
    current = describe(url)
    fresh = (current is not None and current.params == params
             and current.counts.get("incidents") == count
             and (max_age is None or datetime.now(UTC) - current.anchor <= max_age))
    if fresh and not regenerate:
        return url
    started = time.perf_counter()
    err.print(f"generating {count:,} incidents ({open_share:.0%} open, {overdue_share:.1%} of "
              f"those due) into {_database_name(url)}")
    anchor = datetime.now(UTC).replace(microsecond=0)
    _prepare(url, seed=seed)
    context = _context(url)
    frame = generate(context, count=count, open_share=open_share,
                     overdue_share=overdue_share, seed=seed, days=days, anchor=anchor)
    err.print(f"generated in {time.perf_counter() - started:.0f} s")
    _load(url, frame, reporter_id=context.reporter_id)
    counts = _census(url, anchor)
    _mark(url, params, anchor, counts, time.perf_counter() - started)
    err.print(f"{count:,} incidents in {time.perf_counter() - started:.0f} s: {counts}")
    return url


def describe(url: str) -> IncidentData | None:
    """What ensure_incidents put there: parameters, anchor, counts (None: nothing yet)."""
    with psycopg.connect(_libpq(url)) as conn:
        exists = conn.execute("SELECT to_regclass('bench_incident_data')").fetchone()[0]
        row = conn.execute("SELECT params, anchor, counts, seconds FROM bench_incident_data"
                           ).fetchone() if exists else None
    if row is None:
        return None
    return IncidentData(url, row[0], row[1], row[2], row[3])


# --- the database -----------------------------------------------------------------------------

def _libpq(url: str) -> str:
    from bench.datasets import libpq_url

    return libpq_url(url)


def _database_name(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).database


def _own_database(params: dict) -> str:
    """gridgov_bench_incidents_<digest>: the demo city's areas, loaded when missing."""
    from bench import datasets

    named = {k: v for k, v in params.items() if k != "generator"}  # rebuilt in place
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:8]
    url = datasets.database_url(f"gridgov_bench_incidents_{digest}")
    if not datasets._complete("city", datasets.level_counts(url)):
        datasets._recreate_database(url)
        datasets._load_city(url)
        datasets._vacuum_analyze(url)
    return url


def _prepare(url: str, *, seed: int) -> None:
    """Grid workers for every grid and a reporter account, when the database has none."""
    from grid.demo import load_demo_workers

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            for city in session.scalars(text("SELECT code FROM area WHERE level = 'city' "
                                             "ORDER BY code")).all():
                prefix = city[:4]
                workers = session.scalar(text(
                    "SELECT count(*) FROM grid_worker WHERE staff_code LIKE :p || '%'"),
                    {"p": prefix})
                if workers:
                    continue
                grids, villages = session.execute(text(
                    "SELECT count(*) FILTER (WHERE level = 'grid'), "
                    "count(*) FILTER (WHERE level = 'village') FROM area "
                    "WHERE code LIKE :p || '%'"), {"p": prefix}).one()
                load_demo_workers(session, city_code=city, seed=seed,
                                  workers=min(grids, max(villages, round(grids * 0.81))))
            _ensure_units(session)
            session.execute(text(
                "INSERT INTO app_user (username, password_hash, full_name, role, scope_code, "
                "is_active, version) SELECT 'bench_reporter', '!', '基准测试', 'supervisor', "
                "min(code), true, 1 FROM area WHERE level = 'city' "
                "ON CONFLICT (username) DO NOTHING"))
            session.commit()
    finally:
        engine.dispose()


def _ensure_units(session: Session) -> None:
    """The units incidents are held by and dispatched to, where missing: the centre of
    every area from village up (as migration 0014 makes them, under its parent centre) and
    in each county a unit of each department (core/units/demo.py makes the same and more,
    with the demo accounts, which a bench database has not)."""
    from core.units.demo import DEPARTMENT_PLATFORM

    for level in ("city", "county", "township", "village"):
        session.execute(text("""
            INSERT INTO unit (code, name, kind, platform, department_code, parent_id,
                              seat_code, location)
            SELECT a.code || '-centre', a.name || '网格化服务管理中心', 'centre', 'grid',
                   'governance', p.id, a.code, ST_PointOnSurface(a.geom)
            FROM area a LEFT JOIN unit p ON p.kind = 'centre' AND p.is_active
                 AND p.seat_code = area_parent_code(a.code)
            WHERE a.level = :level
              AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.kind = 'centre' AND u.is_active
                              AND u.seat_code = a.code)"""), {"level": level})
    session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location)
        SELECT a.code || '-department-' || d.code, a.name || d.name, 'department',
               COALESCE((CAST(:platforms AS jsonb)) ->> d.code, 'enforcement'), d.code,
               a.code, ST_PointOnSurface(a.geom)
        FROM area a CROSS JOIN department d
        WHERE a.level = 'county'
          AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.code = a.code || '-department-' || d.code)
        """), {"platforms": json.dumps(DEPARTMENT_PLATFORM)})
    session.execute(text("""
        INSERT INTO unit_area (unit_id, area_code)
        SELECT u.id, u.seat_code FROM unit u
        WHERE NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id)"""))


@dataclass(frozen=True)
class _Context:
    grids: int  # the incidents name a grid by its rank in code order (see _load)
    categories: np.ndarray
    reporter_id: int


def _context(url: str) -> _Context:
    with psycopg.connect(_libpq(url)) as conn:
        grids = conn.execute("SELECT count(*) FROM area WHERE level = 'grid'").fetchone()[0]
        categories = [row[0] for row in conn.execute(
            "SELECT id FROM category WHERE level = 'minor' AND active ORDER BY code")]
        reporter = conn.execute("SELECT id FROM app_user WHERE username = 'bench_reporter'"
                                ).fetchone()[0]
    if not grids or not categories:
        raise RuntimeError("the database needs grids and 小类 categories")
    return _Context(grids, np.array(categories), reporter)


# --- generating ------------------------------------------------------------------------------

def _lognormal(rng: np.random.Generator, median_h: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(np.log(median_h * HOUR), sigma, n)


def _choice(rng: np.random.Generator, options, n: int) -> np.ndarray:
    names, weights = zip(*options, strict=True)
    return rng.choice(np.array(names, dtype=object), size=n, p=np.array(weights) / sum(weights))


def _report_instants(rng: np.random.Generator, n: int, *, days: int, anchor: float
                     ) -> np.ndarray:
    """Epoch seconds over the `days` days (Shanghai calendar) up to the anchor: a linear
    growth of a quarter over the period, weekends at 60 %, mostly office hours."""
    growth = 0.25
    anchor_day = datetime.fromtimestamp(anchor + SHANGHAI_OFFSET, UTC).date()
    first = anchor_day - timedelta(days=days - 1)
    base = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp() \
        - SHANGHAI_OFFSET
    chosen: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    have = 0
    while have < n:
        u = rng.random(2 * n)
        t = (-1 + np.sqrt(1 + growth * (2 + growth) * u)) / growth  # density ∝ 1 + g t
        day = np.minimum((t * days).astype(np.int64), days - 1)
        weekend = (first.weekday() + day) % 7 >= 5
        keep = day[~weekend | (rng.random(len(day)) < 0.6)]
        chosen.append(keep)
        have += len(keep)
    day = np.concatenate(chosen)[:n]
    office = rng.random(n) < 0.85
    hour = rng.normal(10.5, 2.8, n)
    hour = np.where((hour < 7) | (hour > 21), rng.uniform(8, 18, n), hour)
    hour = np.where(office, hour, rng.uniform(0, 24, n))
    instants = base + day * DAY + hour * HOUR
    late = instants >= anchor - 60
    instants[late] = anchor - rng.uniform(60, 6 * HOUR, late.sum())
    return instants


def generate(context: _Context, *, count: int, open_share: float, overdue_share: float,
             seed: int, days: int, anchor: datetime) -> pd.DataFrame:
    """The incidents as a frame of numbers, one column per array _load sends: instants
    in epoch seconds (NaN for none), names as their index in the vocabularies."""
    rng = np.random.default_rng(seed)
    now = anchor.timestamp()
    n = count
    nan = np.full(n, np.nan)

    activity = rng.lognormal(0, 0.7, context.grids)
    grid = rng.choice(context.grids, size=n, p=activity / activity.sum())
    category_weights = rng.lognormal(0, 1.0, len(context.categories))
    category = rng.choice(context.categories, size=n,
                          p=category_weights / category_weights.sum())
    escalated = rng.random(n) < 0.2

    frame = {name: nan.copy() for name in TIMES}
    state = np.empty(n, dtype=object)
    step = np.full(n, None, dtype=object)
    deadline = np.full(n, "green", dtype=object)
    unit = np.full(n, None, dtype=object)
    ever_overdue = np.zeros(n, dtype=bool)
    verified_on_time = np.full(n, None, dtype=object)
    suspended_from = np.full(n, None, dtype=object)
    remaining = nan.copy()
    warn_remaining = nan.copy()
    rework = np.zeros(n, dtype=np.int64)
    returns = np.zeros(n, dtype=np.int64)
    rating = np.full(n, None, dtype=object)

    n_open = round(n * open_share)
    is_open = np.zeros(n, dtype=bool)
    is_open[rng.permutation(n)[:n_open]] = True
    done = np.flatnonzero(~is_open)
    opened = np.flatnonzero(is_open)

    # --- finished: forward from the report -------------------------------------------------
    m = len(done)
    reported = _report_instants(rng, m, days=days, anchor=now)
    never_filed = rng.random(m) < 0.055
    filing = _lognormal(rng, 1.5, 0.9, m)
    dispatch = _lognormal(rng, 1.0, 0.8, m)
    handling = _lognormal(rng, 30, 1.0, m)
    r = rng.random(m)
    reworks = (r < 0.07).astype(np.int64) + (r < 0.01)
    handling = handling + reworks * (_lognormal(rng, 24, 0.8, m) + _lognormal(rng, 4, 0.6, m))
    verify = _lognormal(rng, 4, 0.6, m)
    close = _lognormal(rng, 2, 0.8, m)
    filed = reported + filing
    dispatched = filed + dispatch
    handled = dispatched + handling
    verified = handled + verify
    closed = verified + close
    void_at = reported + _lognormal(rng, 2, 0.8, m)
    last = np.where(never_filed, void_at, closed)
    shift = np.where(last >= now - 60, last - now + rng.uniform(60, 2 * HOUR, m), 0.0)
    reported, filed, dispatched, handled, verified, closed = (
        t - shift for t in (reported, filed, dispatched, handled, verified, closed))
    filed_ok = ~never_filed
    frame["reported_at"][done] = reported
    for name, values in (("filed_at", filed), ("dispatched_at", dispatched),
                         ("handled_at", handled), ("verified_at", verified),
                         ("closed_at", closed)):
        frame[name][done] = np.where(filed_ok, values, np.nan)
    merged = rng.random(m) < 0.3
    evaluated = filed_ok & (closed < now - 3 * DAY) & (rng.random(m) < 0.7)
    state[done] = np.where(never_filed, np.where(merged, "merged", "void"),
                           np.where(evaluated, "evaluated", "closed"))
    rating[done[evaluated]] = rng.choice([5, 4, 3, 2, 1], size=evaluated.sum(),
                                         p=[0.55, 0.3, 0.1, 0.03, 0.02])
    unit[done[filed_ok]] = _departments(rng, filed_ok.sum())
    ever_overdue[done] = filed_ok & ((handling > 120 * HOUR) | (filing > 8 * HOUR)
                                     | (rng.random(m) < 0.02))
    verified_on_time[done[filed_ok]] = verify[filed_ok] <= 8 * HOUR
    rework[done] = np.where(filed_ok, reworks, 0)

    # --- open: backwards from the running step's start ---------------------------------------
    k = len(opened)
    stage = _choice(rng, OPEN_STAGES, k)
    steps = np.array([STEP_OF_STAGE[s] for s in stage], dtype=object)
    running = stage != "suspended"
    due_now = np.zeros(k, dtype=bool)
    runners = np.flatnonzero(running)  # overdue_share of all open ones, among these
    due_now[runners[rng.permutation(len(runners))[:round(k * overdue_share)]]] = True
    limit = np.array([LIMIT_H[s] for s in steps]) * HOUR
    ran = np.array([RUNNING_H[s] for s in steps]) * HOUR * rng.uniform(0.01, 1, k)
    spread = np.array([SPREAD_H[s] for s in steps]) * HOUR * rng.random(k)
    stable = now + STABLE_HOURS * HOUR
    due = np.where(due_now, now - rng.uniform(1, HOUR, k), stable + 60 + spread)
    started = np.where(due_now, due - limit, now - ran)
    warn = np.where(due_now, started + WARN_SHARE * limit,
                    stable + 60 + WARN_SHARE * spread)
    suspended_at = now - rng.uniform(HOUR, 10 * DAY, k)
    started = np.where(running, started, suspended_at - rng.uniform(HOUR, 3 * DAY, k))
    due = np.where(running, due, started + limit)
    warn = np.where(running, warn, started + WARN_SHARE * limit)

    o_filing = _lognormal(rng, 1.5, 0.9, k)
    o_dispatch = _lognormal(rng, 1.0, 0.8, k)
    o_handling = _lognormal(rng, 30, 1.0, k)
    o_verify = _lognormal(rng, 4, 0.6, k)
    o_reported, o_filed, o_dispatched, o_handled = (np.full(k, np.nan) for _ in range(4))
    at_dispatch = np.isin(stage, ["dispatched", "handling", "suspended"])
    o_dispatched[at_dispatch] = started[at_dispatch]
    returned = stage == "returned"
    o_dispatched[returned] = started[returned] - rng.uniform(HOUR, DAY, returned.sum())
    reworked = stage == "rework"
    o_handled[reworked] = started[reworked] - o_verify[reworked]
    o_dispatched[reworked] = o_handled[reworked] - o_handling[reworked]
    handled_stage = stage == "handled"
    o_handled[handled_stage] = started[handled_stage]
    o_dispatched[handled_stage] = started[handled_stage] - o_handling[handled_stage]
    has_dispatch = ~np.isnan(o_dispatched)
    o_filed[has_dispatch] = o_dispatched[has_dispatch] - o_dispatch[has_dispatch]
    filed_stage = stage == "filed"
    o_filed[filed_stage] = started[filed_stage]
    has_filed = ~np.isnan(o_filed)
    o_reported[has_filed] = o_filed[has_filed] - o_filing[has_filed]
    reported_stage = stage == "reported"
    o_reported[reported_stage] = started[reported_stage]

    for name, values in (("reported_at", o_reported), ("filed_at", o_filed),
                         ("dispatched_at", o_dispatched), ("handled_at", o_handled),
                         ("step_started_at", started), ("step_warn_at", warn),
                         ("step_due_at", due)):
        frame[name][opened] = values
    frame["suspended_at"][opened[~running]] = suspended_at[~running]
    state[opened] = stage
    step[opened] = steps
    # Due at the anchor: warned (yellow), not yet red. Suspended: the colour it stopped at.
    deadline[opened] = np.where(
        running, np.where(due_now, "yellow", "green"),
        np.where(suspended_at >= due, "red", np.where(suspended_at >= warn, "yellow", "green")))
    unit[opened[has_dispatch]] = _departments(rng, has_dispatch.sum())
    rework[opened] = reworked.astype(np.int64)
    returns[opened] = returned.astype(np.int64)
    suspended_from[opened[~running]] = "handling"
    remaining[opened[~running]] = np.maximum(0, due - suspended_at)[~running]
    warn_remaining[opened[~running]] = np.maximum(0, warn - suspended_at)[~running]

    events = sum(~np.isnan(frame[name]) for name in
                 ("filed_at", "dispatched_at", "handled_at", "verified_at", "closed_at"))
    out = {
        "grid": grid, "category_id": category,
        "urgency": _codes(_choice(rng, URGENCIES, n), URGENCY_NAMES),
        "source": _codes(_choice(rng, SOURCES, n), SOURCE_NAMES),
        "state": _codes(state, STATE_NAMES), "version": 1 + events + rework + returns,
        "escalated": escalated, "unit": _codes(unit, DEPARTMENTS),
        "step": _codes(step, STEP_NAMES), "deadline": _codes(deadline, DEADLINES),
        "ever_overdue": ever_overdue,
        "on_time": np.array([-1 if v is None else int(v) for v in verified_on_time]),
        "suspended": suspended_from != None,  # noqa: E711  (elementwise)
        "remaining": remaining, "warn_remaining": warn_remaining, "rework": rework,
        "returns": returns, "rating": np.array([-1 if v is None else v for v in rating]),
    }
    for name in TIMES:
        out[name] = np.floor(frame[name])
    return pd.DataFrame(out)


def _codes(values: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Each value's index in `names`, -1 for None (SQL: (names)[code + 1], null for 0)."""
    return pd.Categorical(values, categories=names).codes.astype(np.int64)


def _departments(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = 1 / np.arange(1, len(DEPARTMENTS) + 1) ** 0.8  # a few take most work
    return rng.choice(np.array(DEPARTMENTS, dtype=object), size=n, p=weights / weights.sum())


# --- loading ---------------------------------------------------------------------------------

# The generated rows go into a temporary table with a binary COPY, made by numpy in one
# piece per chunk (every field has a fixed width: NaN stands for a missing instant, -1 for
# a missing name or number), then into incident with one INSERT … SELECT that turns codes
# back into names and joins each row's grid (and its centres) and its handling unit. A CSV
# of the same rows took two minutes. Incident k of the frame gets id k + 1, so its clock
# finds it without a second look-up.
INSERT_SQL = """
    INSERT INTO incident (id, category_id, urgency, source, description, address, geom,
        grid_id, grid_code, responsible_worker_id, reporter_id, state, version, owner_unit_id,
        owner_code, owner_platform, handler_unit_id, reported_at, filed_at, dispatched_at,
        handled_at, verified_at, closed_at, step, step_started_at, step_warn_at, step_due_at,
        deadline, ever_overdue, verified_on_time, suspended_from, rework_count, return_count,
        escalation_count, rating, duplicate_candidates)
    SELECT v.n + 1, v.category_id, (%(urgencies)s::text[])[v.urgency + 1],
        (%(sources)s::text[])[v.source + 1], '基准测试事件', '', g.point, g.id, g.code,
        g.worker, %(reporter)s, (%(states)s::text[])[v.state + 1], v.version,
        CASE WHEN v.escalated THEN g.township_centre ELSE g.village_centre END,
        CASE WHEN v.escalated THEN left(g.code, 9) ELSE left(g.code, 12) END, 'grid',
        h.unit_id, {times}, (%(steps)s::text[])[v.step + 1], {step_times},
        (%(deadlines)s::text[])[v.deadline + 1], v.ever_overdue,
        CASE v.on_time WHEN 1 THEN true WHEN 0 THEN false END,
        CASE WHEN v.suspended THEN 'handling' END, v.rework, v.returns,
        v.escalated::int, NULLIF(v.rating, -1), '[]'::jsonb
    FROM bench_incident_rows v JOIN bench_grid g ON g.k = v.grid
    LEFT JOIN bench_handler h ON h.county = left(g.code, 6) AND h.k = v.unit
    ORDER BY v.n"""
# Every open incident's running step clock (core/workflow/clocks.py; paused while 挂账),
# as the kernel keeps it: its rule from the 小类, the instants the incident mirrors.
CLOCKS_SQL = """
    INSERT INTO case_clock (subject_type, subject_id, case_type, name, "limit", citation,
        started_at, warn_at, due_at, colour, escalated, paused_at, paused_seconds,
        remaining_seconds, warn_remaining_seconds, late)
    SELECT 'incident', i.id, 'incident', 'step',
        COALESCE(c.time_limits -> i.urgency ->> i.step, ''),
        COALESCE(NULLIF(c.standard, ''), '事项') || ' ' || c.code || ' ' || c.name,
        i.step_started_at, i.step_warn_at, i.step_due_at, i.deadline, false,
        {suspended_at}, 0, NULLIF(v.remaining, 'NaN'), NULLIF(v.warn_remaining, 'NaN'), false
    FROM bench_incident_rows v JOIN incident i ON i.id = v.n + 1
    JOIN category c ON c.id = i.category_id
    WHERE i.step IS NOT NULL
    ORDER BY i.id"""
# The columns of the generated frame, as the temporary table types them.
ROW_TYPES = {"grid": "int", "category_id": "bigint", "urgency": "int", "source": "int",
               "state": "int", "version": "int", "escalated": "bool", "unit": "int",
               "step": "int", "deadline": "int", "ever_overdue": "bool", "on_time": "int",
               "suspended": "bool", "remaining": "float8", "warn_remaining": "float8",
               "rework": "int", "returns": "int", "rating": "int",
               **{name: "float8" for name in TIMES}}


NUMPY_TYPES = {"int": ">i4", "bigint": ">i8", "float8": ">f8", "bool": "u1"}


def _instant(name: str) -> str:
    return f"to_timestamp(NULLIF(v.{name}, 'NaN'))"


def _insert_sql() -> str:
    return INSERT_SQL.format(
        times=", ".join(_instant(n) for n in ("reported_at", "filed_at", "dispatched_at",
                                              "handled_at", "verified_at", "closed_at")),
        step_times=", ".join(_instant(n) for n in ("step_started_at", "step_warn_at",
                                                   "step_due_at")))


def _copy_rows(conn: psycopg.Connection, frame: pd.DataFrame, *, chunk: int) -> None:
    """The frame into TEMP bench_incident_rows, as PostgreSQL's binary COPY format: a
    header, per row a field count and (length, big-endian value) per field, a trailer."""
    fields = {"n": "bigint", **ROW_TYPES}
    conn.execute("CREATE TEMP TABLE bench_incident_rows ("
                 + ", ".join(f"{name} {kind}" for name, kind in fields.items())
                 + ") ON COMMIT DROP")
    layout = [("fields", ">i2")]
    for name, kind in fields.items():
        layout += [(f"{name}_size", ">i4"), (name, NUMPY_TYPES[kind])]
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension
    with conn.cursor().copy(f"COPY bench_incident_rows ({', '.join(fields)}) "
                            "FROM STDIN (FORMAT binary)") as copy:
        copy.write(header)
        for start in range(0, len(frame), chunk):
            part = frame.iloc[start:start + chunk]
            records = np.empty(len(part), dtype=layout)
            records["fields"] = len(fields)
            for name, kind in fields.items():
                records[f"{name}_size"] = np.dtype(NUMPY_TYPES[kind]).itemsize
                records[name] = (np.arange(start, start + len(part)) if name == "n"
                                 else part[name].to_numpy())
            copy.write(records.tobytes())
        copy.write(b"\xff\xff")  # the trailer: a field count of -1


# Emptied before a load: the incidents and everything the kernel keeps about them.
KERNEL_TABLES = ("case_clock", "handoff", "timeline_event", "case_link", "attachment")
LOADED = ("incident", "case_clock")  # their indexes and foreign keys are rebuilt after


def _constraints(conn: psycopg.Connection, table: str) -> tuple[list, list]:
    """A table's secondary indexes (those no constraint owns) and its foreign keys."""
    indexes = conn.execute("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = %(t)s
          AND indexname::regclass NOT IN (SELECT conindid FROM pg_constraint
                                         WHERE conrelid = %(t)s::regclass)
        ORDER BY indexname""", {"t": table}).fetchall()
    foreign_keys = conn.execute("""
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %(t)s::regclass AND contype = 'f' ORDER BY conname""",
                                {"t": table}).fetchall()
    return indexes, foreign_keys


def _load(url: str, frame: pd.DataFrame, *, reporter_id: int, chunk: int = 100_000) -> None:
    """TRUNCATE; drop the secondary indexes and the foreign keys of incident and
    case_clock, insert the incidents and their clocks, add them back; VACUUM ANALYZE."""
    vocabulary = {"urgencies": list(URGENCY_NAMES), "sources": list(SOURCE_NAMES),
                  "states": list(STATE_NAMES), "steps": list(STEP_NAMES),
                  "deadlines": list(DEADLINES), "reporter": reporter_id}
    with psycopg.connect(_libpq(url)) as conn:
        # Foreign keys too: checked row by row they take three minutes for 1,000,000
        # rows, added back afterwards they are checked in one pass each.
        dropped = {table: _constraints(conn, table) for table in LOADED}
        conn.execute(f"TRUNCATE incident, {', '.join(KERNEL_TABLES)} RESTART IDENTITY CASCADE")
        for table, (indexes, foreign_keys) in dropped.items():
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            for name, _ in foreign_keys:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        _lookups(conn)
        started = time.perf_counter()
        _copy_rows(conn, frame, chunk=chunk)
        conn.execute(_insert_sql(), vocabulary)
        conn.execute("SELECT setval(pg_get_serial_sequence('incident', 'id'), "
                     "(SELECT max(id) FROM incident))")
        conn.execute(CLOCKS_SQL.format(suspended_at=_instant("suspended_at")))
        inserted = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for table, (indexes, foreign_keys) in dropped.items():
            for _, definition in indexes:
                conn.execute(definition)
            for name, definition in foreign_keys:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        conn.commit()
        indexed = time.perf_counter()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE incident, case_clock, handoff")
    count = sum(len(indexes) for indexes, _ in dropped.values())
    keys = sum(len(foreign_keys) for _, foreign_keys in dropped.values())
    err.print(f"inserted in {inserted - started:.0f} s, {count} indexes and {keys} foreign "
              f"keys in {indexed - inserted:.0f} s, vacuumed in "
              f"{time.perf_counter() - indexed:.0f} s")


def _lookups(conn: psycopg.Connection) -> None:
    """What INSERT_SQL joins: grid k of the generator is the k-th grid in code order (its
    id, point, worker and the centres of its village and township), and each county's unit
    of each department.

    Statistics first: workers _prepare has just inserted have none, and without them the
    per-grid worker lookup walks every worker for each grid (hours on the 100,000-grid
    province, seconds once analysed)."""
    conn.execute("ANALYZE area, grid_worker, grid_assignment, unit")
    conn.execute("""
        CREATE TEMP TABLE bench_grid ON COMMIT DROP AS
        SELECT (row_number() OVER (ORDER BY a.code) - 1)::int AS k, a.id, a.code,
               ST_PointOnSurface(a.geom) AS point,
               (SELECT w.id FROM grid_worker w JOIN grid_assignment ga
                ON ga.worker_id = w.id WHERE ga.grid_id = a.id
                ORDER BY w.staff_code LIMIT 1) AS worker,
               (SELECT u.id FROM unit u WHERE u.kind = 'centre' AND u.is_active
                AND u.seat_code = left(a.code, 12)) AS village_centre,
               (SELECT u.id FROM unit u WHERE u.kind = 'centre' AND u.is_active
                AND u.seat_code = left(a.code, 9)) AS township_centre
        FROM area a WHERE a.level = 'grid'""")
    conn.execute("""
        CREATE TEMP TABLE bench_handler ON COMMIT DROP AS
        SELECT u.seat_code AS county, (d.k - 1)::int AS k, u.id AS unit_id
        FROM unnest(%(departments)s::text[]) WITH ORDINALITY AS d(code, k)
        JOIN unit u ON u.kind = 'department' AND u.department_code = d.code
                   AND length(u.seat_code) = 6""", {"departments": list(DEPARTMENTS)})


def _census(url: str, anchor: datetime) -> dict:
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute("""
            SELECT count(*),
                   count(*) FILTER (WHERE state NOT IN ('closed', 'evaluated', 'void', 'merged')),
                   count(*) FILTER (WHERE state IN ('reported', 'filed', 'returned', 'dispatched',
                                    'handling', 'rework', 'handled') AND step_due_at <= %s),
                   count(*) FILTER (WHERE closed_at IS NOT NULL),
                   min(reported_at), max(reported_at)
            FROM incident""", (anchor,)).fetchone()
        clocks = conn.execute("""
            SELECT count(*) FILTER (WHERE paused_at IS NULL),
                   count(*) FILTER (WHERE paused_at IS NULL AND due_at <= %s)
            FROM case_clock WHERE case_type = 'incident' AND stopped_at IS NULL""",
                              (anchor,)).fetchone()
    return {"incidents": row[0], "open": row[1], "due_at_anchor": row[2], "closed": row[3],
            "clocks_running": clocks[0], "clocks_due_at_anchor": clocks[1],
            "first_report": row[4].isoformat() if row[4] else None,
            "last_report": row[5].isoformat() if row[5] else None}


def _mark(url: str, params: dict, anchor: datetime, counts: dict, seconds: float) -> None:
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_incident_data (params jsonb NOT NULL, "
                     "anchor timestamptz NOT NULL, counts jsonb NOT NULL, "
                     "seconds float8 NOT NULL, built_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("DELETE FROM bench_incident_data")
        conn.execute("INSERT INTO bench_incident_data (params, anchor, counts, seconds) "
                     "VALUES (%s, %s, %s, %s)",
                     (json.dumps(params), anchor, json.dumps(counts), seconds))


def shanghai_day(moment: datetime) -> date:
    """The calendar day of an instant in Asia/Shanghai."""
    return (moment.astimezone(UTC) + timedelta(hours=8)).date()
