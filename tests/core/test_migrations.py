"""The migrations build exactly the tables the models declare: what `alembic revision
--autogenerate` would write against a freshly migrated database is nothing."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Every model, as core/migrations/env.py imports them: the core's and each platform's.
import core.migrations.models  # noqa: F401
from core.db import Base

# PostGIS's own table.
NOT_OURS = {"spatial_ref_sys"}
# Declared in the migrations only: core may not import geo, where `area` is mapped
# (core/users/models.py).
MIGRATION_ONLY = {"fk_app_user_scope_code_area", "fk_unit_seat_code_area",
                  "fk_unit_area_area_code_area"}


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in NOT_OURS and name not in MIGRATION_ONLY


def test_the_migrations_match_the_models(session):
    context = MigrationContext.configure(session.connection(), opts={
        "include_object": _ours, "compare_type": True})
    assert compare_metadata(context, Base.metadata) == []
