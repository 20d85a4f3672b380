"""Request-scoped dependencies shared by every router (FastAPI's `Annotated` style)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from core.db import session_scope
from core.errors import Forbidden, Unauthorized
from core.security import Principal, read_access_token
from core.users.enums import ROLE_PERMISSIONS, Permission


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; services flush, this edge commits once (or rolls back)."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session

# scope="function": the commit happens before the response is sent, so a 201 means the
# write is durable (and a failing commit is the caller's error, not a lost write). The
# default ("request") ran it after the response had gone out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class Requires:
    """A route's permission, declared as its dependency: `Depends(Requires(Permission.x))`.

    Gives the caller's Principal. No token, a bad token: 401. A role without the
    permission: 403. Where the caller may act is the scope's business (core/scope.py).
    The authorization test finds every route's Requires in the app's route table.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    # async: only CPU work, so no thread-pool hop on the hot async routes (locate).
    async def __call__(self, request: Request,
                       token: Annotated[str | None, Depends(_bearer)]) -> Principal:
        if not token:
            raise Unauthorized("log in first: this needs a bearer token")
        principal = read_access_token(token, secret=request.app.state.settings.secret_key)
        if self.permission not in ROLE_PERMISSIONS[principal.role]:
            raise Forbidden(f"the role {principal.role} may not do this")
        return principal
