"""Market supervision: summaries and staging for draws, imports and low-zoom tiles.

- The pairings of a draw (market_draw_target_inspector) keep their copy of the inspector
  (membership, account, name, 执法证) as history without per-row foreign keys to the
  membership and the account: 3.2 of the 3.9 s spent storing a city's pairings were those
  checks (EXPLAIN ANALYZE); the draw validates its pool once (register/draw_sets.py).
- market_entity_cell: the entity register counted per grid and per Web Mercator cell of
  the clustered zooms (10–13; a cell is 1/32 of a tile's side, as geo/layers clusters),
  with the sums of the projected coordinates, so that a low-zoom tile is summed from a
  few thousand rows instead of counting up to 500,000 points, with the same counts and
  centres. Kept current by statement-level triggers on market_entity (transition tables:
  one aggregate per statement). A bulk import sets `SET LOCAL gridgov.bulk = on` for its
  upsert: the triggers then do nothing, and the import adds the difference itself from its
  narrow staging tables (market_entity_cell_add(table, sign): the rows before, −1, and
  after, +1), instead of aggregating the wide transition tables of every row it wrote.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

HALF = 20037508.342789244  # geo/layers/tiles.py MERCATOR_HALF
LEVELS = (10, 11, 12, 13)  # the clustered zooms whose cells are summed (layers.CLUSTER)

FINEST = max(LEVELS)
# The entities' contribution per level (rows: a transition table, `sign` ±1): counted once
# at the finest level, whose cells nest exactly in the coarser ones (a cell of level L is
# the finest cells ≫ (FINEST − L): the cell size is 2·HALF / 2^(5+L), a power-of-two
# scaling, exact in floating point), then summed per level.
CONTRIBUTION = f"""
WITH fine AS (
    SELECT r.area_code,
           floor((p.px + {HALF!r}) / {2 * HALF / 2 ** (5 + FINEST)!r})::int AS gx,
           floor((p.py + {HALF!r}) / {2 * HALF / 2 ** (5 + FINEST)!r})::int AS gy,
           count(*)::int AS n, sum(p.px) AS sx, sum(p.py) AS sy,
           count(*) FILTER (WHERE r.last_result = 'fail')::int AS failed,
           count(*) FILTER (WHERE r.last_result IS NOT NULL)::int AS inspected,
           count(*) FILTER (WHERE r.risk_class = 'A')::int AS risk_a,
           count(*) FILTER (WHERE r.risk_class = 'B')::int AS risk_b,
           count(*) FILTER (WHERE r.risk_class = 'C')::int AS risk_c,
           count(*) FILTER (WHERE r.risk_class = 'D')::int AS risk_d
    FROM {{rows}} r
    CROSS JOIN LATERAL (SELECT ST_X(r.location) * {HALF / 180!r} AS px,
                               ln(tan(radians(45 + ST_Y(r.location) / 2))) * 6378137.0 AS py) p
    WHERE r.area_code IS NOT NULL
    GROUP BY 1, 2, 3)
SELECT l.level, f.area_code, f.gx >> ({FINEST} - l.level) AS gx,
       f.gy >> ({FINEST} - l.level) AS gy,
       {{sign}} * sum(f.n) AS n, {{sign}} * sum(f.sx) AS sx, {{sign}} * sum(f.sy) AS sy,
       {{sign}} * sum(f.failed) AS failed, {{sign}} * sum(f.inspected) AS inspected,
       {{sign}} * sum(f.risk_a) AS risk_a, {{sign}} * sum(f.risk_b) AS risk_b,
       {{sign}} * sum(f.risk_c) AS risk_c, {{sign}} * sum(f.risk_d) AS risk_d
