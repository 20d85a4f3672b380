"""The migrations build exactly the tables the models declare: what `alembic revision
--autogenerate` would write against a freshly migrated database is nothing."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Every model, as core/migrations/env.py imports them.
import core.audit  # noqa: F401
import core.users.models  # noqa: F401
import core.workflow.calendar_store  # noqa: F401
import core.workflow.models  # noqa: F401
import geo.models  # noqa: F401
import grid.categories.models  # noqa: F401
import grid.incidents.models  # noqa: F401
import grid.models  # noqa: F401
import grid.patrols.models  # noqa: F401
from core.db import Base

# PostGIS's own table.
NOT_OURS = {"spatial_ref_sys"}
# Declared in the migrations only: core may not import geo, where `area` is mapped
# (core/users/models.py).
MIGRATION_ONLY = {"fk_app_user_scope_code_area"}


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in NOT_OURS and name not in MIGRATION_ONLY


def test_the_migrations_match_the_models(session):
    context = MigrationContext.configure(session.connection(), opts={
        "include_object": _ours, "compare_type": True})
    assert compare_metadata(context, Base.metadata) == []
