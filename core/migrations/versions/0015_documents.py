"""Kernel documents: numbered 文书 per unit and year, their hashes and public verification.

Three tables (core/documents/models.py): `document_numbering` (each unit's 机关代字 and
类别字 per kind), `document_counter` (the last serial per unit, kind and year, taken in
the locking transaction: no gap, no duplicate) and `document`; and a trigger that keeps a
locked document's content as it was locked, whoever connects.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

STATES = "'draft', 'locked', 'served', 'revoked'"
METHODS = "'direct', 'lodged', 'electronic', 'post', 'entrusted', 'announcement'"


def upgrade() -> None:
    op.create_table(
        "document_numbering",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("pattern", sa.String(length=100),
                  server_default="{agency}{category}字〔{year}〕第{serial}号", nullable=False),
        sa.Column("digits", sa.Integer(), server_default="4", nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("digits BETWEEN 1 AND 9", name="digits_range"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "kind", name="uq_document_numbering_unit_kind"),
    )
    op.create_table(
        "document_counter",
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "kind", "year"),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("verify_token", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("service_method", sa.String(length=16), nullable=True),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("served_by", sa.String(length=64), nullable=True),
        sa.Column("service_note", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name="state_known"),
        sa.CheckConstraint(f"service_method IN ({METHODS})", name="service_method_known"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        sa.CheckConstraint("(state = 'draft') = (serial IS NULL)", name="numbered_once_locked"),
        sa.CheckConstraint("state = 'draft' OR (number IS NOT NULL AND sha256 IS NOT NULL "
                           "AND pdf IS NOT NULL AND locked_at IS NOT NULL)",
                           name="locked_complete"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "kind", "year", "serial", name="uq_document_serial"),
        sa.UniqueConstraint("verify_token", name="uq_document_verify_token"),
    )
    op.create_index("ix_document_subject", "document", ["subject_type", "subject_id"])
    op.create_index("ix_document_unit_created", "document", ["unit_id", sa.text("created_at DESC")])
    # A locked document keeps what it was locked with (core/documents/models.py): only its
    # service (once) and its revocation (once) are recorded later, and its state moves
    # forward only; a locked one is never deleted. ENABLE ALWAYS, as the audit's triggers:
    # session_replication_role = replica does not bypass it either.
    op.execute("""
        CREATE FUNCTION document_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            later CONSTANT text[] := ARRAY['state', 'version', 'service_method', 'served_at',
                                           'served_by', 'service_note', 'revoked_at',
                                           'revoked_by', 'revoked_reason'];
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.state <> 'draft' THEN
                    RAISE EXCEPTION 'document % is locked: it cannot be deleted', OLD.id
                          USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.state = 'draft' THEN
                RETURN NEW;
            END IF;
            IF to_jsonb(OLD) - later IS DISTINCT FROM to_jsonb(NEW) - later THEN
                RAISE EXCEPTION 'document % is locked: its content cannot change', OLD.id
                      USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
                   (OLD.state = 'locked' AND NEW.state IN ('served', 'revoked'))
                OR (OLD.state = 'served' AND NEW.state = 'revoked')) THEN
                RAISE EXCEPTION 'document %: % cannot become %', OLD.id, OLD.state, NEW.state
                      USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF OLD.served_at IS NOT NULL AND
               (NEW.service_method, NEW.served_at, NEW.served_by, NEW.service_note)
               IS DISTINCT FROM
               (OLD.service_method, OLD.served_at, OLD.served_by, OLD.service_note) THEN
                RAISE EXCEPTION 'document % was served: its service is recorded', OLD.id
                      USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF OLD.state = 'revoked' AND
               (NEW.revoked_at, NEW.revoked_by, NEW.revoked_reason)
               IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by, OLD.revoked_reason) THEN
                RAISE EXCEPTION 'document % was revoked: its revocation is recorded', OLD.id
                      USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER document_immutable BEFORE UPDATE OR DELETE ON document
            FOR EACH ROW EXECUTE FUNCTION document_immutable();
        ALTER TABLE document ENABLE ALWAYS TRIGGER document_immutable;""")


def downgrade() -> None:
    op.execute("DROP TABLE document")
    op.execute("DROP FUNCTION document_immutable()")
    op.drop_table("document_counter")
    op.drop_table("document_numbering")
