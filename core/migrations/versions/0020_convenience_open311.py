"""便民服务: 12345 work orders and Open311 (API keys, requests, updates, attributes).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# The 12345 rules as first seeded (convenience/open311/workorders.py RULES at this
# revision): name → (value, label, citation). Admins edit the rows afterwards.
RULES = {'extension': ('5d',
               '延期（经本单位负责人批准，工作日）',
               '安阳市政务服务条例第五十条第一款：对于特别复杂的政务服务热线事项，五个工作日不能办理完毕的，经本单位负责人批准，可以延期五个工作日'),
 'handling': ('5d',
              '承办时限（工作日）',
              '安阳市政务服务条例第五十条第一款：承办单位应当在接到政务服务热线事项五个工作日内办理完毕并回复来电人、反馈热线工作机构；国务院办公厅关于进一步优化地方政务服务便民热线的指导意见（国办发〔2020〕53号）'),
 'objection_hours': ('24',
                     '派单异议（退回）期限（小时，自派单起）',
                     '安阳市政务服务条例第五十条第二款：不属于本单位职责范围的，应当在24小时内退回热线工作机构并说明退回原因'),
 'objection_rounds': ('1',
                      '派单异议轮次',
                      '北京市接诉即办工作条例第十二条第三款（派单异议审核机制）；潍坊市12345政务服务便民热线条例第二十二条第二款：经研究确定或者直接指定的承办单位不得退回热线事项'),
 'response': ('1d', '签收（响应）时限（工作日）', '本地规定（响应率考核口径）：北京市接诉即办工作条例第三十二条，考评以响应率、解决率、满意率为核心内容')}

# The attribute every Open311 service shares (service_code ''): when it was seen.
ATTRIBUTES = [
    {"service_code": "", "code": "found_at", "datatype": "datetime", "required": False,
     "variable": True, "description": "发现时间（可不填）",
     "datatype_description": "ISO 8601，含时区，例如 2026-12-07T08:30:00+08:00",
     "sort_order": 1, "values": []},
]


def upgrade() -> None:
    op.create_table('open311_api_key',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('app_name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_api_key_key_hash'))
    )
    op.create_index('uq_open311_api_key_live_app', 'open311_api_key', ['app_name'], unique=True, postgresql_where=sa.text('revoked_at IS NULL'))
    op.create_table('open311_attribute',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('service_code', sa.String(length=32), server_default='', nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('datatype', sa.String(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('variable', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('datatype_description', sa.Text(), server_default='', nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='1', nullable=False),
    sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.CheckConstraint("datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')", name=op.f('ck_open311_attribute_datatype_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_attribute')),
    sa.UniqueConstraint('service_code', 'code', name='uq_open311_attribute_code')
    )
    op.create_table('workorder_rule',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_workorder_rule'))
    )
    op.create_table('open311_request',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('api_key_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('service_name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('long', sa.Float(), nullable=True),
    sa.Column('address_string', sa.String(length=400), server_default='', nullable=False),
    sa.Column('address_id', sa.String(length=100), server_default='', nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('account_id', sa.String(length=100), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('media_url', sa.String(length=2000), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=8), server_default='open', nullable=False),
    sa.Column('status_notes', sa.Text(), nullable=True),
    sa.Column('agency_responsible', sa.String(length=200), nullable=True),
    sa.Column('service_notice', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('subject_type', sa.String(length=32), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('last_event_id', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_open311_request_status_known')),
    sa.CheckConstraint('(lat IS NULL) = (long IS NULL)', name=op.f('ck_open311_request_lat_long_together')),
    sa.ForeignKeyConstraint(['api_key_id'], ['open311_api_key.id'], name=op.f('fk_open311_request_api_key_id_open311_api_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_request')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_request_token'))
    )
    op.create_index('ix_open311_request_api_key_id', 'open311_request', ['api_key_id'], unique=False, postgresql_where=sa.text('api_key_id IS NOT NULL'))
    op.create_index('ix_open311_request_requested', 'open311_request', ['requested_at', 'id'], unique=False)
    op.create_index('ix_open311_request_subject', 'open311_request', ['subject_type', 'subject_id'], unique=False, postgresql_where=sa.text('subject_id IS NOT NULL'))
    op.create_table('open311_request_update',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_event_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_open311_request_update_status_known')),
    sa.ForeignKeyConstraint(['request_id'], ['open311_request.id'], name=op.f('fk_open311_request_update_request_id_open311_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_request_update')),
    sa.UniqueConstraint('request_id', 'source_event_id', name='uq_open311_update_event')
    )
    op.create_index('ix_open311_request_update_updated', 'open311_request_update', ['updated_at', 'id'], unique=False)
    op.create_table('work_order',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('caller_name', sa.String(length=50), server_default='', nullable=False),
    sa.Column('caller_phone', sa.String(length=20), nullable=False),
    sa.Column('matter_code', sa.String(length=32, collation='C'), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=400), server_default='', nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('area_code', sa.String(length=15, collation='C'), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), server_default='convenience', nullable=False),
    sa.Column('handler_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('first_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('objection_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('objection_reason', sa.Text(), nullable=True),
    sa.Column('refused', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('extended', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.String(length=8), server_default='green', nullable=False),
    sa.Column('ever_overdue', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('callback_note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_on_time', sa.Boolean(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')", name=op.f('ck_work_order_satisfaction_known')),
    sa.CheckConstraint("state IN ('registered', 'dispatched', 'objected', 'handling', 'transferred', 'replied', 'closed', 'void')", name=op.f('ck_work_order_state_known')),
    sa.ForeignKeyConstraint(['first_unit_id'], ['unit.id'], name=op.f('fk_work_order_first_unit_id_unit')),
    sa.ForeignKeyConstraint(['handler_unit_id'], ['unit.id'], name=op.f('fk_work_order_handler_unit_id_unit')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_work_order_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    op.create_index('ix_work_order_geom', 'work_order', ['geom'], unique=False, postgresql_using='gist')
    op.create_index('ix_work_order_handler_open', 'work_order', ['handler_unit_id', 'state'], unique=False, postgresql_where=sa.text("state NOT IN ('closed', 'void')"))
    op.create_index('ix_work_order_owner_code_created', 'work_order', ['owner_code', 'created_at'], unique=False)
    op.create_table('workorder_catalogue',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('matter_code', sa.String(length=32, collation='C'), nullable=False),
    sa.Column('matter', sa.String(length=100), nullable=False),
    sa.Column('keywords', sa.String(length=400), server_default='', nullable=False),
    sa.Column('area_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('incident_service_code', sa.String(length=32), nullable=True),
    sa.Column('basis', sa.Text(), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_workorder_catalogue_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workorder_catalogue')),
    sa.UniqueConstraint('matter_code', 'area_code', name='uq_workorder_catalogue_matter_area')
    )
    op.create_index(op.f('ix_workorder_catalogue_unit_id'), 'workorder_catalogue', ['unit_id'], unique=False)
    op.bulk_insert(sa.table("workorder_rule", sa.column("name"), sa.column("value"),
                            sa.column("label"), sa.column("citation")),
                   [{"name": name, "value": value, "label": label, "citation": citation}
                    for name, (value, label, citation) in RULES.items()])
    op.bulk_insert(sa.table("open311_attribute", sa.column("service_code"),
                            sa.column("code"), sa.column("datatype"), sa.column("required"),
                            sa.column("variable"), sa.column("description"),
                            sa.column("datatype_description"), sa.column("sort_order"),
                            sa.column("values", postgresql.JSONB)), ATTRIBUTES)


def downgrade() -> None:
    op.drop_table("workorder_catalogue")
    op.drop_table("work_order")
    op.drop_table("open311_request_update")
    op.drop_table("open311_request")
    op.drop_table("workorder_rule")
    op.drop_table("open311_attribute")
    op.drop_table("open311_api_key")
