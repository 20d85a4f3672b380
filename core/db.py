"""Engine, sessions and the declarative Base shared by every domain package."""

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
import psycopg
from anyio.lowlevel import RunVar
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import MetaData, create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from core.settings import get_settings

# Stable constraint names so Alembic migrations are reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# How long a request or a task waits for a free connection before giving up (seconds).
DEFAULT_WAIT_SECONDS = 10.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(database_url: str, *, pool_size: int = 5,
                wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Engine:
    """A pooled engine of up to `2 × pool_size` connections, each kept once opened; one
    that sat idle is checked before use (a restarted server costs no error); a bounded
    wait for a free one (sqlalchemy.exc.TimeoutError after `wait_seconds`: 503 with
    Retry-After at the API, api/errors.py).

    Kept, not "`pool_size` and as many again for bursts, closed when returned": under a
    load above `pool_size` those were closed and opened again several times a second, and
    each new backend paid its catalog caches and PostGIS's start: 0.75 of this machine's
    two cores at 32 concurrent reports (bench/README.md, intake, 2026-12-07 night)."""
    # hide_parameters: a failed statement's error text would quote its values (a password
    # hash, a phone, an ID number) into every log it reaches (core/redact.py).
    engine = create_engine(database_url, pool_size=2 * pool_size, max_overflow=0,
                           pool_timeout=wait_seconds, hide_parameters=True)
    _check_when_idle(engine)
    return engine


def _check_when_idle(engine: Engine) -> None:
    """The read pool's rule for the engine's pool: a connection returned more than
    CHECK_IDLE_SECONDS ago is pinged before use and replaced if the server has gone.
    `pool_pre_ping` pinged before every use: a round trip per request on the hot writes."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def note_returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check_if_idle(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) <= CHECK_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a new one).
            raise DisconnectionError("the server closed an idle connection") from error


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, pool_size=settings.db_pool_size,
                       wait_seconds=settings.db_wait_seconds)


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool may hold at once."""
    return engine.pool.size()  # every connection is kept: no overflow (make_engine)


# --- the API's connection gate ----------------------------------------------------------
#
# Why (reproduced: 50 concurrent moves on 50 incidents, 20 of them 500 after 30 s; a
# thread dump showed 21 threads waiting for a connection, 19 holding one and waiting in the
# database for the audit chain's row lock): a sync route runs on anyio's thread pool (40
# threads), and its session commits only after FastAPI has validated the response model,
# which it also does on that pool. The request holding the lock had left its thread and
# needed another to validate its response and commit, while the forty threads were all
# held by requests waiting for a connection or for its lock. Nothing moved until the
# pool's timeout. Any lock does it (tests/faults/test_pool.py holds an incident's row).
# The gate admits into the threads only as many session-holding requests as there are
# connections; the rest wait on the event loop, holding nothing, and get 503 after
# `wait_seconds`; the thread pool is kept larger than the gate.

THREAD_HEADROOM = 20  # threads beyond the gate, for sync work that holds no connection
_gate_semaphores: RunVar[WeakKeyDictionary] = RunVar("gridgov_connection_gates")


class DatabaseBusy(Exception):
    """No connection could be had in time: the caller should retry shortly (503)."""


class ConnectionGate:
    def __init__(self, capacity: int, *, wait_seconds: float) -> None:
        self.capacity, self.wait_seconds = capacity, wait_seconds

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the pool's connections' places for the block (a request's session)."""
        semaphore = self._semaphore()
        try:
            with anyio.fail_after(self.wait_seconds):
                await semaphore.acquire()
        except TimeoutError:
            raise DatabaseBusy(f"no database connection free within {self.wait_seconds:g} s"
                               ) from None
        try:
            yield
        finally:
            semaphore.release()

    def _semaphore(self) -> anyio.Semaphore:
        # One per event loop (a test client runs one per client), like FastAPI's own.
        semaphores = _gate_semaphores.get(None)
        if semaphores is None:
            semaphores = WeakKeyDictionary()
            _gate_semaphores.set(semaphores)
        semaphore = semaphores.get(self)
        if semaphore is None:
            semaphore = semaphores[self] = anyio.Semaphore(self.capacity)
            threads = anyio.to_thread.current_default_thread_limiter()
            threads.total_tokens = max(threads.total_tokens, self.capacity + THREAD_HEADROOM)
        return semaphore


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A unit of work at an edge (request, command, task): commit once, or roll back."""
    session = (factory or make_sessionmaker(get_engine()))()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        if getattr(exc, "keep_writes", False):
            session.commit()
        else:
            session.rollback()
        raise
    finally:
        session.close()

def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as libpq reads it (no `+psycopg` driver part)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


# The read pool's server settings (make_async_pool; the tile benchmark uses them too).
READ_POOL_OPTIONS = "-c plan_cache_mode=force_generic_plan -c jit=off"


def make_async_pool(database_url: str, *, max_size: int,
                    wait_seconds: float = DEFAULT_WAIT_SECONDS) -> AsyncConnectionPool:
    """A psycopg pool for the few hot read paths that bypass the ORM (DESIGN rule 8).

    Autocommit: single read statements need no transaction round trips. Generic plans:
    PostgreSQL would otherwise re-plan a prepared spatial lookup for every call, which
    costs as much as running it (bench/README.md). No JIT: a low-zoom vector tile is
    costed high enough to be compiled, and compiling took a quarter of its time, anew for
    every tile (each tile is a new statement text). Its requests wait on the event loop,
    never on a thread, for at most `wait_seconds` (psycopg_pool.PoolTimeout: 503). A
    connection that sat idle is checked before use (`_check_if_idle`); while the server
    refuses connections, requests fail at once (ReadPool).
    """
    return ReadPool(
        libpq_url(database_url), min_size=1, max_size=max_size, open=False,
        timeout=wait_seconds, check=_check_if_idle, reset=_note_returned,
        reconnect_timeout=RECONNECT_SECONDS,
        kwargs={"autocommit": True, "options": READ_POOL_OPTIONS},
    )


class DatabaseUnreachable(psycopg.OperationalError):
    """The server refused a connection a moment ago (503 database_unavailable)."""


# How long a refused connection makes the read pool fail requests at once; how long its
# own reconnection attempts go on before the next request starts new ones (psycopg_pool's
# backoff would otherwise put the first attempt after a long outage seconds past the
# server's return); how often a waiting request looks whether the server refused.
REFUSED_SECONDS = 0.5
RECONNECT_SECONDS = 1.0
_POLL_SECONDS = 0.25


class ReadPool(AsyncConnectionPool):
    """psycopg_pool keeps a request waiting through its reconnection attempts, up to the
    whole timeout: during an outage every read would wait `wait_seconds` and then be
    called "busy". This one remembers the server's last refusal and fails at once
    (DatabaseUnreachable) for REFUSED_SECONDS after it; then one request waits again and
    so starts a new attempt."""

    def __init__(self, *args, **kwargs) -> None:
        pool = self
        self.refused_at: float | None = None

        class Connection(AsyncConnection):
            @classmethod
            async def connect(cls, *args, **kwargs):
                try:
                    connection = await super().connect(*args, **kwargs)
                except psycopg.OperationalError:
                    pool.refused_at = time.monotonic()
                    raise
                pool.refused_at = None
                return connection

        super().__init__(*args, connection_class=Connection, **kwargs)

    def _refusing(self) -> bool:
        return self.refused_at is not None \
            and time.monotonic() - self.refused_at < REFUSED_SECONDS

    async def getconn(self, timeout: float | None = None) -> AsyncConnection:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self._refusing():
                raise DatabaseUnreachable("the database refuses connections right now")
            left = deadline - time.monotonic()
            try:
                return await super().getconn(timeout=max(min(left, _POLL_SECONDS), 0.001))
            except PoolTimeout:
                if left <= _POLL_SECONDS:
                    raise


# A connection left idle across a database restart is dead, and the first request to get
# it failed (503): measured in tests/faults, a read-pool connection unused for minutes
# while the account cache answered. One idle longer than this is checked first (an empty
# query; a dead one is replaced); the hot paths reuse theirs within milliseconds and pay
# nothing. No restart is quicker than this.
CHECK_IDLE_SECONDS = 0.5
_returned_at: WeakKeyDictionary = WeakKeyDictionary()


async def _note_returned(connection: AsyncConnection) -> None:
    _returned_at[connection] = time.monotonic()


async def _check_if_idle(connection: AsyncConnection) -> None:
    if time.monotonic() - _returned_at.get(connection, 0.0) > CHECK_IDLE_SECONDS:
        await AsyncConnectionPool.check_connection(connection)


# --- bulk writes (the audit's and the demo history's appends) ---------------------------

def next_ids(session: Session, table: str, n: int) -> list[int]:
    """`n` ids drawn from the table's id sequence, ascending (rows written by COPY name
    their ids, so that what refers to them can be written in the same pass)."""
    if n == 0:
        return []
    return sorted(session.scalars(text(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
        {"n": n}))


def copy_rows(session: Session, table: str, columns, rows) -> None:
    """COPY rows into a table on the session's connection, inside its transaction; what
    the ORM holds is flushed first, as the COPY goes around it."""
    session.flush()
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
