"""The tiles benchmark's database: the 100,000-grid province (bench/province.py) with
1,000,000 incidents over it (bench/incident_data.py), in a database of its own,
`gridgov_bench_tiles`, built once and reused.

The province is copied from `gridgov_bench_province` (bench/datasets.py builds it when
missing) with CREATE DATABASE … TEMPLATE, which takes seconds where loading it takes a
minute; when the copy is refused (someone is connected to the template), it is loaded
afresh. The incidents are a year of work, 3 % of it open, as bench/kpis.py has them.
"""

import time

import psycopg
from rich.console import Console
from sqlalchemy import make_url

from bench import datasets
from bench.incident_data import DEFAULT_SEED, describe, ensure_incidents
from core.migrate import upgrade

TILES_DB = "gridgov_bench_tiles"
INCIDENTS = 1_000_000
OPEN_SHARE = 0.03

err = Console(stderr=True)


def ensure_tiles_database(*, regenerate: bool = False, count: int = INCIDENTS,
                          open_share: float = OPEN_SHARE, seed: int = DEFAULT_SEED) -> str:
    """The URL of the province with `count` incidents, migrated to head."""
    url = datasets.database_url(TILES_DB)
    if regenerate or not datasets._complete("province", datasets.level_counts(url)):
        started = time.perf_counter()
        _copy_province(url, regenerate=regenerate)
        err.print(f"{TILES_DB}: the province in {time.perf_counter() - started:.0f} s")
    upgrade(url)
    return ensure_incidents(url, count=count, open_share=open_share, overdue_share=0.01,
                            seed=seed, max_age=None, regenerate=regenerate)


def incident_census(url: str) -> dict:
    data = describe(url)
    return {} if data is None else {**data.counts, "anchor": data.anchor.isoformat()}


def _copy_province(url: str, *, regenerate: bool) -> None:
    template = datasets.ensure("province", regenerate=regenerate)
    name, source = make_url(url).database, make_url(template).database
    admin = make_url(datasets.libpq_url(url)).set(database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            return
        except psycopg.errors.ObjectInUse:
            err.print(f"[yellow]{source} is in use: loading the province into {name}[/]")
    datasets._recreate_database(url)
    datasets._load_province(url)
    datasets._vacuum_analyze(url)
