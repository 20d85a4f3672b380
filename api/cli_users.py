"""`gridgov users …`: accounts for admins at a terminal (core/users)."""

from typing import Annotated

import typer
from rich.markup import escape

from api.cli_output import err
from api.cli_output import fail as _fail
from core.db import session_scope
from core.errors import DomainError
from core.settings import get_settings
from core.users.enums import Role

users_app = typer.Typer(help="Accounts.", no_args_is_help=True)


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
