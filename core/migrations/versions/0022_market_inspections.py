"""市场监管: inspections in the field, results, rectification, 公示.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy import BigInteger
from sqlalchemy.dialects import postgresql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# The limits of 公示 and of the procedure as data, with their citations (rules.py SEED).
RULES = [
    {"name": name, "value": value, "label": label, "citation": citation}
    for name, (value, label, citation) in {
        "publish": ("20d", "检查结果公示时限",
                    "企业信息公示暂行条例第六条：前款规定的企业信息应当自产生之日起20个工作日内予以公示；"
                    "食品生产经营监督检查管理办法第三十九条：检查结果信息形成后20个工作日内向社会公开"),
        "withdraw": ("3d", "撤销后撤回公示时限",
                     "市场监督管理行政处罚信息公示规定第十一条：被依法变更、撤销、确认违法或者确认无效的，"
                     "应当在三个工作日内撤回公示信息并说明理由（检查结果公示参照执行）"),
        "min_inspectors": ("2", "检查人员最少人数",
                           "食品生产经营监督检查管理办法第二十三条：由2名以上（含2名）监督检查人员参加；"
                           "行政处罚法第四十二条：执法人员不得少于两人"),
        "rectify_days_max": ("90", "责令限期改正最长期限（自然日）",
                             "食品生产经营监督检查管理办法第三十三条：需要限期整改的，书面提出整改要求和时限"
                             "（期限上限为本地规定）"),
    }.items()
]


def upgrade() -> None:
    op.create_table('market_inspection_rule',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_market_inspection_rule'))
    )
    op.create_table('market_inspection',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('task_id', sa.BigInteger(), nullable=False),
    sa.Column('draw_target_id', sa.BigInteger(), nullable=True),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', postgresql.ARRAY(BigInteger()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('failed_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ordered_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rectify_days', sa.Integer(), nullable=True),
    sa.Column('rectify_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rectification', sa.String(length=8), nullable=True),
    sa.Column('rectified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('publish_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_on_time', sa.Boolean(), nullable=True),
    sa.Column('overturned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_on_time', sa.Boolean(), nullable=True),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(kind = 'reinspection') = (parent_id IS NOT NULL)", name=op.f('ck_market_inspection_reinspection_has_parent')),
    sa.CheckConstraint("kind IN ('routine', 'reinspection')", name=op.f('ck_market_inspection_kind_known')),
    sa.CheckConstraint("outcome IN ('no_problem', 'rectified_on_site', 'ordered', 'not_found', 'no_activity', 'refused')", name=op.f('ck_market_inspection_outcome_known')),
    sa.CheckConstraint("state IN ('pending', 'recorded', 'submitted', 'returned', 'rejected', 'approved', 'published', 'overturned', 'withdrawn')", name=op.f('ck_market_inspection_state_known')),
    sa.ForeignKeyConstraint(['draw_target_id'], ['market_draw_target.id'], name=op.f('fk_market_inspection_draw_target_id_market_draw_target'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_market_inspection_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_market_inspection_owner_unit_id_unit')),
    sa.ForeignKeyConstraint(['parent_id'], ['market_inspection.id'], name=op.f('fk_market_inspection_parent_id_market_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_market_inspection_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['app_user.id'], name=op.f('fk_market_inspection_reviewed_by_app_user')),
    sa.ForeignKeyConstraint(['task_id'], ['market_task.id'], name=op.f('fk_market_inspection_task_id_market_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_inspection'))
    )
    op.create_index('ix_market_inspection_area', 'market_inspection', ['area_code', 'created_at'], unique=False)
    op.create_index(op.f('ix_market_inspection_entity_id'), 'market_inspection', ['entity_id'], unique=False)
    op.create_index('ix_market_inspection_geom', 'market_inspection', ['geom'], unique=False, postgresql_using='gist')
    op.create_index('ix_market_inspection_owner_open', 'market_inspection', ['owner_unit_id', 'state'], unique=False, postgresql_where=sa.text("state NOT IN ('published', 'withdrawn')"))
    op.create_index(op.f('ix_market_inspection_task_id'), 'market_inspection', ['task_id'], unique=False)
    op.create_index('uq_market_inspection_open_reinspection', 'market_inspection', ['parent_id'], unique=True, postgresql_where=sa.text("parent_id IS NOT NULL AND state NOT IN ('approved', 'published', 'overturned', 'withdrawn')"))
    op.create_index('uq_market_inspection_target', 'market_inspection', ['draw_target_id'], unique=True, postgresql_where=sa.text('draw_target_id IS NOT NULL'))
    op.create_table('market_inspection_check',
    sa.Column('inspection_id', sa.BigInteger(), nullable=False),
    sa.Column('check_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('rectified_on_site', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('rectify_note', sa.Text(), nullable=True),
    sa.Column('photo_ids', postgresql.ARRAY(BigInteger()), server_default=sa.text("'{}'"), nullable=False),
    sa.CheckConstraint("NOT rectified_on_site OR result = 'fail'", name=op.f('ck_market_inspection_check_rectified_only_if_failed')),
    sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail', 'na')", name=op.f('ck_market_inspection_check_result_known')),
    sa.ForeignKeyConstraint(['check_id'], ['market_checklist_item.id'], name=op.f('fk_market_inspection_check_check_id_market_checklist_item')),
    sa.ForeignKeyConstraint(['inspection_id'], ['market_inspection.id'], name=op.f('fk_market_inspection_check_inspection_id_market_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['market_item.id'], name=op.f('fk_market_inspection_check_item_id_market_item')),
    sa.PrimaryKeyConstraint('inspection_id', 'check_id', name=op.f('pk_market_inspection_check'))
    )
    op.create_index(op.f('ix_market_inspection_check_check_id'), 'market_inspection_check', ['check_id'], unique=False)
    op.create_index(op.f('ix_market_inspection_check_item_id'), 'market_inspection_check', ['item_id'], unique=False)
    op.create_table('market_inspection_inspector',
    sa.Column('inspection_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('membership_id', sa.BigInteger(), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('credential_number', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['market_inspection.id'], name=op.f('fk_market_inspection_inspector_inspection_id_market_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_market_inspection_inspector_membership_id_membership')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_market_inspection_inspector_user_id_app_user')),
    sa.PrimaryKeyConstraint('inspection_id', 'user_id', name=op.f('pk_market_inspection_inspector'))
    )
    op.create_index(op.f('ix_market_inspection_inspector_user_id'), 'market_inspection_inspector', ['user_id'], unique=False)
    op.create_table('market_inspection_submission',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('inspection_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['market_inspection.id'], name=op.f('fk_market_inspection_submission_inspection_id_market_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_market_inspection_submission_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_inspection_submission')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name='uq_market_inspection_submission')
    )
    op.create_index(op.f('ix_market_inspection_submission_inspection_id'), 'market_inspection_submission', ['inspection_id'], unique=False)
    op.create_table('market_referral',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.BigInteger(), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=False),
    sa.Column('area_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('check_ids', postgresql.ARRAY(BigInteger()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('referred', 'accepted', 'returned')", name=op.f('ck_market_referral_state_known')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_market_referral_created_by_app_user')),
    sa.ForeignKeyConstraint(['entity_id'], ['market_entity.id'], name=op.f('fk_market_referral_entity_id_market_entity')),
    sa.ForeignKeyConstraint(['inspection_id'], ['market_inspection.id'], name=op.f('fk_market_referral_inspection_id_market_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_market_referral_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_referral')),
    sa.UniqueConstraint('inspection_id', name='uq_market_referral_inspection')
    )
    op.create_index(op.f('ix_market_referral_area_code'), 'market_referral', ['area_code'], unique=False)
    rule = sa.table("market_inspection_rule", sa.column("name"), sa.column("value"),
                    sa.column("label"), sa.column("citation"))
    op.bulk_insert(rule, RULES)


def downgrade() -> None:
    op.drop_table("market_referral")
    op.drop_table("market_inspection_submission")
    op.drop_table("market_inspection_inspector")
    op.drop_table("market_inspection_check")
    op.drop_table("market_inspection")
    op.drop_table("market_inspection_rule")
