"""The `gridgov` command line. Every command reads DATABASE_URL (and REDIS_URL) from the
environment through core.settings; long work shows a progress bar.

It lives in api/ because it is an edge like the HTTP API: it wires every package together.
This module makes the `gridgov` app (the entry point in pyproject.toml, and `python -m
api.cli`) with the commands that run or keep the whole system (db, serve, worker, backup,
restore); each command group is its own module, api/cli_<group>.py, and each installed
platform adds its own groups.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli_areas import areas_app
from api.cli_audit import audit_app
from api.cli_calendar import calendar_app
from api.cli_demo import demo_app
from api.cli_incidents import incidents_app
from api.cli_output import err
from api.cli_output import fail as _fail
from api.cli_units import units_app
from api.cli_users import users_app
from core.errors import DomainError
from core.settings import get_settings

app = typer.Typer(help="gridgov: grassroots governance on a map.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(areas_app, name="areas")
app.add_typer(demo_app, name="demo")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(calendar_app, name="calendar")
app.add_typer(incidents_app, name="incidents")
app.add_typer(units_app, name="units")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Run the Alembic migrations up to REVISION (default: head)."""
    from core.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    err.print(f"database at revision {revision}")


@app.command()
def serve(
    host: str = "127.0.0.1", port: int = 8000, reload: bool = False,
    workers: Annotated[int, typer.Option(
        envvar="WEB_CONCURRENCY", min=1,
        help="server processes: one a core (a request's Python work holds one core)")] = 1,
) -> None:
    """Serve the API and the map pages."""
    import uvicorn

    err.print(f"gridgov on http://{host}:{port}/map  (API docs: http://{host}:{port}/docs)")
    # proxy_headers off: X-Forwarded-For is the app's to believe, from settings.trusted_proxies
    # only (api/auth.py); uvicorn's default believes it from 127.0.0.1.
    uvicorn.run("api.main:app", host=host, port=port, reload=reload, log_level="info",
                proxy_headers=False, workers=1 if reload else workers)


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
