"""综合执法: matters, cases, parties, evidence, procedures.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BAND_LEVELS = ("lighter", "ordinary", "heavier")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _matters() -> None:
    op.create_table(
        "enforcement_matter",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("violated_basis", sa.Text(), server_default="", nullable=False),
        sa.Column("legal_basis", sa.Text(), server_default="", nullable=False),
        sa.Column("penalty_types", postgresql.ARRAY(sa.String(length=32)),
                  server_default="{}", nullable=False),
        sa.Column("fine_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("fine_max_fen", sa.BigInteger(), nullable=True),
        sa.Column("first_offence_exempt", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("minor_exempt", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("devolved_to_township", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("safety_related", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("fine_min_fen IS NULL OR fine_min_fen >= 0",
                           name="fine_min_positive"),
        sa.CheckConstraint("fine_max_fen IS NULL OR fine_min_fen IS NULL "
                           "OR fine_max_fen >= fine_min_fen", name="fine_range_ordered"),
        sa.ForeignKeyConstraint(["department_code"], ["department.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_enforcement_matter_department_code", "enforcement_matter",
                    ["department_code"])
    op.create_table(
        "enforcement_matter_band",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("matter_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("circumstances", sa.Text(), server_default="", nullable=False),
        sa.Column("fine_min_fen", sa.BigInteger(), nullable=True),
        sa.Column("fine_max_fen", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(f"level IN ({_in(BAND_LEVELS)})", name="level_known"),
        sa.CheckConstraint("fine_max_fen IS NULL OR fine_min_fen IS NULL "
                           "OR fine_max_fen >= fine_min_fen", name="fine_range_ordered"),
        sa.ForeignKeyConstraint(["matter_id"], ["enforcement_matter.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("matter_id", "level", name="uq_enforcement_matter_band_level"),
    )


def _cases() -> None:
    op.create_table('enforcement_rule',
    sa.Column('key', sa.String(length=48, collation='C'), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=48), nullable=False),
    sa.Column('extension', sa.String(length=16), nullable=True),
    sa.Column('extension_position', sa.String(length=24), nullable=True),
    sa.Column('citation', sa.Text(), server_default='', nullable=False),
    sa.Column('rule_text', sa.Text(), server_default='', nullable=False),
    sa.Column('version', sa.BigInteger(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("kind IN ('duration', 'amount_fen', 'per_mille', 'text')", name=op.f('ck_enforcement_rule_kind_known')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_enforcement_rule'))
    )
    op.create_table('enforcement_conflict',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('party_key', sa.String(length=18), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_enforcement_conflict_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_conflict')),
    sa.UniqueConstraint('user_id', 'party_key', name='uq_enforcement_conflict_user_party')
    )
    op.create_index(op.f('ix_enforcement_conflict_party_key'), 'enforcement_conflict', ['party_key'], unique=False)
    op.create_table('enforcement_case',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('procedure', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default=sa.text('1'), nullable=False),
    sa.Column('owner_unit_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('owner_platform', sa.String(length=24), server_default='enforcement', nullable=False),
    sa.Column('area_code', sa.String(length=15, collation='C'), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('address', sa.String(length=200), server_default='', nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('matter_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('facts', sa.Text(), server_default='', nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('major', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('legal_review_required', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('legal_review_passed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('discussed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('officer_ids', postgresql.ARRAY(sa.BigInteger()), server_default='{}', nullable=False),
    sa.Column('offence_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=32), nullable=True),
    sa.Column('notice_penalty_types', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('notice_fine_fen', sa.BigInteger(), nullable=True),
    sa.Column('hearing_offered', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('hearing_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('penalty_types', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('fine_fen', sa.BigInteger(), nullable=True),
    sa.Column('confiscation_fen', sa.BigInteger(), nullable=True),
    sa.Column('service_method', sa.String(length=16), nullable=True),
    sa.Column('electronic_consent', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('payment_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('police_answer', sa.Text(), nullable=True),
    sa.Column('suspended_from', sa.String(length=24), nullable=True),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('step_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.String(length=8), server_default='green', nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("procedure IN ('ordinary', 'simple')", name=op.f('ck_enforcement_case_procedure_known')),
    sa.CheckConstraint("source IN ('patrol', 'complaint', 'hotline', 'grid_referral', 'petition', 'transfer', 'superior', 'monitoring')", name=op.f('ck_enforcement_case_source_known')),
    sa.ForeignKeyConstraint(['matter_id'], ['enforcement_matter.id'], name=op.f('fk_enforcement_case_matter_id_enforcement_matter')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'], name=op.f('fk_enforcement_case_owner_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_case')),
    sa.UniqueConstraint('owner_unit_id', 'idempotency_key', name='uq_enforcement_case_key')
    )
    op.create_index('ix_enforcement_case_area', 'enforcement_case', ['area_code', 'id'], unique=False)
    op.create_index('ix_enforcement_case_step_clock', 'enforcement_case',
                    ['step', 'deadline', 'area_code'], unique=False,
                    postgresql_where=sa.text('step IS NOT NULL'))
    op.create_index('ix_enforcement_case_geom', 'enforcement_case', ['geom'], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_enforcement_case_matter_id'), 'enforcement_case', ['matter_id'], unique=False)
    op.create_index('ix_enforcement_case_queue', 'enforcement_case', ['owner_unit_id', 'state', 'deadline', 'id'], unique=False)
    op.create_table('enforcement_evidence',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), server_default='', nullable=False),
    sa.Column('attachment_id', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('from_subject_type', sa.String(length=32), nullable=True),
    sa.Column('from_subject_id', sa.BigInteger(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('documentary', 'physical', 'audiovisual', 'electronic', 'witness', 'statement', 'expert_opinion', 'inspection_record')", name=op.f('ck_enforcement_evidence_kind_known')),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_enforcement_evidence_attachment_id_attachment')),
    sa.ForeignKeyConstraint(['case_id'], ['enforcement_case.id'], name=op.f('fk_enforcement_evidence_case_id_enforcement_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_evidence'))
    )
    op.create_index(op.f('ix_enforcement_evidence_case_id'), 'enforcement_evidence', ['case_id'], unique=False)
    op.create_table('enforcement_party',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('representative', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=200), server_default='', nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.CheckConstraint("(kind = 'citizen') = (id_number IS NOT NULL)", name=op.f('ck_enforcement_party_citizen_id')),
    sa.CheckConstraint("(kind = 'organisation') = (uscc IS NOT NULL)", name=op.f('ck_enforcement_party_organisation_uscc')),
    sa.CheckConstraint("kind IN ('citizen', 'organisation')", name=op.f('ck_enforcement_party_kind_known')),
    sa.ForeignKeyConstraint(['case_id'], ['enforcement_case.id'], name=op.f('fk_enforcement_party_case_id_enforcement_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_party'))
    )
    op.create_index(op.f('ix_enforcement_party_case_id'), 'enforcement_party', ['case_id'], unique=False)
    op.create_index(op.f('ix_enforcement_party_id_number'), 'enforcement_party', ['id_number'], unique=False)
    op.create_index(op.f('ix_enforcement_party_uscc'), 'enforcement_party', ['uscc'], unique=False)
    op.create_table('enforcement_recusal',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('officer_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("decision IS NULL OR decision IN ('granted', 'refused')", name=op.f('ck_enforcement_recusal_decision_known')),
    sa.ForeignKeyConstraint(['case_id'], ['enforcement_case.id'], name=op.f('fk_enforcement_recusal_case_id_enforcement_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['app_user.id'], name=op.f('fk_enforcement_recusal_officer_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_recusal'))
    )
    op.create_index(op.f('ix_enforcement_recusal_case_id'), 'enforcement_recusal', ['case_id'], unique=False)


# Every limit and threshold of the procedure, with its citation (enforcement_rule; editable
# by admins, read by enforcement/cases/rules.py). "d" is working days (行政处罚法第八十五条:
# 本法中"二日""三日""五日""七日"的规定是指工作日), "cd" natural days, "mo" months.
RULES = (
    ("verify", "核查", "duration", "15d", "15d", "head",
     "《市场监督管理投诉举报处理暂行办法》第二十三条：十五个工作日内予以核查，特殊情况下可延长十五个工作日"),
    ("decision", "作出处罚决定", "duration", "90cd", "30cd", "head",
     "行政处罚法第六十条：自立案之日起九十日内作出行政处罚决定；经负责人批准可延长三十日（省级规章）"),
    ("defence", "陈述申辩", "duration", "5d", None, None,
     "行政处罚法第四十四条、第四十五条（陈述申辩期限：省级规定）"),
    ("hearing_request", "要求听证", "duration", "5d", None, None,
     "行政处罚法第六十四条第一项：当事人要求听证的，应当在行政机关告知后五日内提出"),
    ("hearing_notice", "听证通知", "duration", "7d", None, None,
     "行政处罚法第六十四条第二项：在举行听证的七日前通知当事人"),
    ("service", "送达", "duration", "7d", None, None,
     "行政处罚法第六十一条：当事人不在场的，在七日内依照民事诉讼法送达"),
    ("public_service", "公告送达", "duration", "30cd", None, None,
     "民事诉讼法第九十五条：自发出公告之日起，经过三十日，即视为送达"),
    ("payment", "缴纳罚款", "duration", "15cd", "90cd", "head",
     "行政处罚法第六十七条第三款：自收到行政处罚决定书之日起十五日内缴纳罚款；第六十六条第二款："
     "确有经济困难的，经申请和批准可以暂缓或者分期缴纳（暂缓期限上限：省级规定）"),
    ("urge", "催告履行", "duration", "10cd", None, None,
     "行政强制法第三十五条、第五十四条：催告书送达十日后当事人仍未履行的，可申请人民法院强制执行"),
    ("court", "申请法院强制执行", "duration", "3mo", None, None,
     "行政强制法第五十三条：自期限届满之日起三个月内申请人民法院强制执行"),
    ("reconsideration", "申请行政复议", "duration", "60cd", None, None,
     "行政复议法第二十条：自知道行政行为之日起六十日内提出行政复议申请"),
    ("litigation", "提起行政诉讼", "duration", "6mo", None, None,
     "行政诉讼法第四十六条：自知道作出行政行为之日起六个月内提起诉讼"),
    ("publication", "处罚决定公示", "duration", "20d", None, None,
     "《市场监督管理行政处罚信息公示规定》第九条：自作出行政处罚决定之日起二十个工作日内公示"),
    ("withdrawal", "撤回公示", "duration", "3d", None, None,
     "《市场监督管理行政处罚信息公示规定》第十一条：决定被变更、撤销的，三个工作日内撤回公示信息"),
    ("limitation", "追责时效", "duration", "24mo", None, None,
     "行政处罚法第三十六条：违法行为在二年内未被发现的，不再给予行政处罚"),
    ("limitation_safety", "追责时效（生命健康、金融安全）", "duration", "60mo", None, None,
     "行政处罚法第三十六条：涉及公民生命健康安全、金融安全且有危害后果的，期限延长至五年"),
    ("transfer_decision", "移送审批", "duration", "3cd", None, None,
     "《行政执法机关移送涉嫌犯罪案件的规定》第五条第二款：负责人自接到报告之日起3日内作出批准移送或者不批准移送的决定"),
    # The rule says 24 hours; the kernel counts no natural hours, so the end of the next
    # day is the nearest it can hold (docs/enforcement.md).
    ("transfer_handover", "移送公安机关", "duration", "1cd", None, None,
     "《行政执法机关移送涉嫌犯罪案件的规定》第五条第二款：决定批准的，应当在24小时内向同级公安机关移送"),
    ("police_review", "公安机关审查", "duration", "3cd", None, None,
     "《行政执法机关移送涉嫌犯罪案件的规定》第八条：公安机关自接受移送之日起3日内审查并书面通知"),
    ("simple_citizen_max", "当场处罚上限（公民）", "amount_fen", "20000", None, None,
     "行政处罚法第五十一条：对公民处以二百元以下罚款"),
    ("simple_organisation_max", "当场处罚上限（法人或者其他组织）", "amount_fen", "300000",
     None, None, "行政处罚法第五十一条：对法人或者其他组织处以三千元以下罚款"),
    ("hearing_citizen_min", "较大数额罚款（公民）", "amount_fen", "1000000", None, None,
     "行政处罚法第六十三条第一款第一项：较大数额罚款，数额由省级规定（示例：一万元）"),
    ("hearing_organisation_min", "较大数额罚款（法人或者其他组织）", "amount_fen", "10000000",
     None, None, "行政处罚法第六十三条第一款第一项：较大数额罚款，数额由省级规定（示例：十万元）"),
    ("surcharge_rate", "加处罚款（每日千分比）", "per_mille", "30", None, None,
     "行政处罚法第七十二条第一项：每日按罚款数额的百分之三加处罚款，加处罚款的数额不得超出罚款的数额"
     "（行政强制法第四十五条）"),
)

# Evidence, once recorded, stays as it was (行政处罚法第四十六条: 证据必须经查证属实).
IMMUTABLE = """
CREATE FUNCTION enforcement_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'enforcement evidence % is immutable', OLD.id
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER enforcement_evidence_immutable BEFORE UPDATE ON enforcement_evidence
    FOR EACH ROW EXECUTE FUNCTION enforcement_evidence_immutable();
"""


def _seed_rules() -> None:
    table = sa.table("enforcement_rule", *(sa.column(c) for c in (
        "key", "label", "kind", "value", "extension", "extension_position", "citation")))
    op.bulk_insert(table, [dict(zip(("key", "label", "kind", "value", "extension",
                                     "extension_position", "citation"), row))
                           for row in RULES])


def upgrade() -> None:
    _matters()
    _cases()
    _seed_rules()
    op.execute(IMMUTABLE)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS enforcement_evidence_immutable ON enforcement_evidence")
    op.execute("DROP FUNCTION IF EXISTS enforcement_evidence_immutable()")
    for table in ("enforcement_recusal", "enforcement_party", "enforcement_evidence",
                  "enforcement_case", "enforcement_conflict", "enforcement_rule"):
        op.drop_table(table)
    op.drop_table("enforcement_matter_band")
    op.drop_table("enforcement_matter")
