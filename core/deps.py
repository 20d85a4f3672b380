"""Request-scoped dependencies shared by every router (FastAPI's `Annotated` style)."""

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Annotated, Protocol, TypeVar

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

T = TypeVar("T")


def _gate(request: Request) -> ConnectionGate:
    state = request.app.state
    gate = getattr(state, "connection_gate", None)
    if gate is None:
        gate = state.connection_gate = ConnectionGate(
            pool_capacity(state.engine), wait_seconds=state.settings.db_wait_seconds)
    return gate


async def connection_slot(request: Request) -> AsyncIterator[None]:
    """A place among the pool's connections, taken on the event loop before the session's
    work takes a thread (core/db.py, ConnectionGate: why); 503 when none comes in time."""
    async with _gate(request).slot():
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


async def in_one_thread(request: Request, work: Callable[[Session], T]) -> T:
    """`work(session)` and the commit (or the rollback) in one thread-pool hop, for an
    async route on the hottest write (the report). `SessionDep` and a sync route take four
    hops: the session's opening, the route, the session's closing, and the rate limit's
    count; each costs the interpreter a switch between threads, and at 32 concurrent
    requests those were ~10 % of a report's server CPU (bench/README.md, intake). Same
    contract: a place among the pool's connections first (`connection_slot`), one session,
    committed before the response, so a 201 is durable; a rate-limit count deferred by
    `Requires(..., count_in_thread=True)` comes first, before the session opens."""
    async with _gate(request).slot():
        return await anyio.to_thread.run_sync(_work_in_thread, request, work)


def _work_in_thread(request: Request, work: Callable[[Session], T]) -> T:
    _count_deferred(request)
    with _request_session(request) as session:
        return work(session)


def _request_session(request: Request) -> AbstractContextManager[Session]:
    """`get_session`'s session; where `get_session` is overridden (the tests serve
    requests from their rolled-back session), the override's, as FastAPI would give it."""
    override = request.app.dependency_overrides.get(get_session)
    if override is None:
        return session_scope(request.app.state.sessionmaker)
    if inspect.isgeneratorfunction(override):
        return contextmanager(override)()
    return nullcontext(override())


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

    def __init__(self, permission: Permission, *, count_in_thread: bool = False) -> None:
        self.permission = permission
        # True: the route counts the request in its one thread (`in_one_thread`), which
        # spares the rate limit's own thread-pool hop; such a route must use it.
        self.count_in_thread = count_in_thread

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
        await _count_request(request, principal, deferred=self.count_in_thread)
        return principal


async def _count_request(request: Request, principal: Principal, *,
                         deferred: bool = False) -> None:
    """The user's rate limit for this kind of request (once per request)."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None or getattr(request.state, "rate_counted", False):
        return
    bucket = bucket_of(request.method, request.url.path)
    if limiter.limit_of(bucket) <= 0:
        return  # the hot reads: no Redis call
    request.state.rate_counted = True
    count = functools.partial(limiter.hit, bucket=bucket, user_id=principal.user_id)
    if deferred:
        request.state.rate_count_due = count  # `in_one_thread` counts it
        return
    # In a thread: the Redis client is synchronous, and a slow Redis must not stall the loop.
    await anyio.to_thread.run_sync(count)


def _count_deferred(request: Request) -> None:
    count = getattr(request.state, "rate_count_due", None)
    if count is not None:
        request.state.rate_count_due = None
        count()  # 429 (RateLimited) past the limit, before any write
