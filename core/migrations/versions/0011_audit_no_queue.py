"""The audit log no longer serialises writers: events are written unsealed and a sealer
chains them afterwards, in batches, in the order they became visible (core/audit.py).

Before: every audited write locked the one row of `audit_chain_head` from `record` to its
COMMIT, so at 32 concurrent reporters most backends waited on it (p99 2.2–4.8 s).
Linking at COMMIT time instead (a deferred constraint trigger) still serialises every
commit, WAL flush included: at 32 clients it gave 0.21–0.26x a bare transaction's
throughput, against 0.58–0.81x for unsealed rows and a sealer (bench/audit_designs.py,
bench/README.md, intake). Now, as transparency logs do:

- a writer inserts its event with `content_hash` (the SHA-256 of its contents, computed
  by the writer) and no chain position: `seq`, `prev_hash` and `hash` are NULL. No lock.
- `audit_seal(max_rows)` (the beat's `audit.seal` every 2 s, `gridgov audit seal`, and
  `gridgov audit verify` first) locks the head, takes the committed unsealed rows in id
  order and gives each the next `seq`, the previous hash and
  `hash = sha256(prev_hash || content_hash)`.

The database still keeps the log append-only, for every role, triggers ENABLE ALWAYS:
- DELETE and TRUNCATE are refused; an INSERT must be unsealed (and carry content_hash);
- the only UPDATE allowed is the sealing of an unsealed row: its contents and
  content_hash unchanged, `hash` the SHA-256 above, and the statement's sealed rows
  must extend the head in `seq` order (checked and the head moved per statement);
- the head moves only with a sealing.

Existing rows keep their hashes (the form of migration 0004, which covers id and
prev_hash; `content_hash` stays NULL for them) and get `seq` in id order, which was their
chain order.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CONTENT = "id, at, actor, action, subject_type, subject_id, before, after, content_hash"
LINK = "encode(sha256(convert_to({prev} || {content}, 'UTF8')), 'hex')"

REFUSE_UNLESS_SEALING = f"""
    CREATE FUNCTION audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seq IS NULL AND OLD.hash IS NULL AND OLD.prev_hash IS NULL
           AND OLD.content_hash IS NOT NULL
           AND ({', '.join('NEW.' + c for c in CONTENT.split(', '))})
               IS NOT DISTINCT FROM ({', '.join('OLD.' + c for c in CONTENT.split(', '))})
           AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL
           AND NEW.hash = {LINK.format(prev='NEW.prev_hash', content='NEW.content_hash')}
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_event is append-only: UPDATE refused (only the sealing of an '
            'unsealed row is allowed)' USING ERRCODE = 'insufficient_privilege';
    END $$
"""

# Per statement: the rows it sealed, in seq order, continue the head, and move it once.
EXTEND_ON_SEAL = """
    CREATE FUNCTION audit_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        head audit_chain_head%ROWTYPE;
        broken bigint;
    BEGIN
        IF NOT EXISTS (SELECT FROM sealed) THEN
            RETURN NULL;
        END IF;
        SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
        SELECT id INTO broken FROM (
            SELECT id, seq, prev_hash, lag(hash) OVER (ORDER BY seq) AS previous,
                   lag(seq) OVER (ORDER BY seq) AS previous_seq,
                   row_number() OVER (ORDER BY seq) AS n
            FROM sealed
        ) AS chain
        WHERE CASE WHEN n = 1
                   THEN seq <> head.last_seq + 1 OR prev_hash IS DISTINCT FROM head.last_hash
                   ELSE seq <> previous_seq + 1 OR prev_hash IS DISTINCT FROM previous END
        ORDER BY seq LIMIT 1;
        IF broken IS NOT NULL THEN
            RAISE EXCEPTION 'audit_event #% does not extend the chain head (seq %)',
                broken, head.last_seq USING ERRCODE = 'insufficient_privilege';
        END IF;
        UPDATE audit_chain_head SET (last_id, last_seq, last_hash) = (
            SELECT id, seq, hash FROM sealed ORDER BY seq DESC LIMIT 1) WHERE id = 1;
        RETURN NULL;
    END $$
"""

# Per statement, so a bulk COPY pays one check.
INSERT_UNSEALED = """
    CREATE FUNCTION audit_insert_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        bad bigint;
    BEGIN
        SELECT id INTO bad FROM added
        WHERE seq IS NOT NULL OR prev_hash IS NOT NULL OR hash IS NOT NULL
              OR content_hash IS NULL
        LIMIT 1;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'audit_event #% must be inserted unsealed, with its content_hash: '
                'audit_seal() gives it its place in the chain', bad
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$
"""

# The sealer. One at a time (the head's row lock); under READ COMMITTED each statement
# sees what was committed when it started, so a second sealer that waited for the first
# seals only what is left.
SEAL = f"""
    CREATE FUNCTION audit_seal(max_rows integer) RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        head audit_chain_head%ROWTYPE;
        ids bigint[] := '{{}}';
        seqs bigint[] := '{{}}';
        prevs text[] := '{{}}';
        hashes text[] := '{{}}';
        ev record;
    BEGIN
        SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
        FOR ev IN SELECT id, content_hash FROM audit_event WHERE seq IS NULL
                   ORDER BY id LIMIT max_rows LOOP
            head.last_seq := head.last_seq + 1;
            ids := ids || ev.id;
            seqs := seqs || head.last_seq;
            prevs := prevs || head.last_hash::text;
            head.last_hash := {LINK.format(prev='head.last_hash', content='ev.content_hash')};
            hashes := hashes || head.last_hash::text;
        END LOOP;
        IF cardinality(ids) > 0 THEN
            UPDATE audit_event e SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
            FROM unnest(ids, seqs, prevs, hashes) AS s(id, seq, prev_hash, hash)
            WHERE e.id = s.id;
        END IF;
        RETURN cardinality(ids);
    END $$
"""

HEAD_GUARD = """
    CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_chain_head moves only with the sealing of audit_event rows: '
            '% refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
"""

TRIGGERS = [
    ("audit_event_no_delete", "BEFORE DELETE ON audit_event FOR EACH ROW "
                              "EXECUTE FUNCTION audit_refuse_change()"),
    ("audit_event_seal_only", "BEFORE UPDATE ON audit_event FOR EACH ROW "
                              "EXECUTE FUNCTION audit_seal_only()"),
    ("audit_event_extend_chain", "AFTER UPDATE ON audit_event REFERENCING NEW TABLE AS sealed "
                                 "FOR EACH STATEMENT EXECUTE FUNCTION audit_extend_chain()"),
    ("audit_event_insert_unsealed", "AFTER INSERT ON audit_event REFERENCING NEW TABLE AS "
                                    "added FOR EACH STATEMENT "
                                    "EXECUTE FUNCTION audit_insert_unsealed()"),
]


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_event", sa.Column("content_hash", sa.CHAR(64), nullable=True))
    op.alter_column("audit_event", "prev_hash", existing_type=sa.CHAR(64), nullable=True)
    op.alter_column("audit_event", "hash", existing_type=sa.CHAR(64), nullable=True)
    op.add_column("audit_chain_head", sa.Column("last_seq", sa.BigInteger(),
                                                server_default="0", nullable=False))
    op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
    op.execute("DROP TRIGGER audit_event_extend_chain ON audit_event")
    op.execute("DROP FUNCTION audit_extend_chain()")
    # The existing chain, numbered in its (id) order; the head learns its seq.
    op.execute("ALTER TABLE audit_chain_head DISABLE TRIGGER audit_chain_head_guard")
    op.execute("UPDATE audit_event e SET seq = n.seq FROM (SELECT id, row_number() OVER "
               "(ORDER BY id) AS seq FROM audit_event) AS n WHERE e.id = n.id")
    op.execute("UPDATE audit_chain_head h SET last_seq = coalesce("
               "(SELECT seq FROM audit_event WHERE id = h.last_id), 0)")
    op.execute("ALTER TABLE audit_chain_head ENABLE ALWAYS TRIGGER audit_chain_head_guard")
    op.alter_column("audit_chain_head", "last_seq", server_default=None)
    op.create_unique_constraint("uq_audit_event_seq", "audit_event", ["seq"])
    op.create_check_constraint(
        "sealed_whole", "audit_event",
        "(seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)")
    op.create_index("ix_audit_event_unsealed", "audit_event", ["id"],
                    postgresql_where=sa.text("seq IS NULL"))
    for function in (REFUSE_UNLESS_SEALING, EXTEND_ON_SEAL, INSERT_UNSEALED, SEAL,
                     HEAD_GUARD):
        op.execute(function)
    for name, definition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {definition}")
        op.execute(f"ALTER TABLE audit_event ENABLE ALWAYS TRIGGER {name}")


def downgrade() -> None:
    """Back to one lock per write; only a log with no event of the new form can go back
    (the old form hashed id and prev_hash into each event)."""
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM audit_event WHERE content_hash IS NOT NULL) THEN
                RAISE EXCEPTION 'the audit log holds events chained by revision 0011: '
                    'they cannot be expressed in the form of 0004';
            END IF;
        END $$
    """)
    for name, _definition in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON audit_event")
    for function in ("audit_seal(integer)", "audit_insert_unsealed()", "audit_extend_chain()",
                     "audit_seal_only()"):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_index("ix_audit_event_unsealed", table_name="audit_event")
    op.drop_constraint(op.f("ck_audit_event_sealed_whole"), "audit_event", type_="check")
    op.drop_constraint("uq_audit_event_seq", "audit_event", type_="unique")
    op.drop_column("audit_chain_head", "last_seq")
    op.alter_column("audit_event", "hash", existing_type=sa.CHAR(64), nullable=False)
    op.alter_column("audit_event", "prev_hash", existing_type=sa.CHAR(64), nullable=False)
    op.drop_column("audit_event", "content_hash")
    op.drop_column("audit_event", "seq")
    op.execute(HEAD_GUARD.replace("the sealing of audit_event rows", "audit_event inserts"))
    # 0009's per-statement insert check and 0004's refusal of every UPDATE and DELETE.
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
    for name, definition in (
        ("audit_event_append_only", "BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW "
                                    "EXECUTE FUNCTION audit_refuse_change()"),
        ("audit_event_extend_chain", "AFTER INSERT ON audit_event REFERENCING NEW TABLE AS "
                                     "added FOR EACH STATEMENT "
                                     "EXECUTE FUNCTION audit_extend_chain()"),
    ):
        op.execute(f"CREATE TRIGGER {name} {definition}")
        op.execute(f"ALTER TABLE audit_event ENABLE ALWAYS TRIGGER {name}")