FROM fine f CROSS JOIN unnest(ARRAY{list(LEVELS)}) AS l(level)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 3, 4, 2"""  # one order of the cells' row locks for every writer

APPLY = """
INSERT INTO market_entity_cell AS c (level, area_code, gx, gy, n, sx, sy, failed, inspected,
                                     risk_a, risk_b, risk_c, risk_d)
{contribution}
ON CONFLICT (level, area_code, gx, gy) DO UPDATE SET
    n = c.n + EXCLUDED.n, sx = c.sx + EXCLUDED.sx, sy = c.sy + EXCLUDED.sy,
    failed = c.failed + EXCLUDED.failed, inspected = c.inspected + EXCLUDED.inspected,
    risk_a = c.risk_a + EXCLUDED.risk_a, risk_b = c.risk_b + EXCLUDED.risk_b,
    risk_c = c.risk_c + EXCLUDED.risk_c, risk_d = c.risk_d + EXCLUDED.risk_d"""


def _apply(rows: str, sign: str) -> str:
    return APPLY.format(contribution=CONTRIBUTION.format(rows=rows, sign=sign))


# A transaction-local switch, not session_replication_role (which silences every trigger
# and foreign-key check of the session): only these summaries, only while the import that
# set it adds its own difference (market_supervision/register/imports.py).
BULK = "current_setting('gridgov.bulk', true) = 'on'"


def _function(name: str, body: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\nIF {BULK} THEN RETURN NULL; END IF;\n{body};\nRETURN NULL;\nEND $$")


# The same difference for any table of (area_code, location, last_result, risk_class), the
# bulk import's: `rows` a table, `sign` +1 (rows added) or −1 (rows as they were).
ADD_FUNCTION = ("CREATE FUNCTION market_entity_cell_add(rows regclass, sign int) RETURNS void "
                "LANGUAGE plpgsql AS $fn$\nBEGIN\nEXECUTE format($q$"
                + _apply("%1$s", "%2$s") + "$q$, rows, sign);\nEND $fn$")


def upgrade() -> None:
    op.drop_constraint("fk_market_draw_target_inspector_membership_id_membership",
                       "market_draw_target_inspector", type_="foreignkey")
    op.drop_constraint("fk_market_draw_target_inspector_user_id_app_user",
                       "market_draw_target_inspector", type_="foreignkey")
    op.create_table(
        "market_entity_cell",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("area_code", sa.String(15, collation="C"), nullable=False),
        sa.Column("gx", sa.Integer(), nullable=False),
        sa.Column("gy", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sx", sa.Float(), nullable=False),
        sa.Column("sy", sa.Float(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("inspected", sa.Integer(), nullable=False),
        sa.Column("risk_a", sa.Integer(), nullable=False),
        sa.Column("risk_b", sa.Integer(), nullable=False),
        sa.Column("risk_c", sa.Integer(), nullable=False),
        sa.Column("risk_d", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "gx", "gy", "area_code",
                                name="pk_market_entity_cell"),
    )
    op.execute(_function("market_entity_cell_insert", _apply("new_rows", "1")))
    op.execute(_function("market_entity_cell_delete", _apply("old_rows", "-1")))
    op.execute(_function("market_entity_cell_update",
                         _apply("old_rows", "-1") + ";\n" + _apply("new_rows", "1")))
    for event, rows in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        op.execute(f"CREATE TRIGGER market_entity_cell_{event.lower()} AFTER {event} ON "
                   f"market_entity REFERENCING {rows} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION market_entity_cell_{event.lower()}()")
    op.execute(ADD_FUNCTION)
    op.execute(_apply("market_entity", "1"))


def downgrade() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER market_entity_cell_{event} ON market_entity")
        op.execute(f"DROP FUNCTION market_entity_cell_{event}()")
    op.execute("DROP FUNCTION market_entity_cell_add(regclass, int)")
    op.drop_table("market_entity_cell")
    # Without the foreign keys (upgrade) a pairing keeps its copy of the inspector after the
    # membership or the account is deleted; the keys cannot come back over such rows. The
    # pairing's own copy (name, 执法证) stays: only the dangling reference is dropped, or,
    # where the column may not be null, the pairing (it named someone who no longer exists).
    for column, table in (("user_id", "app_user"), ("membership_id", "membership")):
        _orphans(column, table)
    op.create_foreign_key("fk_market_draw_target_inspector_user_id_app_user",
                          "market_draw_target_inspector", "app_user", ["user_id"], ["id"])
    op.create_foreign_key("fk_market_draw_target_inspector_membership_id_membership",
                          "market_draw_target_inspector", "membership", ["membership_id"],
                          ["id"])


def _orphans(column: str, table: str) -> None:
    nullable = op.get_bind().scalar(sa.text(
        "SELECT is_nullable = 'YES' FROM information_schema.columns "
        "WHERE table_name = 'market_draw_target_inspector' AND column_name = :c"),
        {"c": column})
    orphan = (f"{column} IS NOT NULL AND NOT EXISTS "
              f"(SELECT 1 FROM {table} t WHERE t.id = market_draw_target_inspector.{column})")
    if nullable:
        op.execute(f"UPDATE market_draw_target_inspector SET {column} = NULL WHERE {orphan}")
    else:
        op.execute(f"DELETE FROM market_draw_target_inspector WHERE {orphan}")
