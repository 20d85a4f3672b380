"""Request-scoped dependencies shared by every router (FastAPI's `Annotated` style)."""

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Protocol

import anyio
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from core.db import ConnectionGate, pool_capacity, session_scope
from core.errors import Forbidden, Unauthorized
from core.ratelimit import bucket_of
from core.security import Principal, read_access_claims
from core.users.cache import AccountState
from core.users.enums import ROLE_PERMISSIONS, Permission


async def connection_slot(request: Request) -> AsyncIterator[None]:
    """A place among the pool's connections, taken on the event loop before the session's
    work takes a thread (core/db.py, ConnectionGate: why); 503 when none comes in time."""
    state = request.app.state
    gate = getattr(state, "connection_gate", None)
    if gate is None:
        gate = state.connection_gate = ConnectionGate(
            pool_capacity(state.engine), wait_seconds=state.settings.db_wait_seconds)
    async with gate.slot():
        yield


def get_session(request: Request, _slot: Annotated[None, Depends(connection_slot,
                                                                 scope="function")]
                ) -> Iterator[Session]:
    """One session per request; services flush, this edge commits once (or rolls back)."""
    with session_scope(request.app.state.sessionmaker) as session:
        yield session

# scope="function": the commit happens before the response is sent, so a 201 means the
# write is durable (and a failing commit is the caller's error, not a lost write). The
# default ("request") ran it after the response had gone out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class AccountSource(Protocol):
    async def get(self, user_id: int) -> AccountState | None: ...


async def get_accounts(request: Request) -> AccountSource:
    """Where `Requires` reads the state of accounts: the app's cache (core/users/cache.py).
    The tests replace it with their rolled-back session's view."""
    return request.app.state.accounts


class Requires:
    """A route's permission, declared as its dependency: `Depends(Requires(Permission.x))`.

    Gives the caller's Principal, built from the account as it is now (role, scope and
    memberships from the account, not from the token). No token, a bad token, a token of
    an inactive account or of an older token epoch (revoked by a logout, a new password or
    a deactivation): 401, the same for every case. A role without the permission: 403.
    Past the user's rate limit for the request's kind (core/ratelimit.py): 429. Where the
    caller may act is the scope's business (core/scope.py). The authorization test finds
    every route's Requires in the app's route table.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    # async: a cache hit is CPU work only, so no thread-pool hop on the hot async routes
    # (locate); a miss awaits the async pool.
    async def __call__(self, request: Request,
                       token: Annotated[str | None, Depends(_bearer)],
                       accounts: Annotated[AccountSource, Depends(get_accounts)]) -> Principal:
        if not token:
            raise Unauthorized("log in first: this needs a bearer token")
        claims = read_access_claims(token, secret=request.app.state.settings.secret_key)
        state = await accounts.get(claims.user_id)
        if state is None or not state.admits(claims.epoch):
            raise Unauthorized("the token is invalid or has expired")
        principal = state.principal
        if self.permission not in ROLE_PERMISSIONS[principal.role]:
            raise Forbidden(f"the role {principal.role} may not do this")
        await _count_request(request, principal)
        return principal


async def _count_request(request: Request, principal: Principal) -> None:
    """The user's rate limit for this kind of request (once per request)."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None or getattr(request.state, "rate_counted", False):
        return
    bucket = bucket_of(request.method, request.url.path)
    if limiter.limit_of(bucket) <= 0:
        return  # the hot reads: no Redis call
    request.state.rate_counted = True
    # In a thread: the Redis client is synchronous, and a slow Redis must not stall the loop.
    await anyio.to_thread.run_sync(
        functools.partial(limiter.hit, bucket=bucket, user_id=principal.user_id))
