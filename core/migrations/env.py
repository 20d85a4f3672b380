"""Alembic environment: the URL comes from the settings (DATABASE_URL), never from an ini."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import core.migrations.models  # noqa: F401  (every table on Base.metadata)
from core.db import Base
from core.settings import get_settings

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # PostGIS owns spatial_ref_sys and the tiger/topology schemas; not ours to migrate.
    return not (type_ == "table" and name == "spatial_ref_sys")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    connectable = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_object=include_object
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
