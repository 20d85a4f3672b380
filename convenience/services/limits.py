"""The platform's limits as data: rows of `svc_setting` (seeded by migration 0019 from
DEFAULTS below, edited by admins through PUT /api/v1/convenience/settings/{key}), each with
its citation. Durations are the kernel's (core/workflow/durations.py): `1d` one working day.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.workflow.clocks import ClockRule
from core.workflow.durations import Duration, parse_duration

ANYANG = "安阳市政务服务条例"
GUOBAN_51 = "国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见（国办发〔2019〕51号）"
GBT_39735 = "GB/T 39735-2020 政务服务评价工作指南"
STUCK = "“办不成事”反映窗口工作规范（参照各地做法）"
FORMS = "企业代办督办“四色单”制度"
GUOFA_27 = "国务院关于加快推进全国一体化在线政务服务平台建设的指导意见（国发〔2018〕27号）"

# key → (value, label, citation)
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "supplement.default": ("5d", "容缺受理补齐材料的默认期限",
                           f"{ANYANG}第二十四条：当场一次性告知需要补齐补正的材料、时限和逾期处理办法；"
                           "逾期未补齐补正材料的，视为撤回申请"),
    "rating.contact": ("1d", "差评联系核实时限",
                       f"{ANYANG}第五十二条：对实名差评事项，应当在一个工作日内联系核实；{GUOBAN_51}"),
    "rating.rectify": ("15d", "差评整改时限",
                       f"{GUOBAN_51}：对实名差评事项，原则上整改反馈时间不超过15个工作日"),
    "rating.bad_below": ("3", "低于此等级为差评（不满意、非常不满意）",
                         f"{GUOBAN_51}：评价等级分为非常满意、满意、基本满意、不满意和非常不满意"),
    "refusal.report_weekday": ("1", "否定事项周报生成日（周一=1）",
                               f"{ANYANG}第二十一条、第五十四条：否定事项报备与监督"),
    "stuck.general": ("2d", "办不成事：一般事项办结时限",
                      f"{STUCK}：一般事项2个工作日内办结"),
    "stuck.complex": ("5d", "办不成事：复杂事项进展反馈时限",
                      f"{STUCK}：复杂事项5个工作日内反馈进展"),
    "enterprise.white": ("1d", "企业代办白单：登记后转部门帮办时限",
                         f"{FORMS}（参照株洲市做法）：白单登记1个工作日内分派"),
    "enterprise.green": ("5d", "企业代办绿单：部门帮办时限",
                         f"{FORMS}：绿单部门5个工作日内办结"),
    "enterprise.yellow": ("3d", "企业代办黄单：督办时限", f"{FORMS}：黄单督办3个工作日内办结"),
    "enterprise.red": ("3d", "企业代办红单：问责处理时限",
                       f"{FORMS}：红单问责，通报纪检监察和营商环境部门"),
    "commit.check": ("20d", "告知承诺事项核查默认期限",
                     f"{ANYANG}第二十七条：准予行政许可决定作出后，"
                     "在规定期限内对承诺履行情况进行核查"),
    "public.lookups_per_minute": ("10", "每个地址每分钟办件查询与评价次数上限（0为不限）",
                                  "技术限值：防止以办件编号和手机号撞库查询他人办件"
                                  "（个人信息保护法第五十一条）"),
    # Overdue rectifications and 办不成事 go to the supervising office (migration 0025).
    "rating.escalate": ("1", "差评整改超期自动督办（1=是，0=否）",
                        f"{ANYANG}第五十二条第二款：建立差评调查核实、督促整改和反馈机制；第六条：政务服务"
                        "管理部门负责监督本行政区域的政务服务工作；第五十六条：由上级主管机关责令改正"),
    "stuck.escalate": ("1", "办不成事超期自动督办（1=是，0=否）",
                       f"{STUCK}：超期未办结的报政务服务管理部门督办；{ANYANG}第六条、第五十六条"),
    "bundle.default": ("10d", "一件事一次办默认承诺时限",
                       f"{GUOFA_27}；国务院办公厅关于加快推进“一件事一次办”"
                       "打造政务服务升级版的指导意见（国办发〔2024〕3号）"),
}


def _row(session: Session, key: str):
    from convenience.services.models import ServiceSetting

    row = session.get(ServiceSetting, key)
    if row is None:
        raise NotFound(f"no setting {key!r}", code="setting_unknown")
    return row


def value(session: Session, key: str) -> str:
    return _row(session, key).value


def duration(session: Session, key: str) -> Duration:
    return parse_duration(value(session, key))


def rule(session: Session, key: str, *, name: str = "step", escalates: bool = False
         ) -> ClockRule:
    """A clock rule from a setting row: its limit and its citation."""
    row = _row(session, key)
    return ClockRule(name, parse_duration(row.value), citation=row.citation,
                     rule_text=row.label, escalates=escalates)


def all_settings(session: Session) -> list[dict]:
    from convenience.services.models import ServiceSetting

    return [{"key": r.key, "value": r.value, "label": r.label, "citation": r.citation,
             "version": r.version}
            for r in session.scalars(select(ServiceSetting).order_by(ServiceSetting.key))]


def update(session: Session, key: str, *, new_value: str, version: int) -> dict:
    """An admin's edit; the version read guards against a lost update (409)."""
    from convenience.services.models import ServiceSetting

    row = session.get(ServiceSetting, key, with_for_update=True)
    if row is None:
        raise NotFound(f"no setting {key!r}", code="setting_unknown")
    if row.version != version:
        raise Conflict(f"setting {key} changed since you read it (version {row.version})",
                       code="stale_version", current_version=row.version)
    if row.value.endswith("d") or row.value.endswith("h"):
        parse_duration(new_value)  # a duration stays a duration (422 otherwise)
    elif not new_value.isdigit():
        raise InvalidInput(f"{key} takes a whole number", code="setting_not_a_number")
    row.value, row.version = new_value, row.version + 1
    session.flush()
    return {"key": row.key, "value": row.value, "label": row.label,
            "citation": row.citation, "version": row.version}
