"""Matters, cases on the ordinary and simple procedures, parties, evidence, 文书, 两法衔接 —
one part of the enforcement platform (enforcement/platform.py composes the parts).

Define here what this part brings (core/platforms.py `compose`): MODELS, PUBLIC_PATHS,
TASK_MODULES, MAP_SCRIPTS, MAP_PLUGINS, routers(), setup(), beat(settings),
demo(session, **options), demo_remove(session, **options).
"""

MODELS: tuple[str, ...] = ("enforcement.cases.models", "enforcement.cases.execution_models")


def routers() -> tuple:
    from enforcement.cases.router import router

    return (router,)


def setup() -> None:
    from core.workflow import case_types, events
    from enforcement.cases import documents
    from enforcement.cases.case_type import ENFORCEMENT_CASE
    from enforcement.cases.layers import register_layers
    from enforcement.cases.permissions import grant_all
    from enforcement.cases.referral import open_from_referral

    grant_all()
    case_types.register(ENFORCEMENT_CASE)
    events.subscribe(events.HANDOFF_SIGNED, open_from_referral)
    documents.register_templates()
    register_layers()


def demo(session, **options) -> None:
    from enforcement.cases.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from enforcement.cases.demo import remove_demo

    remove_demo(session, **options)


def _consoles() -> tuple:
    """The dispatchers' and officers' console (issue 13 §9), on the shared one
    (core/consoles.py): 线索 and cases by step and clock colour, the ordinary procedure's
    moves from the workflow, every clock with its citation."""
    from core.consoles import Column, Console, Facet, Field, Filter, Queue
    from enforcement.cases.layers import STEP_LABELS
    from enforcement.cases.matters import PENALTY_LABELS
    from enforcement.cases.workflow import DECLINE_REASONS

    colours = (("green", "正常"), ("yellow", "预警"), ("red", "超期"))
    sources = (("patrol", "巡查发现"), ("complaint", "投诉举报"), ("hotline", "12345热线"),
               ("grid_referral", "网格移交"), ("petition", "信访"), ("transfer", "部门移送"),
               ("superior", "上级交办"), ("monitoring", "监测发现"))
    procedures = (("ordinary", "普通程序"), ("simple", "简易程序"))
    yes_no = (("true", "是"), ("false", "否"))
    return (Console(
        key="enforcement", case_type="enforcement.case", title="执法案件受理台",
        platform="enforcement", noun="案件", permission="enforcement-cases:read",
        list_url="/enforcement/cases", detail_url="/enforcement/cases/{id}",
        move_url="/enforcement/cases/{id}/actions/{move}",
        roles=frozenset({"enforcement_officer", "county_dispatcher"}),
        # The team on a map, evidence, payment plans, 复议/诉讼 (enforcement/static/console).
        extra_module="enforcement/console/case.js",
        # 派遣 is made from the team section (its map, the team's members, the team's
        # status version read), not from the shared move forms.
        options={"fieldOnly": ["dispatch"]},
        queues=(Queue("mine", "本单位案件", (("mine", "true"),)),
                Queue("clue", "待核查线索", (("state", "clue"),)),
                Queue("overdue", "超期案件", (("clock", "red"),)),
                Queue("all", "辖区全部")),
        columns=(Column("id", "编号", "id", "id"), Column("title", "案由"),
                 Column("procedure", "程序", "choice", choices=procedures),
                 Column("state", "状态", "state", "state"),
                 Column("deadline", "期限", "deadline", "deadline"),
                 Column("step_due_at", "到期", "time", "due"),
                 Column("opened_at", "登记时间", "time", "opened_at")),
        filters=(Filter("state", "状态", "state"),
                 Filter("step", "环节", "choice", tuple(STEP_LABELS.items())),
                 Filter("clock", "期限", "choice", colours),
                 Filter("procedure", "程序", "choice", procedures)),
        # The dispatcher's counts: by step and by the step clock's colour (issue 13 §9).
        facets=(Facet("by_step", "step", "环节"), Facet("by_clock", "clock", "期限")),
        detail=(Field("title", "案由"), Field("procedure", "程序", "choice", procedures),
                Field("source", "来源", "choice", sources), Field("facts", "违法事实"),
                Field("address", "地点"),
                Field("area_code", "区域编码"), Field("matter.name", "执法事项"),
                Field("major", "重大案件", "bool"),
                Field("legal_review_required", "需法制审核", "bool"),
                Field("opened_at", "登记时间", "time"), Field("filed_at", "立案时间", "time"),
                Field("decided_at", "决定时间", "time"), Field("fine_fen", "罚款", "fen"),
                Field("closed_at", "结案时间", "time")),
        move_fields=(
            Field("officer_ids", "执法人员", "members"),
            Field("matter_code", "执法事项编码"), Field("major", "重大案件", "bool", yes_no),
            Field("legal_review_required", "需法制审核", "bool", yes_no),
            Field("decline_reason", "不予立案理由", "choice",
                  tuple(DECLINE_REASONS.items())),
            Field("penalty_types", "处罚种类", "choices", tuple(PENALTY_LABELS.items())),
            Field("fine_fen", "罚款（元）", "fen"), Field("confiscation_fen", "没收（元）", "fen"),
            Field("hearing_at", "听证时间", "datetime"),
            Field("outcome", "决定", "choice", (("penalty", "给予处罚"),
                                              ("no_penalty", "不予处罚"),
                                              ("transfer", "移送"))),
            Field("service_method", "送达方式", "choice", (("direct", "直接送达"),
                                                      ("left", "留置送达"),
                                                      ("electronic", "电子送达"),
                                                      ("post", "邮寄送达"))),
            Field("service_consent_id", "送达地址确认书（证据编号，电子送达时）", "int"),
            Field("service_address", "电子送达地址（传真、邮箱或手机，电子送达时）"),
            Field("package", "移送材料", "choices", (("transfer_letter", "移送书"),
                                                   ("investigation_report", "调查报告"),
                                                   ("items_list", "涉案物品清单"),
                                                   ("test_report", "检测报告"))),
            Field("police_answer", "公安机关答复"), Field("officer_id", "执法人员", "member"),
            Field("recusal_id", "回避申请编号", "int"),
            Field("granted", "准予回避", "bool", yes_no),
            Field("extend_by", "延长（如 15d、30cd）"),
            Field("instalments", "缴纳计划（每行：日期 金额元）", "instalments"),
            Field("plan_id", "暂缓（分期）申请编号", "int")),
    ),)


CONSOLES: tuple = _consoles()
