"""`gridgov open311 …`: API keys of the apps that post Open311 requests (one per app).

    gridgov open311 key create "株洲市民通"   prints the new key (shown this once)
    gridgov open311 key list
    gridgov open311 key revoke "株洲市民通"
"""

import typer

from core.db import session_scope
from core.errors import DomainError

app = typer.Typer(help="Open311 GeoReport v2: API keys of the apps that post requests.",
                  no_args_is_help=True)
key = typer.Typer(help="An app's API key: create, list, revoke.", no_args_is_help=True)
app.add_typer(key, name="key")
ACTOR = "cli"


@key.command("create")
def create(app_name: str = typer.Argument(..., help="the app's name, e.g. 株洲市民通")) -> None:
    """Make a key for APP_NAME and print it (only its hash is stored: keep it now)."""
    from convenience.open311.keys import create_key

    try:
        with session_scope() as session:
            _, secret = create_key(session, app_name=app_name, actor=ACTOR)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(secret)


@key.command("list")
def list_() -> None:
    """Every app and its key's first characters, live or revoked."""
    from convenience.open311.keys import list_keys

    with session_scope() as session:
        for row in list_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "live"
            typer.echo(f"{row.app_name}\t{row.key_prefix}…\t{state}\t"
                       f"created {row.created_at:%Y-%m-%d} by {row.created_by}")


@key.command("revoke")
def revoke(app_name: str = typer.Argument(..., help="the app whose key to revoke")) -> None:
    """Revoke APP_NAME's key: its POSTs get 403 from now on."""
    from convenience.open311.keys import revoke_key

    try:
        with session_scope() as session:
            revoke_key(session, app_name=app_name, actor=ACTOR)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked: {app_name}")
