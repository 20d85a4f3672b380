"""Engine, sessions and the declarative Base shared by every domain package."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import MetaData, create_engine, make_url, text
from sqlalchemy.engine import Engine
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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(database_url: str, *, pool_size: int = 5) -> Engine:
    return create_engine(database_url, pool_size=pool_size, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, pool_size=settings.db_pool_size)


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


def make_async_pool(database_url: str, *, max_size: int) -> AsyncConnectionPool:
    """A psycopg pool for the few hot read paths that bypass the ORM (DESIGN rule 8).

    Autocommit: single read statements need no transaction round trips. Generic plans:
    PostgreSQL would otherwise re-plan a prepared spatial lookup for every call, which
    costs as much as running it (bench/README.md). No JIT: a low-zoom vector tile is
    costed high enough to be compiled, and compiling took a quarter of its time, anew for
    every tile (each tile is a new statement text).
    """
    return AsyncConnectionPool(
        libpq_url(database_url), min_size=1, max_size=max_size, open=False,
        kwargs={"autocommit": True, "options": READ_POOL_OPTIONS},
    )


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
