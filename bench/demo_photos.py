"""What the demo history's photos (grid/incidents/history/photos.py) cost `make demo`.

The same history (same seed, same `now`) is generated twice in the same process, each in a
transaction rolled back at the end: once as `gridgov demo load` makes it, with its photos,
and once with `write_photos` replaced by a no-op, the baseline. Printed: the seconds of
each, their ratio, and the photo rows and files written. Alternating runs (`--repeats`)
keep the machine's load from favouring one side.

Data: a database of its own, `gridgov_bench_demo_photos`, holding the demo city without
history (made on first use, ~1 min; `--regenerate` rebuilds it). The photo files go to a
temporary media folder, removed at the end.

    .venv/bin/python bench/demo_photos.py                   # 10 days x 1,000 a day, 2 repeats
    .venv/bin/python bench/demo_photos.py --days 3 --per-day 500 --repeats 1
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import _recreate_database, database_url, libpq_url  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.settings import get_settings  # noqa: E402

DB = "gridgov_bench_demo_photos"


def ensure_database(*, regenerate: bool) -> str:
    url = database_url(DB)
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            ready = conn.execute("SELECT count(*) FROM grid_worker WHERE user_id IS NOT NULL"
                                 ).fetchone()[0] > 0
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        ready = False
    if ready and not regenerate:
        upgrade(url)
        return url
    _recreate_database(url)
    from grid.demo import load_demo

    settings = get_settings()
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            load_demo(session, city_code=settings.demo_city, counts=None,
                      seed=settings.demo_seed, password=settings.demo_password)
            session.commit()
    finally:
        engine.dispose()
    return url


def one_run(url: str, *, days: int, per_day: int, photos: bool, now: datetime,
            media_dir: str) -> tuple[float, int]:
    """Seconds of one history generation (rolled back) and the photo rows it wrote."""
    import grid.incidents.history as history

    settings = get_settings().model_copy(update={"media_dir": media_dir})
    engine = create_engine(url)
    patch = (mock.patch.object(history, "write_photos", lambda *a, **k: 0) if not photos
             else mock.patch.object(history, "write_photos", history.write_photos))
    try:
        with engine.connect() as connection, patch:
            transaction = connection.begin()
            session = Session(bind=connection)
            started = time.perf_counter()
            counts = history.generate_history(session, city_code=settings.demo_city,
                                              days=days, per_day=per_day,
                                              seed=settings.demo_seed, now=now,
                                              settings=settings)
            session.flush()
            seconds = time.perf_counter() - started
            transaction.rollback()
    finally:
        engine.dispose()
    return seconds, counts.photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    url = ensure_database(regenerate=args.regenerate)
    now = datetime.now(UTC)
    timings = {True: [], False: []}
    rows = 0
    with tempfile.TemporaryDirectory(prefix="gridgov-demo-photos-") as media:
        for _ in range(args.repeats):
            for photos in (False, True):
                seconds, written = one_run(url, days=args.days, per_day=args.per_day,
                                           photos=photos, now=now, media_dir=media)
                timings[photos].append(seconds)
                rows = max(rows, written)
        files = sum(1 for path in Path(media).rglob("*.jpg"))
        size = sum(path.stat().st_size for path in Path(media).rglob("*.jpg"))
    base, with_photos = (statistics.median(timings[k]) for k in (False, True))
    incidents = args.days * args.per_day
    print(f"history of {incidents:,} incidents (median of {args.repeats}):")
    print(f"  without photos (baseline) {base:7.2f} s")
    print(f"  with photos               {with_photos:7.2f} s   x{with_photos / base:.3f}"
          f"   (+{with_photos - base:.2f} s)")
    print(f"  photo rows {rows:,}; files {files} ({size / 1024:.0f} KiB in all)")


if __name__ == "__main__":
    main()
