"""The audit chain is extended per statement, not per row; indexes under incident keys and
for the sweep.

Migration 0004 checked and moved the chain head in a BEFORE INSERT trigger FOR EACH ROW.
A bulk append (the deadline sweep's escalations, the demo history's ~220,000 events)
then updated the one head row once per event inside one transaction, and each update
walks the dead versions the previous ones left: quadratic (60,000 events: 175 s). Now an
AFTER INSERT trigger FOR EACH STATEMENT checks the statement's new rows as a whole —
ordered by id, the first links to the head and each next one to the one before — and
moves the head once. The guarantees are those of 0004: a row that does not extend the
chain is refused, whoever connects, and the trigger is ENABLE ALWAYS.

The indexes: deleting incidents or accounts (the demo's `--reload`, an account removed)
checks the rows that refer to them; without an index under `merged_into_id`,
`handler_user_id`, `grid_id` and `incident_reporter.user_id` each check scanned the whole
table (30,000 incidents: 121 s to delete).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FK_INDEXES = [("ix_incident_merged_into_id", "incident", "merged_into_id"),
              ("ix_incident_handler_user_id", "incident", "handler_user_id"),
              ("ix_incident_grid_id", "incident", "grid_id"),
              ("ix_incident_reporter_user_id", "incident_reporter", "user_id")]
CLOCK_STATES = ("state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', "
                "'rework', 'handled')")


def upgrade() -> None:
    op.execute("DROP TRIGGER audit_event_extend_chain ON audit_event")
    op.execute("DROP FUNCTION audit_extend_chain()")
    op.execute("""
        CREATE FUNCTION audit_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            head audit_chain_head%ROWTYPE;
            broken bigint;
        BEGIN
            SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
            SELECT id INTO broken FROM (
                SELECT id, prev_hash, lag(hash) OVER (ORDER BY id) AS previous,
                       row_number() OVER (ORDER BY id) AS n
                FROM added
            ) AS chain
            WHERE CASE WHEN n = 1
                       THEN id <= head.last_id OR prev_hash IS DISTINCT FROM head.last_hash
                       ELSE prev_hash IS DISTINCT FROM previous END
            ORDER BY id LIMIT 1;
            IF broken IS NOT NULL THEN
                RAISE EXCEPTION 'audit_event #% does not extend the chain head #%',
                    broken, head.last_id USING ERRCODE = 'insufficient_privilege';
            END IF;
            UPDATE audit_chain_head SET (last_id, last_hash) = (
                SELECT id, hash FROM added ORDER BY id DESC LIMIT 1) WHERE id = 1;
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER audit_event_extend_chain AFTER INSERT ON audit_event "
               "REFERENCING NEW TABLE AS added "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_extend_chain()")
    op.execute("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_extend_chain")
    for name, table, column in FK_INDEXES:
        op.create_index(name, table, [column])
    op.create_index("ix_incident_sweep_unescalated", "incident", ["id"],
                    postgresql_where=sa.text(f"{CLOCK_STATES} AND deadline = 'red' "
                                             "AND NOT overdue_escalated"))


def downgrade() -> None:
    op.drop_index("ix_incident_sweep_unescalated", table_name="incident")
    for name, table, _column in FK_INDEXES:
        op.drop_index(name, table_name=table)
    op.execute("DROP TRIGGER audit_event_extend_chain ON audit_event")
    op.execute("DROP FUNCTION audit_extend_chain()")
    op.execute("""
        CREATE FUNCTION audit_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            head audit_chain_head%ROWTYPE;
        BEGIN
            SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
            IF NEW.id <= head.last_id OR NEW.prev_hash IS DISTINCT FROM head.last_hash THEN
                RAISE EXCEPTION 'audit_event #% does not extend the chain head #%',
                    NEW.id, head.last_id USING ERRCODE = 'insufficient_privilege';
            END IF;
            UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash WHERE id = 1;
            RETURN NEW;
        END $$
    """)
    op.execute("CREATE TRIGGER audit_event_extend_chain BEFORE INSERT ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION audit_extend_chain()")
    op.execute("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_extend_chain")
