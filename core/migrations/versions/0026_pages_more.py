"""Pages: admin and KPI pages, field app, escalation reasons.

The field app's offline submissions (issue 12 §7, DESIGN.md: a replayed submission is
stored once): a piece of evidence added to an existing case, and an application taken by
a proxy agent (帮代办), carry the phone's Idempotency-Key under a unique index.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# (table, the column the key is unique within, constraint)
KEYED = (("enforcement_evidence", "case_id", "uq_enforcement_evidence_key"),
         ("svc_application", "intake_unit_id", "uq_svc_application_key"))


def upgrade() -> None:
    for table, within, constraint in KEYED:
        op.add_column(table, sa.Column("idempotency_key", sa.String(128), nullable=True))
        op.add_column(table, sa.Column("request_hash", sa.String(64), nullable=True))
        # NULL keys (everything not sent from a phone's queue) never conflict.
        op.create_unique_constraint(constraint, table, [within, "idempotency_key"])


def downgrade() -> None:
    for table, _within, constraint in reversed(KEYED):
        op.drop_constraint(constraint, table, type_="unique")
        op.drop_column(table, "request_hash")
        op.drop_column(table, "idempotency_key")
