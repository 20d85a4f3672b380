"""市场监管: the draw's speed; the import's bulk switch for the low-zoom cells removed.

Migration 0024 let a roster import silence market_entity's cell triggers for its upsert
(`gridgov.bulk`) and add the difference itself (`market_entity_cell_add`). Measured
twice (bench/README.md "import third pass"; /work/notes/bench_market.md), it is no faster
than the triggers: the cost is the aggregate of the points into cells wherever it runs.
So the triggers count every write again, the import included, and the switch and the
function go. The draw's own changes (gridgov-draw/2, targets stored by COPY) need no
schema change.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def _cells():
    """Migration 0024's module (the cells' SQL is written once, there)."""
    path = Path(__file__).with_name("0024_market_speed.py")
    spec = importlib.util.spec_from_file_location("migration_0024_market_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bodies(cells) -> dict[str, str]:
    return {"insert": cells._apply("new_rows", "1"),
            "delete": cells._apply("old_rows", "-1"),
            "update": cells._apply("old_rows", "-1") + ";\n" + cells._apply("new_rows", "1")}


def upgrade() -> None:
    for event, body in _bodies(_cells()).items():
        op.execute(f"CREATE OR REPLACE FUNCTION market_entity_cell_{event}() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$\nBEGIN\n{body};\nRETURN NULL;\nEND $$")
    op.execute("DROP FUNCTION market_entity_cell_add(regclass, int)")


def downgrade() -> None:
    cells = _cells()
    for event, body in _bodies(cells).items():
        op.execute(cells._function(f"market_entity_cell_{event}", body)
                   .replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute(cells.ADD_FUNCTION)
