"""Time to usable on the province (issue 12): bench/pages_usable.py's measure and report,
against the 100,000-grid province of bench/datasets.py ("province") with a year of
incidents and the demo accounts of its first city (the demo city's pages, at a province's
size of data).

    python -m bench.pages_province [--incidents 365000] [--runs 3]

bench/README.md, "Quiet run (2026-12-07 evening)", has the figures.
"""
import argparse

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench import datasets
from bench import pages_usable as pu
from bench.incident_data import ensure_incidents
from core.settings import get_settings


def accounts(url: str, password: str) -> None:
    """The demo accounts of the province's first city and a county supervisor (once)."""
    from core import platforms
    from core.scope import EVERYWHERE
    from core.security import hash_password
    from core.users.demo import create_demo_accounts
    from core.users.service import create_user
    from grid.demo import create_worker_accounts

    platforms.load()
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            if session.scalar(text(
                    "SELECT count(*) FROM app_user WHERE username = 'demo_admin'")):
                return
            city = session.scalar(text("SELECT min(code) FROM area WHERE level = 'city'"))
            create_demo_accounts(session, city_code=city, password=password, prefix="demo")
            create_worker_accounts(session, city_code=city, password=password, prefix="demo")
            county = session.scalar(text(
                "SELECT min(code) FROM area WHERE level = 'county' AND code LIKE :p"),
                {"p": city[:4] + "%"})
            create_user(session, actor="bench", scope=EVERYWHERE, username=pu.SUPERVISOR,
                        password="", password_hash=hash_password(password),
                        role="supervisor", scope_code=county, full_name="区县督导")
            session.commit()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=365_000,
                        help="incidents over the province's year (5,110,000: the demo "
                             "city's rate in each of its 14 cities)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    url = datasets.ensure("province")
    ensure_incidents(url, count=args.incidents, open_share=0.03, days=365, max_age=None)
    accounts(url, settings.demo_password)
    pu.DATABASE = "gridgov_bench_province"
    pu._analyze(url)
    server = pu.patient_server(url, "pages_province", env={
        "RATE_LIMIT_KPIS_PER_MINUTE": "100000", "RATE_LIMIT_WRITES_PER_MINUTE": "100000"})
    try:
        results = pu.measure(server.base, pu.PAGES, args.runs, settings.demo_password)
    finally:
        server.stop()
    with open("/proc/loadavg") as handle:
        pu.console.print(f"load average: {handle.read().split()[:3]}")
    pu.report(results, 1500)


if __name__ == "__main__":
    main()
