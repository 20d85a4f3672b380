"""The account state every request checks, cached per process with invalidation.

A token names an account; what the account may do is read here, at each request: whether
it is active, its role, scope area and memberships now, and its token epoch (a token of an
older epoch was revoked). A hit is a dict lookup, so the hot routes (locate, tiles) pay no
query; a miss reads the account and its grants (core/units/service.py GRANTS_SQL) on the
async read pool.

Entries are dropped when an account changes (core/users/accounts.py `forget`: at once in
this process, through Redis in the others, `AccountSync`) and expire anyway after
`ttl` seconds, or `unsynced_ttl` while this process is not hearing from Redis (not yet
subscribed, or Redis down): then a change made elsewhere is seen that much later at most.
"""

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import date

import redis
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.security import MembershipGrant, Principal
from core.users import accounts
from core.users.enums import Role

log = logging.getLogger(__name__)

# The account and its grants (core/units/service.py GRANTS_SQL) in one statement: a miss
# is the common case for a grid worker, who reports a few times a day, and two statements
# were ~10 % of a report's server CPU (bench/README.md, intake).
_ACCOUNT_SQL = """
    SELECT id, username, role, scope_code, is_active, token_epoch,
           (SELECT COALESCE(json_agg(json_build_array(g.unit_id, g.position, g.platform,
                                                      g.department_code,
                                                      g.credential_expires_on,
                                                      g.area_codes)
                                     ORDER BY g.unit_id, g.position), '[]')
            FROM ({grants}) AS g) AS grants
    FROM app_user WHERE id = :user_id"""
# The most entries kept; past it the cache starts afresh (a city has a few thousand users).
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class AccountState:
    principal: Principal  # role, scope and memberships as they are now
    is_active: bool
    token_epoch: int

    def admits(self, epoch: int) -> bool:
        """Whether a token of `epoch` still speaks for this account."""
        return self.is_active and epoch == self.token_epoch


def _account_sql() -> str:
    from core.units.service import GRANTS_SQL

    return _ACCOUNT_SQL.format(grants=GRANTS_SQL)


def _state(row) -> AccountState:
    user_id, username, role, scope_code, is_active, epoch, grant_rows = row
    grants = tuple(MembershipGrant(unit_id, position, platform, department, tuple(areas),
                                   date.fromisoformat(expires) if expires else None)
                   for unit_id, position, platform, department, expires, areas in grant_rows)
    return AccountState(Principal(user_id, username, Role(role), scope_code, grants),
                        is_active, epoch)


class AccountCache:
    """Account states by user id, loaded on a miss from the async pool."""

    def __init__(self, pool, *, ttl: float, unsynced_ttl: float) -> None:
        self._pool = pool
        self._ttl = ttl
        self._unsynced_ttl = min(unsynced_ttl, ttl)
        self._entries: dict[int, tuple[float, AccountState | None]] = {}
        self._lock = threading.Lock()  # forget() runs in request threads, reads in the loop
        self._generation = 0  # raised by every drop: a load that raced one is not kept
        self.synced = False  # set by AccountSync while it hears every change
        _CACHES.add(self)

    async def get(self, user_id: int) -> AccountState | None:
        """The account's state now (None: there is no such account)."""
        now = time.monotonic()
        entry = self._entries.get(user_id)
        if entry is not None and now - entry[0] < (self._ttl if self.synced
                                                   else self._unsynced_ttl):
            return entry[1]
        generation = self._generation
        state = await self._load(user_id)
        with self._lock:
            if generation == self._generation:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[user_id] = (now, state)
        return state

    def drop(self, user_ids) -> None:
        with self._lock:
            self._generation += 1
            for user_id in user_ids:
                self._entries.pop(user_id, None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    async def _load(self, user_id: int) -> AccountState | None:
        async with self._pool.connection() as connection:
            row = await (await connection.execute(_POOL_ACCOUNT_SQL,
                                                  {"user_id": user_id})).fetchone()
        return None if row is None else _state(row)


_POOL_ACCOUNT_SQL = _account_sql().replace(":user_id", "%(user_id)s")


class SessionAccounts:
    """Account states read through one Session, uncached: for a caller that holds its own
    transaction, whose uncommitted accounts the pool cannot see (the test suite's rolled-back
    session; tests/conftest.py `app`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def get(self, user_id: int) -> AccountState | None:
        return self.load(user_id)

    def load(self, user_id: int) -> AccountState | None:
        row = self._session.execute(text(_account_sql()), {"user_id": user_id}).first()
        return None if row is None else _state(tuple(row))


# --- invalidation ---------------------------------------------------------------------------

_CACHES: "weakref.WeakSet[AccountCache]" = weakref.WeakSet()


def _drop_everywhere(user_ids: set[int]) -> None:
    for cache in list(_CACHES):
        cache.drop(user_ids)


accounts.on_forget(_drop_everywhere)


class AccountSync:
    """A thread that hears, through Redis, the accounts other processes changed, and drops
    them from this process's cache. While it is not subscribed (starting, Redis down) the
    cache keeps entries only the short time; after each (re)subscription the cache starts
    empty, since changes made meanwhile went unheard."""

    def __init__(self, cache: AccountCache, redis_url: str, *, retry_seconds: float = 2.0):
        self._cache = cache
        self._url = redis_url
        self._retry = retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gridgov-account-sync",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The thread ends within a second (not waited for: an app's shutdown, and each
        test's, need not)."""
        self._stop.set()

    def _run(self) -> None:
        warned = False
        while not self._stop.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as exc:
                if not warned:
                    log.warning("account changes from other processes unheard (Redis: %s); "
                                "cached accounts expire after %.0f s meanwhile", exc,
                                self._cache._unsynced_ttl)
                warned = True
            self._cache.synced = False
            self._stop.wait(self._retry)

    def _listen(self) -> None:
        client = redis.Redis.from_url(self._url, socket_connect_timeout=2, socket_timeout=10,
                                      health_check_interval=5)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(accounts.CHANNEL)
            self._await_subscription(pubsub)
            self._cache.clear()  # what changed before now is read afresh
            self._cache.synced = True
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message["type"] == "message":
                    self._cache.drop(_ids(message["data"]))
        finally:
            self._cache.synced = False
            pubsub.close()
            client.close()

    def _await_subscription(self, pubsub) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self._stop.is_set():
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "subscribe":
                return
        raise redis.ConnectionError("no subscription confirmed")


def _ids(data: bytes | str) -> set[int]:
    text_ = data.decode() if isinstance(data, bytes) else data
    return {int(part) for part in text_.split(",") if part.strip().isdigit()}
