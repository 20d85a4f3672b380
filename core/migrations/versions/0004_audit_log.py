"""The audit log: append-only events chained by SHA-256 (core/audit.py).

The database itself keeps the log append-only and linear, for every role, as long as
triggers stay enabled (a superuser or the table owner can disable them; that is what
`gridgov audit verify` is for):
- UPDATE, DELETE, TRUNCATE of audit_event are refused;
- an INSERT must extend the chain head (id above it, prev_hash equal to its hash) and
  moves the head; the head row cannot be written otherwise, deleted or truncated.
Triggers are ENABLE ALWAYS, so `session_replication_role = replica` does not skip them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("before", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.Column("after", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.Column("prev_hash", sa.CHAR(64), nullable=False),
        sa.Column("hash", sa.CHAR(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.UniqueConstraint("hash", name="uq_audit_event_hash"),
    )
    op.create_index("ix_audit_event_subject", "audit_event", ["subject_type", "subject_id"])

    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.CHAR(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_chain_head_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain_head"),
    )
    op.execute(f"INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '{GENESIS}')")

    op.execute("""
        CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
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
    # Only the chain trigger (nested, depth 2) may move the head.
    op.execute("""
        CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit_chain_head moves only with audit_event inserts: % refused',
                TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    for statement in (
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
        "CREATE TRIGGER audit_event_extend_chain BEFORE INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_extend_chain()",
        "CREATE TRIGGER audit_chain_head_guard BEFORE UPDATE OR DELETE ON audit_chain_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()",
        "CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()",
    ):
        op.execute(statement)
    for table, trigger in (
        ("audit_event", "audit_event_append_only"), ("audit_event", "audit_event_no_truncate"),
        ("audit_event", "audit_event_extend_chain"),
        ("audit_chain_head", "audit_chain_head_guard"),
        ("audit_chain_head", "audit_chain_head_no_truncate"),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_table("audit_event")
    op.execute("DROP FUNCTION audit_head_guard()")
    op.execute("DROP FUNCTION audit_extend_chain()")
    op.execute("DROP FUNCTION audit_refuse_change()")
