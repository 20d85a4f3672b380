"""便民服务: service points, catalogue, applications, bundles, proxies, ratings.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The limits as first seeded (convenience/services/limits.py DEFAULTS at this revision):
# key → (value, label, citation). Admins edit the rows afterwards.
SETTINGS = {'bundle.default': ('10d',
                    '一件事一次办默认承诺时限',
                    '国务院关于加快推进全国一体化在线政务服务平台建设的指导意见（国发〔2018〕27号）；国务院办公厅关于加快推进“一件事一次办”打造政务服务升级版的指导意见（国办发〔2024〕3号）'),
 'commit.check': ('20d', '告知承诺事项核查默认期限', '安阳市政务服务条例第二十七条：准予行政许可决定作出后，在规定期限内对承诺履行情况进行核查'),
 'enterprise.green': ('5d', '企业代办绿单：部门帮办时限', '企业代办督办“四色单”制度：绿单部门5个工作日内办结'),
 'enterprise.red': ('3d', '企业代办红单：问责处理时限', '企业代办督办“四色单”制度：红单问责，通报纪检监察和营商环境部门'),
 'enterprise.white': ('1d', '企业代办白单：登记后转部门帮办时限', '企业代办督办“四色单”制度（参照株洲市做法）：白单登记1个工作日内分派'),
 'enterprise.yellow': ('3d', '企业代办黄单：督办时限', '企业代办督办“四色单”制度：黄单督办3个工作日内办结'),
 'rating.bad_below': ('3',
                      '低于此等级为差评（不满意、非常不满意）',
                      '国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见（国办发〔2019〕51号）：评价等级分为非常满意、满意、基本满意、不满意和非常不满意'),
 'rating.contact': ('1d',
                    '差评联系核实时限',
                    '安阳市政务服务条例第五十二条：对实名差评事项，应当在一个工作日内联系核实；国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见（国办发〔2019〕51号）'),
 'rating.rectify': ('15d',
                    '差评整改时限',
                    '国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见（国办发〔2019〕51号）：对实名差评事项，原则上整改反馈时间不超过15个工作日'),
 'public.lookups_per_minute': ('10',
                                  '每个地址每分钟办件查询与评价次数上限（0为不限）',
                                  '技术限值：防止以办件编号和手机号撞库查询他人办件（个人信息保护法第五十一条）'),
 'refusal.report_weekday': ('1', '否定事项周报生成日（周一=1）', '安阳市政务服务条例第二十一条、第五十四条：否定事项报备与监督'),
 'stuck.complex': ('5d', '办不成事：复杂事项进展反馈时限', '“办不成事”反映窗口工作规范（参照各地做法）：复杂事项5个工作日内反馈进展'),
 'stuck.general': ('2d', '办不成事：一般事项办结时限', '“办不成事”反映窗口工作规范（参照各地做法）：一般事项2个工作日内办结'),
 'supplement.default': ('5d',
                        '容缺受理补齐材料的默认期限',
                        '安阳市政务服务条例第二十四条：当场一次性告知需要补齐补正的材料、时限和逾期处理办法；逾期未补齐补正材料的，视为撤回申请')}


def upgrade() -> None:
    # Trigram index of the catalogue's search (CJK works: C.UTF-8 hashes each trigram).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('svc_bundle_type',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('item_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('promised_days', sa.SmallInteger(), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_svc_bundle_type'))
    )
    op.create_table('svc_setting',
    sa.Column('key', sa.String(length=48), nullable=False),
    sa.Column('value', sa.String(length=48), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_svc_setting'))
    )
    op.create_table('svc_item',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('item_code', sa.String(length=40, collation='C'), nullable=False),
    sa.Column('impl_code', sa.String(length=60, collation='C'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('levels', postgresql.ARRAY(sa.String(length=16)), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('legal_days', sa.SmallInteger(), nullable=False),
    sa.Column('promised_days', sa.SmallInteger(), nullable=False),
    sa.Column('visits', sa.SmallInteger(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('proxy', sa.Boolean(), nullable=False),
    sa.Column('notify_commit', sa.Boolean(), nullable=False),
    sa.Column('commit_check_days', sa.SmallInteger(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("item_type IN ('licence', 'payment', 'confirmation', 'adjudication', 'award', 'other_power', 'public_service')", name=op.f('ck_svc_item_type_known')),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_svc_item_fee_not_negative')),
    sa.CheckConstraint('promised_days <= legal_days', name=op.f('ck_svc_item_promise_within_law')),
    sa.CheckConstraint('promised_days >= 0 AND legal_days >= 0', name=op.f('ck_svc_item_days_not_negative')),
    sa.CheckConstraint('visits IN (0, 1)', name=op.f('ck_svc_item_visits_at_most_one')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_svc_item_department_code_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_item')),
    sa.UniqueConstraint('impl_code', name=op.f('uq_svc_item_impl_code'))
    )
    op.create_index(op.f('ix_svc_item_department_code'), 'svc_item', ['department_code'], unique=False)
    op.create_index(op.f('ix_svc_item_item_code'), 'svc_item', ['item_code'], unique=False)
    op.create_index('ix_svc_item_search', 'svc_item', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_table('svc_bundle',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=24, collation='C'), nullable=False),
    sa.Column('bundle_type', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('applicant_name', sa.String(length=60), nullable=False),
    sa.Column('applicant_phone', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bundle_type'], ['svc_bundle_type.code'], name=op.f('fk_svc_bundle_bundle_type_svc_bundle_type')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_svc_bundle_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bundle')),
    sa.UniqueConstraint('number', name=op.f('uq_svc_bundle_number'))
    )
    op.create_table('svc_enterprise_request',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=24, collation='C'), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('enterprise_name', sa.String(length=120), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.String(length=500), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=True),
    sa.Column('help_kind', sa.String(length=60), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('white', 'green', 'yellow', 'red', 'done')", name=op.f('ck_svc_enterprise_request_state_known')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_svc_enterprise_request_department_code_department')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_svc_enterprise_request_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_enterprise_request')),
    sa.UniqueConstraint('number', name=op.f('uq_svc_enterprise_request_number'))
    )
    op.create_table('svc_material',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('trust_level', sa.String(length=1), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('may_defer', sa.Boolean(), nullable=False),
    sa.Column('copies', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("trust_level IN ('A', 'B', 'C', 'D')", name=op.f('ck_svc_material_trust_known')),
    sa.CheckConstraint('NOT may_defer OR NOT is_primary', name=op.f('ck_svc_material_only_secondary_deferred')),
    sa.ForeignKeyConstraint(['item_id'], ['svc_item.id'], name=op.f('fk_svc_material_item_id_svc_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_material')),
    sa.UniqueConstraint('item_id', 'position', name='uq_svc_material_position')
    )
    op.create_table('svc_point',
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('location', geoalchemy2.types.Geography(geometry_type='POINT', srid=4326, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('opening_hours', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_point_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_svc_point'))
    )
    op.create_index('ix_svc_point_location', 'svc_point', ['location'], unique=False, postgresql_using='gist')
    op.create_table('svc_point_item',
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['svc_item.id'], name=op.f('fk_svc_point_item_item_id_svc_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_point_item_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'item_id', name=op.f('pk_svc_point_item'))
    )
    op.create_index(op.f('ix_svc_point_item_item_id'), 'svc_point_item', ['item_id'], unique=False)
    op.create_table('svc_proxy_agent',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('tier', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("tier IN ('village', 'township', 'coordinator')", name=op.f('ck_svc_proxy_agent_tier_known')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_proxy_agent_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_svc_proxy_agent_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_svc_proxy_agent'))
    )
    op.create_index(op.f('ix_svc_proxy_agent_unit_id'), 'svc_proxy_agent', ['unit_id'], unique=False)
    op.create_table('svc_refusal_report',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('county_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('supervisor_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supervisor_unit_id'], ['unit.id'], name=op.f('fk_svc_refusal_report_supervisor_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_refusal_report')),
    sa.UniqueConstraint('county_code', 'week_start', name='uq_svc_refusal_week')
    )
    op.create_table('svc_window',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('comprehensive', 'department', 'stuck', 'enterprise')", name=op.f('ck_svc_window_kind_known')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_svc_window_department_code_department')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_window_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_window')),
    sa.UniqueConstraint('unit_id', 'number', name='uq_svc_window_number')
    )
    op.create_table('svc_application',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=24, collation='C'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('bundle_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('intake_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('applicant_name', sa.String(length=60), nullable=False),
    sa.Column('applicant_phone', sa.String(length=20), nullable=False),
    sa.Column('applicant_kind', sa.String(length=12), nullable=False),
    sa.Column('proxy_user_id', sa.BigInteger(), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_note', sa.String(length=300), nullable=True),
    sa.Column('deferred', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('promise_text', sa.Text(), nullable=True),
    sa.Column('supplement_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('commitment', sa.Boolean(), nullable=False),
    sa.Column('commit_check_due', sa.Date(), nullable=True),
    sa.Column('commit_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('commit_check_result', sa.String(length=300), nullable=True),
    sa.Column('visits', sa.SmallInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('result_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("channel <> 'proxy' OR (proxy_user_id IS NOT NULL AND consent_at IS NOT NULL)", name=op.f('ck_svc_application_proxy_needs_consent')),
    sa.CheckConstraint("channel IN ('window', 'station', 'online', 'proxy')", name=op.f('ck_svc_application_channel_known')),
    sa.ForeignKeyConstraint(['bundle_id'], ['svc_bundle.id'], name=op.f('fk_svc_application_bundle_id_svc_bundle')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_svc_application_department_code_department')),
    sa.ForeignKeyConstraint(['intake_unit_id'], ['unit.id'], name=op.f('fk_svc_application_intake_unit_id_unit')),
    sa.ForeignKeyConstraint(['item_id'], ['svc_item.id'], name=op.f('fk_svc_application_item_id_svc_item')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_svc_application_owner_unit_id_unit')),
    sa.ForeignKeyConstraint(['proxy_user_id'], ['app_user.id'], name=op.f('fk_svc_application_proxy_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_application')),
    sa.UniqueConstraint('number', name=op.f('uq_svc_application_number'))
    )
    op.create_index(op.f('ix_svc_application_bundle_id'), 'svc_application', ['bundle_id'], unique=False)
    op.create_index(op.f('ix_svc_application_intake_unit_id'), 'svc_application', ['intake_unit_id'], unique=False)
    op.create_index(op.f('ix_svc_application_item_id'), 'svc_application', ['item_id'], unique=False)
    op.create_index('ix_svc_application_owner', 'svc_application', ['owner_code'], unique=False)
    op.create_index(op.f('ix_svc_application_proxy_user_id'), 'svc_application', ['proxy_user_id'], unique=False)
    op.create_index('ix_svc_application_received', 'svc_application', ['received_at'], unique=False)
    op.create_table('svc_rating',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rerates_id', sa.BigInteger(), nullable=True),
    sa.Column('appeal_state', sa.String(length=10), nullable=False),
    sa.Column('appeal_reason', sa.String(length=500), nullable=True),
    sa.Column('appeal_decision', sa.String(length=500), nullable=True),
    sa.Column('appeal_decided_by', sa.String(length=64), nullable=True),
    sa.Column('appeal_decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("appeal_state IN ('none', 'pending', 'upheld', 'rejected')", name=op.f('ck_svc_rating_appeal_known')),
    sa.CheckConstraint("channel IN ('device', 'qr', 'sms', 'app')", name=op.f('ck_svc_rating_channel_known')),
    sa.CheckConstraint("stage IN ('accept', 'finish')", name=op.f('ck_svc_rating_stage_known')),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_svc_rating_level_known')),
    sa.ForeignKeyConstraint(['application_id'], ['svc_application.id'], name=op.f('fk_svc_rating_application_id_svc_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['svc_item.id'], name=op.f('fk_svc_rating_item_id_svc_item')),
    sa.ForeignKeyConstraint(['rerates_id'], ['svc_rating.id'], name=op.f('fk_svc_rating_rerates_id_svc_rating')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_rating_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_rating'))
    )
    op.create_index(op.f('ix_svc_rating_application_id'), 'svc_rating', ['application_id'], unique=False)
    op.create_index('ix_svc_rating_unit_at', 'svc_rating', ['unit_id', 'at'], unique=False)
    op.create_table('svc_refusal',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('unit_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('report_id', sa.BigInteger(), nullable=True),
    sa.Column('finding', sa.String(length=16), nullable=True),
    sa.Column('finding_note', sa.String(length=500), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('supplement', 'not_accepted', 'returned')", name=op.f('ck_svc_refusal_kind_known')),
    sa.CheckConstraint('length(btrim(reason)) > 0', name=op.f('ck_svc_refusal_reason_given')),
    sa.ForeignKeyConstraint(['application_id'], ['svc_application.id'], name=op.f('fk_svc_refusal_application_id_svc_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['svc_refusal_report.id'], name=op.f('fk_svc_refusal_report_id_svc_refusal_report')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_svc_refusal_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_refusal'))
    )
    op.create_index(op.f('ix_svc_refusal_application_id'), 'svc_refusal', ['application_id'], unique=False)
    op.create_index(op.f('ix_svc_refusal_at'), 'svc_refusal', ['at'], unique=False)
    op.create_index(op.f('ix_svc_refusal_report_id'), 'svc_refusal', ['report_id'], unique=False)
    op.create_table('svc_stuck_matter',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=24, collation='C'), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('applicant_name', sa.String(length=60), nullable=False),
    sa.Column('applicant_phone', sa.String(length=20), nullable=False),
    sa.Column('matter', sa.String(length=500), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('progress_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind IN ('simple', 'general', 'complex')", name=op.f('ck_svc_stuck_matter_kind_known')),
    sa.ForeignKeyConstraint(['application_id'], ['svc_application.id'], name=op.f('fk_svc_stuck_matter_application_id_svc_application')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_svc_stuck_matter_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_stuck_matter')),
    sa.UniqueConstraint('number', name=op.f('uq_svc_stuck_matter_number'))
    )
    op.create_table('svc_rectification',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('rating_id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rectified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('measures', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['svc_application.id'], name=op.f('fk_svc_rectification_application_id_svc_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_svc_rectification_owner_unit_id_unit')),
    sa.ForeignKeyConstraint(['rating_id'], ['svc_rating.id'], name=op.f('fk_svc_rectification_rating_id_svc_rating')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_rectification')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_svc_rectification_rating_id'))
    )
    op.create_index(op.f('ix_svc_rectification_application_id'), 'svc_rectification', ['application_id'], unique=False)
    op.execute("CREATE SEQUENCE svc_number_seq")
    op.bulk_insert(sa.table("svc_setting", sa.column("key"), sa.column("value"),
                            sa.column("label"), sa.column("citation")),
                   [{"key": k, "value": v, "label": label, "citation": citation}
                    for k, (v, label, citation) in SETTINGS.items()])


def downgrade() -> None:
    op.execute("DROP SEQUENCE IF EXISTS svc_number_seq")
    for table in ['svc_rectification', 'svc_stuck_matter', 'svc_refusal', 'svc_rating', 'svc_application', 'svc_window', 'svc_refusal_report', 'svc_proxy_agent', 'svc_point_item', 'svc_point', 'svc_material', 'svc_enterprise_request', 'svc_bundle', 'svc_item', 'svc_setting', 'svc_bundle_type']:
        op.drop_table(table)
