"""The benchmark databases: the demo city and the synthetic province, each in its own DB.

Created, migrated and loaded on first use and reused afterwards (checked by counting
areas, and migrated to head on every run, so a reused database gets new indexes too);
`regenerate=True` drops and rebuilds. They live on the server DATABASE_URL points at
(default: the dev server), in databases of their own, so benchmarks never touch dev data.
"""

import time

import psycopg
from rich.console import Console
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from core.migrate import upgrade
from core.progress import stage_bars
from core.settings import Settings, get_settings

CITY_DB = "gridgov_bench_city"
PROVINCE_DB = "gridgov_bench_province"
DATASETS = {"city": CITY_DB, "province": PROVINCE_DB}
PROVINCE_GRIDS = 100_000

err = Console(stderr=True)


def database_url(name: str) -> str:
    """SQLAlchemy URL (postgresql+psycopg) of a bench database on the configured server."""
    url = make_url(get_settings().database_url).set(database=name)
    return url.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def level_counts(url: str) -> dict[str, int]:
    """Areas per level, or {} when the database or the table does not exist."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            rows = conn.execute("SELECT level, count(*) FROM area GROUP BY level").fetchall()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return {}
    return dict(rows)


def ensure(dataset: str, *, regenerate: bool = False, database: str | None = None) -> str:
    """The dataset's database URL, migrated to head; created and loaded if missing,
    incomplete or asked to (`database`: a bench's own copy, e.g. to measure a migration
    edited since the shared one was built)."""
    url = database_url(database or DATASETS[dataset])
    counts = level_counts(url)
    if not regenerate and _complete(dataset, counts):
        upgrade(url)  # a migration since the last run (e.g. 0002's grid-only index)
        return url
    if counts and not regenerate:
        err.print(f"[yellow]{make_url(url).database} is incomplete ({counts}): rebuilding[/]")
    started = time.perf_counter()
    _recreate_database(url)
    if dataset == "city":
        _load_city(url)
    else:
        _load_province(url)
    _vacuum_analyze(url)
    err.print(f"{make_url(url).database}: {level_counts(url)} in "
              f"{time.perf_counter() - started:.0f} s")
    return url


def _complete(dataset: str, counts: dict[str, int]) -> bool:
    if dataset == "province":
        return counts.get("grid") == PROVINCE_GRIDS and counts.get("city") == 14
    return counts.get("city") == 1 and counts.get("grid", 0) > 0


def _recreate_database(url: str) -> None:
    name = make_url(url).database
    admin = make_url(libpq_url(url)).set(database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    upgrade(url)


def _vacuum_analyze(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE area")


def _load_city(url: str) -> None:
    from geo.demo import load_city_areas

    settings: Settings = get_settings()
    engine = create_engine(url)
    try:
        with stage_bars() as update, Session(engine) as session:
            err.print(f"loading the demo city {settings.demo_city} into {make_url(url).database}")
            load_city_areas(session, city_code=settings.demo_city, seed=settings.demo_seed,
                            stage=update)
            session.commit()
    finally:
        engine.dispose()


def _load_province(url: str) -> None:
    from bench.province import province_areas
    from geo.store import insert_areas

    engine = create_engine(url)
    try:
        with stage_bars() as update:
            err.print(f"generating a province of {PROVINCE_GRIDS:,} grids into "
                      f"{make_url(url).database}")
            levels = province_areas(stage=update)
            with Session(engine) as session:
                for level, areas in levels.items():
                    insert_areas(session, areas, chunk=2000,
                                 progress=lambda done, total, level=level:
                                 update(f"insert {level}", done, total))
                session.commit()
    finally:
        engine.dispose()
