"""The incident hub: incidents, their reporters, photos, timeline and hand-offs, and the
transactional outbox with the in-app inbox it delivers to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    op.create_index('ix_outbox_message_pending', 'outbox_message', ['available_at', 'id'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'))
    op.create_table('notification',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('outbox_id', sa.BigInteger(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_message.id'], name=op.f('fk_notification_outbox_id_outbox_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('outbox_id', 'user_id', name='uq_notification_outbox_user')
    )
    op.create_index(op.f('ix_notification_user_id'), 'notification', ['user_id'], unique=False)
    op.create_index('ix_notification_user_unread', 'notification', ['user_id', 'id'], unique=False, postgresql_where=sa.text('read_at IS NULL'))
    op.create_table('incident',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('grid_id', sa.BigInteger(), nullable=False),
    sa.Column('grid_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('responsible_worker_id', sa.BigInteger(), nullable=True),
    sa.Column('reporter_id', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('owner_department', sa.String(length=100), nullable=True),
    sa.Column('handler_unit', sa.String(length=100), nullable=True),
    sa.Column('handler_user_id', sa.BigInteger(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('step', sa.String(length=16), nullable=True),
    sa.Column('step_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('step_warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('step_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.String(length=8), nullable=False),
    sa.Column('overdue_escalated', sa.Boolean(), nullable=False),
    sa.Column('ever_overdue', sa.Boolean(), nullable=False),
    sa.Column('verified_on_time', sa.Boolean(), nullable=True),
    sa.Column('suspended_from', sa.String(length=16), nullable=True),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remaining_seconds', sa.Float(), nullable=True),
    sa.Column('warn_remaining_seconds', sa.Float(), nullable=True),
    sa.Column('rework_count', sa.SmallInteger(), nullable=False),
    sa.Column('return_count', sa.SmallInteger(), nullable=False),
    sa.Column('escalation_count', sa.SmallInteger(), nullable=False),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('duplicate_candidates', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint("deadline IN ('green', 'yellow', 'red')", name=op.f('ck_incident_deadline_known')),
    sa.CheckConstraint("owner_platform IN ('grid', 'enforcement', 'market_supervision', 'convenience')", name=op.f('ck_incident_platform_known')),
    sa.CheckConstraint("source IN ('grid_worker', 'patrol', 'hotline', 'citizen_app', 'inspection')", name=op.f('ck_incident_source_known')),
    sa.CheckConstraint("state IN ('reported', 'filed', 'dispatched', 'handling', 'handled', 'verified', 'closed', 'evaluated', 'returned', 'rework', 'suspended', 'void', 'merged')", name=op.f('ck_incident_state_known')),
    sa.CheckConstraint("urgency IN ('normal', 'urgent', 'critical')", name=op.f('ck_incident_urgency_known')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_incident_rating_range')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_incident_category_id_category')),
    sa.ForeignKeyConstraint(['grid_id'], ['area.id'], name=op.f('fk_incident_grid_id_area')),
    sa.ForeignKeyConstraint(['handler_user_id'], ['app_user.id'], name=op.f('fk_incident_handler_user_id_app_user')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['incident.id'], name=op.f('fk_incident_merged_into_id_incident')),
    sa.ForeignKeyConstraint(['reporter_id'], ['app_user.id'], name=op.f('fk_incident_reporter_id_app_user')),
    sa.ForeignKeyConstraint(['responsible_worker_id'], ['grid_worker.id'], name=op.f('fk_incident_responsible_worker_id_grid_worker'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('reporter_id', 'idempotency_key', name='uq_incident_idempotency')
    )
    op.create_index(op.f('ix_incident_category_id'), 'incident', ['category_id'], unique=False)
    op.create_index('ix_incident_geom', 'incident', ['geom'], unique=False, postgresql_using='gist')
    op.create_index('ix_incident_grid_code_reported', 'incident', ['grid_code', 'reported_at'], unique=False)
    op.create_index('ix_incident_owner_open', 'incident', ['owner_code', 'state'], unique=False, postgresql_where=sa.text("state NOT IN ('closed', 'evaluated', 'void', 'merged')"))
    op.create_index(op.f('ix_incident_responsible_worker_id'), 'incident', ['responsible_worker_id'], unique=False)
    op.create_index('ix_incident_sweep_due', 'incident', ['step_due_at'], unique=False, postgresql_where=sa.text("state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', 'rework', 'handled') AND deadline <> 'red'"))
    op.create_index('ix_incident_sweep_warn', 'incident', ['step_warn_at'], unique=False, postgresql_where=sa.text("state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', 'rework', 'handled') AND deadline = 'green'"))
    op.create_table('handoff',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('from_platform', sa.String(length=24), nullable=False),
    sa.Column('to_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('to_platform', sa.String(length=24), nullable=False),
    sa.Column('to_department', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_reason', sa.Text(), nullable=True),
    sa.Column('escalated_to_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('escalate', 'assign', 'refer')", name=op.f('ck_handoff_kind_known')),
    sa.CheckConstraint("status IN ('pending', 'signed', 'returned', 'expired')", name=op.f('ck_handoff_status_known')),
    sa.CheckConstraint("to_platform IN ('grid', 'enforcement', 'market_supervision', 'convenience')", name=op.f('ck_handoff_platform_known')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_handoff_incident_id_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff'))
    )
    op.create_index(op.f('ix_handoff_incident_id'), 'handoff', ['incident_id'], unique=False)
    op.create_index('ix_handoff_pending_due', 'handoff', ['due_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_handoff_to_code_pending', 'handoff', ['to_code'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('uq_handoff_one_pending', 'handoff', ['incident_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('incident_event',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_event_incident_id_incident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_event'))
    )
    op.create_index(op.f('ix_incident_event_incident_id'), 'incident_event', ['incident_id'], unique=False)
    op.create_table('incident_photo',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('thumbnail_path', sa.String(length=300), nullable=True),
    sa.Column('uploaded_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('report', 'before', 'after')", name=op.f('ck_incident_photo_kind_known')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_photo_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'], name=op.f('fk_incident_photo_uploaded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_photo')),
    sa.UniqueConstraint('incident_id', 'sha256', name='uq_incident_photo_sha')
    )
    op.create_index(op.f('ix_incident_photo_incident_id'), 'incident_photo', ['incident_id'], unique=False)
    op.create_table('incident_reporter',
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('via_incident_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_reporter_incident_id_incident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_incident_reporter_user_id_app_user')),
    sa.PrimaryKeyConstraint('incident_id', 'user_id', name=op.f('pk_incident_reporter'))
    )


def downgrade() -> None:
    op.drop_table('incident_reporter')
    op.drop_index(op.f('ix_incident_photo_incident_id'), table_name='incident_photo')
    op.drop_table('incident_photo')
    op.drop_index(op.f('ix_incident_event_incident_id'), table_name='incident_event')
    op.drop_table('incident_event')
    op.drop_index('uq_handoff_one_pending', table_name='handoff', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_handoff_to_code_pending', table_name='handoff', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_handoff_pending_due', table_name='handoff', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_handoff_incident_id'), table_name='handoff')
    op.drop_table('handoff')
    op.drop_index('ix_incident_sweep_warn', table_name='incident', postgresql_where=sa.text("state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', 'rework', 'handled') AND deadline = 'green'"))
    op.drop_index('ix_incident_sweep_due', table_name='incident', postgresql_where=sa.text("state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', 'rework', 'handled') AND deadline <> 'red'"))
    op.drop_index(op.f('ix_incident_responsible_worker_id'), table_name='incident')
    op.drop_index('ix_incident_owner_open', table_name='incident', postgresql_where=sa.text("state NOT IN ('closed', 'evaluated', 'void', 'merged')"))
    op.drop_index('ix_incident_grid_code_reported', table_name='incident')
    op.drop_index('ix_incident_geom', table_name='incident', postgresql_using='gist')
    op.drop_index(op.f('ix_incident_category_id'), table_name='incident')
    op.drop_table('incident')
    op.drop_index('ix_notification_user_unread', table_name='notification', postgresql_where=sa.text('read_at IS NULL'))
    op.drop_index(op.f('ix_notification_user_id'), table_name='notification')
    op.drop_table('notification')
    op.drop_index('ix_outbox_message_pending', table_name='outbox_message', postgresql_where=sa.text('delivered_at IS NULL'))
    op.drop_table('outbox_message')
