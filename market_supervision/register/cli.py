"""`gridgov market …`: verify a draw, import a roster with a progress bar."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.db import session_scope
from core.errors import DomainError
from core.progress import stage_bars

market = typer.Typer(help="市场监管: the register and its draws.", no_args_is_help=True)
draw_app = typer.Typer(help="双随机 draws.", no_args_is_help=True)
entities_app = typer.Typer(help="The entity register.", no_args_is_help=True)
market.add_typer(draw_app, name="draw")
market.add_typer(entities_app, name="entities")
err = Console(stderr=True)


@draw_app.command("verify")
def draw_verify(draw_id: Annotated[int, typer.Argument(help="the draw's id")],
                as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-run a draw from its committed inputs; exit 0 when it matches, 1 when not."""
    from market_supervision.register.drawing import verify

    try:
        with session_scope() as session:
            result = verify(session, principal=None, draw_id=draw_id)
    except DomainError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps({"matches": result.matches, "differences": result.differences},
                              ensure_ascii=False))
    else:
        typer.echo(f"draw {draw_id}: " + ("matches" if result.matches else "DIFFERS"))
        for line in result.differences:
            typer.echo(f"  - {line}")
    raise typer.Exit(0 if result.matches else 1)


@entities_app.command("import")
def entities_import(
    file: Annotated[Path, typer.Argument(help="CSV or xlsx roster")],
    username: Annotated[str, typer.Option(help="import as this account (its territory)")],
) -> None:
    """Import a roster, all or nothing, with a progress bar; every bad row is listed."""
    from sqlalchemy import select

    from core.users.models import User
    from market_supervision.register.imports import import_entities

    try:
        with stage_bars(err) as update, session_scope() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise typer.BadParameter(f"no account {username}")
            principal = _principal(user)
            result = import_entities(session, principal=principal, filename=file.name,
                                     data=file.read_bytes(), stage=update)
    except DomainError as exc:
        err.print(f"[red]{exc.detail}[/red]")
        for row in exc.extra.get("errors", [])[:200]:
            err.print(f"  第 {row['row']} 行 {row['uscc'] or ''}: {row['reason']}")
        raise typer.Exit(2) from exc
    typer.echo(f"{result.rows:,} rows: {result.created:,} new, {result.updated:,} updated, "
               f"{result.flagged:,} legacy codes flagged")


def _principal(user):
    """The account's own territory (its scope area) is where the roster may lie."""
    from core.security import Principal
    from core.users.enums import Role

    return Principal(user_id=user.id, username=user.username, role=Role(user.role),
                     scope_code=user.scope_code)
