"""The demo city's enforcement catalogue and cases.

About 300 matters (执法事项) of the county departments with realistic codes (the province's
权力事项 code: 43 湖南, 02 行政处罚, the department's two digits, the item's three, 000),
fine ranges and 从轻/一般/从重 bands; and the last 90 days of cases, a few hundred, in every
step of the procedure. The cases are made through the live rules: each is opened by the
service and moved by the kernel's runner (the pure `decide` of the workflow, its guards and
clocks) at instants in the past, so the history obeys the same law as today's cases; the
decisions are numbered and rendered as PDF (the units get their 机关代字 for decisions).
"""

import logging
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.errors import DomainError
from core.security import MembershipGrant, Principal
from core.settings import Settings, get_settings
from core.uscc import make_uscc, organisation_check_character
from core.users.enums import Role
from enforcement.cases import flows, matters, service
from enforcement.cases.demo_desks import SHARE, seat_demo_accounts
from enforcement.cases.schemas import CaseIn

log = logging.getLogger(__name__)
MATTER_PREFIX = "4302"  # 湖南 (43), 行政处罚 (02): the demo catalogue's codes
DEPARTMENT_DIGITS = {"chengguan": "17", "market": "21", "ecology": "11", "transport": "14",
                     "culture": "26", "agriculture": "18", "natural_resources": "09",
                     "housing": "13", "health": "25", "emergency": "29"}
# (department, pattern, objects, basis, safety): the matters are pattern × object.
CATALOGUE = (
    ("chengguan", "擅自{o}", ["占用城市道路", "挖掘城市道路", "设置户外广告", "搭建建筑物、构筑物",
                          "在城市道路上摆摊设点", "占用绿地", "砍伐城市树木", "设置大型户外广告",
                          "在街道两侧堆放物料", "占用人行道经营"],
     "《城市道路管理条例》第四十二条", False),
    ("chengguan", "{o}", ["随意倾倒建筑垃圾", "运输建筑垃圾沿途撒漏", "焚烧垃圾", "露天烧烤",
                        "乱张贴、乱涂写、乱刻画", "未按规定分类投放生活垃圾", "违规饲养家禽家畜",
                        "餐饮油烟直排", "夜间施工噪声扰民", "沿街晾晒影响市容",
                        "车辆带泥上路污染道路", "损坏环卫设施", "占用消防通道堆放杂物",
                        "户外广告设施未按规定维护", "建设工程施工现场不符合市容标准"],
     "《城市市容和环境卫生管理条例》第三十六条", False),
    ("market", "{o}", ["销售不合格食品", "生产经营超过保质期食品", "无证从事食品经营",
                     "未按规定进行食品进货查验", "销售未检疫肉类", "虚假宣传", "价格欺诈",
                     "不明码标价", "销售假冒注册商标商品", "使用不合格计量器具",
                     "无照经营", "未按规定公示营业执照", "特种设备未经检验使用",
                     "销售不合格产品", "网络交易未公示经营信息", "商业贿赂", "虚假广告",
                     "医疗器械经营未备案", "化妆品标签不符合规定", "拒不履行三包义务"],
     "《中华人民共和国食品安全法》第一百二十四条", True),
    ("ecology", "{o}", ["未批先建", "超标排放大气污染物", "未按规定设置排污口", "偷排废水",
                      "危险废物未按规定贮存", "无证排污", "未按规定进行环境监测",
                      "建筑施工扬尘污染", "工业噪声超标", "非法倾倒固体废物",
                      "未落实环境影响评价", "拒绝环境监督检查"],
     "《中华人民共和国大气污染防治法》第九十九条", True),
    ("transport", "{o}", ["非法营运", "超限运输", "出租车拒载", "网约车无证经营",
                        "道路运输车辆未按规定年审", "驾校未按规定培训", "擅自改变营运线路",
                        "客运车辆超员", "危险货物运输未取得许可", "维修企业无证经营"],
     "《中华人民共和国道路运输条例》第六十三条", True),
    ("culture", "{o}", ["网吧接纳未成年人", "擅自从事营业性演出", "娱乐场所超时营业",
                      "出版物经营无证", "文物保护单位范围内违规建设", "旅行社未签订旅游合同",
                      "导游未佩戴导游证", "擅自设立互联网上网服务营业场所"],
     "《互联网上网服务营业场所管理条例》第三十一条", False),
    ("agriculture", "{o}", ["销售假农药", "使用禁用农药", "销售未审定种子", "无证经营兽药",
                          "病死畜禽未无害化处理", "违规捕捞", "违规使用饲料添加剂",
                          "农机无牌行驶", "非法收购珍贵野生动物"],
     "《农药管理条例》第五十五条", True),
    ("natural_resources", "{o}", ["非法占用耕地", "非法采矿", "未经批准临时用地", "违法批地",
                                "破坏永久基本农田", "擅自改变土地用途", "非法转让土地"],
     "《中华人民共和国土地管理法》第七十七条", False),
    ("housing", "{o}", ["未取得施工许可擅自施工", "违法分包", "房地产开发未取得预售许可",
                      "物业服务企业违规收费", "违规拆改承重结构", "建设工程质量不合格",
                      "燃气经营无证", "擅自拆除燃气设施"],
     "《建设工程质量管理条例》第五十七条", True),
    ("health", "{o}", ["无证行医", "公共场所卫生许可证过期", "生活饮用水不符合卫生标准",
                     "医疗废物处置不当", "职业病防护不到位", "非法采供血",
                     "美容机构超范围经营"],
     "《医疗机构管理条例》第四十四条", True),
    ("emergency", "{o}", ["未按规定开展安全培训", "安全设施未与主体工程同时投入使用",
                        "未取得危险化学品经营许可", "重大事故隐患未整改",
                        "有限空间作业未审批", "特种作业人员无证上岗", "未制定应急预案",
                        "烟花爆竹违规储存"],
     "《中华人民共和国安全生产法》第九十七条", True),
)
VARIANTS = ("", "（情节较重）", "（逾期不改正）")
# Fine ranges (fen) by how grave a matter is.
RANGES = ((0, 50_000), (2_000, 200_000), (50_000, 1_000_000), (100_000, 3_000_000),
          (500_000, 5_000_000), (1_000_000, 10_000_000), (2_000_000, 20_000_000))
# How far each demo case goes: (weight, the moves after opening).
PATHS = (
    (8, ()),
    (4, ("decline",)),
    (10, ("file",)),
    (4, ("file", "conclude")),
    (3, ("file", "conclude", "submit_review")),
    (7, ("file", "conclude", "notify")),
    (3, ("file", "conclude", "notify", "request_hearing")),
    (2, ("file", "conclude", "notify", "request_hearing", "schedule_hearing")),
    (6, ("file", "conclude", "notify", "decide")),
    (2, ("file", "conclude", "notify", "decide", "serve_by_notice")),
    (9, ("file", "conclude", "notify", "decide", "serve")),
    (3, ("file", "conclude", "notify", "decide", "serve", "urge")),
    (5, ("file", "conclude", "notify", "decide", "serve", "pay")),
    (16, ("file", "conclude", "notify", "decide", "serve", "pay", "publish", "close")),
    (2, ("file", "suspend")),
    (2, ("file", "start_testing")),
    (2, ("file", "propose_transfer")),
    (2, ("file", "propose_transfer", "approve_transfer", "hand_over")),
)
SIMPLE_SHARE = 0.12
FAR = date(2099, 12, 31)


# --- the catalogue -----------------------------------------------------------------------

def demo_matters(rng: random.Random) -> list[dict]:
    rows, counters = [], {}
    for department, pattern, objects, basis, safety in CATALOGUE:
        for variant in VARIANTS:
            for obj in objects:
                counters[department] = counters.get(department, 0) + 1
                low, high = rng.choice(RANGES)
                code = f"{MATTER_PREFIX}{DEPARTMENT_DIGITS[department]}" \
                       f"{counters[department]:03d}000"
                rows.append({
                    "code": code, "name": pattern.format(o=obj) + variant,
                    "department_code": department,
                    "violated_basis": basis,
                    "legal_basis": basis,
                    "penalty_types": ["warning", "fine"] + (
                        ["confiscation"] if high >= 1_000_000 else []) + (
                        ["license_revoke"] if high >= 5_000_000 else []),
                    "fine_min_fen": low, "fine_max_fen": high,
                    "first_offence_exempt": rng.random() < 0.15,
                    "minor_exempt": rng.random() < 0.1,
                    "devolved_to_township": department == "chengguan" and rng.random() < 0.6,
                    "safety_related": safety and rng.random() < 0.5,
                    "bands": bands(low, high)})
                if len(rows) >= 300:
                    return rows
    return rows


def bands(low: int, high: int) -> list[dict]:
    """从轻 the lower 30 %, 一般 30–70 %, 从重 the upper 30 % of the range."""
    span = high - low
    cut1, cut2 = low + span * 3 // 10, low + span * 7 // 10
    return [{"level": "lighter", "circumstances": "初次违法、及时改正、危害后果较小",
             "fine_min_fen": low, "fine_max_fen": cut1},
            {"level": "ordinary", "circumstances": "一般情节", "fine_min_fen": cut1,
             "fine_max_fen": cut2},
            {"level": "heavier", "circumstances": "多次违法、拒不改正或者危害后果较重",
             "fine_min_fen": cut2, "fine_max_fen": high}]


# --- the cases ---------------------------------------------------------------------------

def _teams(session: Session, city_code: str, today: date) -> list[dict]:
    rows = session.execute(text("""
        SELECT u.id, u.seat_code, u.department_code,
               array_agg(m.user_id ORDER BY m.user_id) AS officers
        FROM unit u JOIN membership m ON m.unit_id = u.id AND m.is_active
             AND m.position IN ('handler', 'inspector') AND m.credential_expires_on >= :today
        WHERE u.kind = 'enforcement_team' AND u.platform = 'enforcement' AND u.is_active
          AND u.seat_code >= :low AND u.seat_code < :high
        GROUP BY u.id HAVING count(*) >= 2 ORDER BY u.id"""),
        {**subtree_range(city_code), "today": today}).all()
    grids = session.execute(text("SELECT code FROM area WHERE level = 'grid' "
                                 "AND code >= :low AND code < :high ORDER BY code"),
                            subtree_range(city_code)).scalars().all()
    teams = []
    for row in rows:
        mine = [g for g in grids if g.startswith(row.seat_code)]
        if mine:
            teams.append({"id": row.id, "township": row.seat_code, "officers": row.officers,
                          "grids": mine, "department": row.department_code})
    return teams


def _principal(team: dict, city_code: str) -> Principal:
    """The team's acting officer as the runner sees him: head, handler, legal reviewer and
    dispatcher of the team, with a valid 执法证 (the demo plays every desk)."""
    grants = tuple(MembershipGrant(team["id"], position, "enforcement", team["department"],
                                   (team["township"],), FAR)
                   for position in ("head", "handler", "legal_reviewer", "dispatcher"))
    return Principal(team["officers"][0], "demo", Role.enforcement_officer, city_code, grants)


def _citizen_id(rng: random.Random, region: str) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 15000))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _uscc(rng: random.Random, region: str) -> str:
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return make_uscc(f"91{region}{org8}{organisation_check_character(org8)}")


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
SHOPS = ("商贸有限公司", "餐饮店", "建材经营部", "食品超市", "汽车修理厂", "物流有限公司",
         "建筑工程有限公司", "农资店", "网吧", "KTV")


def _party(rng: random.Random, region: str) -> dict:
    if rng.random() < 0.55:
        return {"kind": "citizen",
                "name": rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋"),
                "id_number": _citizen_id(rng, region), "address": "株洲市荷塘区"}
    return {"kind": "organisation", "name": f"株洲{rng.choice('金盛鑫华兴顺达福')}"
                                            f"{rng.choice('源泰隆丰利宏')}{rng.choice(SHOPS)}",
            "uscc": _uscc(rng, region), "address": "株洲市"}


def _fields(name: str, rng: random.Random, case, matter: dict, at: datetime) -> dict:
    fine = _fine(rng, matter)
    if name == "decline":
        return {"decline_reason": rng.choice(["minor_corrected", "first_minor",
                                              "not_jurisdiction"]),
                "reason": "经核查，依法不予立案"}
    if name == "file":
        return {"matter_code": matter["code"], "legal_review_required": rng.random() < 0.3,
                "major": False}
    if name == "notify":
        return {"penalty_types": ["fine"], "fine_fen": fine}
    if name == "decide":
        return {"outcome": "penalty", "penalty_types": ["fine"],
                "fine_fen": case.notice_fine_fen}
    if name == "schedule_hearing":
        return {"hearing_at": at + timedelta(days=14)}
    if name == "serve":
        return {"service_method": rng.choice(["direct", "direct", "left", "post"])}
    if name == "hand_over":
        return {"package": ["transfer_letter", "investigation_report", "items_list",
                            "test_report"]}
    if name in ("suspend", "start_testing", "propose_transfer"):
        return {"reason": {"suspend": "当事人下落不明", "start_testing": "样品送检",
                           "propose_transfer": "涉案金额较大，涉嫌犯罪"}[name]}
    return {}


def _fine(rng: random.Random, matter: dict) -> int:
    low, high = matter["fine_min_fen"] or 0, matter["fine_max_fen"] or 100_000
    return max(100, (low + rng.randrange(0, max(high - low, 1) // 2 + 1)) // 100 * 100)


def _one_case(session: Session, settings: Settings, rng: random.Random, team: dict,
              matter: dict, city_code: str, now: datetime) -> None:
    principal = _principal(team, city_code)
    opened = now - timedelta(days=rng.uniform(1, 90))
    region = team["township"][:6]
    party = _party(rng, region)
    if rng.random() < SIMPLE_SHARE:
        limit = 20_000 if party["kind"] == "citizen" else 300_000
        fine = rng.choice([5_000, 10_000, 20_000, limit])
        data = CaseIn(procedure="simple", unit_id=team["id"], source="patrol",
                      title=f"当场处罚：{matter['name']}",
                      facts=f"当事人{matter['name']}，当场查实。",
                      area_code=rng.choice(team["grids"]), matter_code=matter["code"],
                      parties=[party], penalty={"penalty_types": ["fine"], "fine_fen": fine,
                                                "party_signed": True})
        case, _ = service.open_case(session, principal=principal, data=data,
                                    settings=settings, now=opened)
        if rng.random() < 0.7:
            flows.act_on(session, case, name="pay", fields={"version": case.version},
                         principal=principal, settings=settings,
                         now=min(opened + timedelta(days=rng.uniform(1, 12)), now))
        return
    data = CaseIn(procedure="ordinary", unit_id=team["id"],
                  source=rng.choice(["patrol", "complaint", "hotline", "grid_referral",
                                     "monitoring", "superior"]),
                  title=matter["name"], facts=f"经巡查发现，当事人涉嫌{matter['name']}。",
                  area_code=rng.choice(team["grids"]), officer_ids=team["officers"][:2],
                  offence_at=opened - timedelta(days=rng.uniform(0, 20)), parties=[party])
    case, _ = service.open_case(session, principal=principal, data=data, settings=settings,
                                now=opened)
    path = rng.choices([p for _, p in PATHS], weights=[w for w, _ in PATHS])[0]
    at = opened
    for name in path:
        at = at + timedelta(hours=rng.uniform(4, 24 * 6))
        if name == "urge":
            at = max(at, (case.payment_due_at or at) + timedelta(days=1))
        if at >= now:
            break
        fields = {"version": case.version, "reason": None, **_fields(name, rng, case, matter, at)}
        try:
            with session.begin_nested():  # a refused move leaves nothing half-written
                flows.act_on(session, case, name=name, fields=fields, principal=principal,
                             settings=settings, now=at)
        except DomainError as refused:  # a guard of the law stops this story here
            log.debug("demo case %s stops before %s: %s", case.id, name, refused.code)
            break


def load_demo(session: Session, *, city_code: str, seed: int = 0, stage=None,
              settings: Settings | None = None, now: datetime | None = None,
              cases: int = 300, **_) -> dict:
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    catalogue = demo_matters(rng)
    for row in catalogue:
        matters.save_matter(session, row)
    if stage:
        stage("enforcement cases", 0, cases)
    teams = _teams(session, city_code, now.date())
    if not teams:
        return {"matters": len(catalogue), "cases": 0}
    _numbering(session, teams)
    desk = seat_demo_accounts(session, city_code=city_code, teams=teams, today=now.date())
    made = 0
    for number in range(cases):
        team = rng.choice(teams)
        if desk is not None and number % SHARE == 0:
            team = desk  # the demo accounts' own queue (demo_desks.py)
        matter = rng.choice(catalogue)
        _one_case(session, settings, rng, team, matter, city_code, now)
        made += 1
        if stage and number % 25 == 0:
            stage("enforcement cases", number, cases)
    from enforcement.cases.demo_remedies import add_remedies

    remedies = add_remedies(session, settings, rng, principal_of=lambda team: _principal(
        team, city_code), teams=[*teams, *([desk] if desk is not None else [])], now=now)
    _colour(session, now)
    if stage:
        stage("enforcement cases", cases, cases)
    log.info("demo enforcement cases of %s: %s matters, %s cases", city_code, len(catalogue),
             made)
    return {"matters": len(catalogue), "cases": made, **remedies}


def _numbering(session: Session, teams: list[dict]) -> None:
    """Each team's 机关代字 for its decisions (the other 文书 stay drafts in the demo: the
    PDFs of every step for hundreds of cases would slow the demo's loading)."""
    from core.documents import set_numbering_rule

    for team in teams:
        set_numbering_rule(session, unit_id=team["id"], agency=f"株综执{team['township'][-3:]}",
                           kind="enf_decision", actor="demo")


def _colour(session: Session, now: datetime) -> None:
    """The history's clocks as a sweep now would colour them (and the cases' mirrors)."""
    session.execute(text("""
        UPDATE case_clock SET colour = CASE WHEN due_at <= :now THEN 'red'
                                            WHEN warn_at <= :now THEN 'yellow' ELSE colour END
        WHERE case_type = 'enforcement.case' AND stopped_at IS NULL AND paused_at IS NULL"""),
        {"now": now})
    session.execute(text("""
        UPDATE enforcement_case c SET deadline = k.colour FROM case_clock k
        WHERE k.subject_type = 'enforcement_case' AND k.subject_id = c.id AND k.name = 'step'
          AND k.stopped_at IS NULL AND c.deadline <> k.colour"""))


def remove_demo(session: Session, *, city_code: str, **_) -> None:
    bounds = subtree_range(city_code)
    found = {"ids": list(session.scalars(text(
        "SELECT id FROM enforcement_case WHERE area_code >= :low AND area_code < :high"),
        bounds))}
    ids = "SELECT unnest(CAST(:ids AS bigint[]))"
    for table in ("case_clock", "timeline_event", "handoff"):
        session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'enforcement_case' "
                             f"AND subject_id IN ({ids})"), found)
    # A locked 文书 may never be deleted (core/documents' trigger) — but the demo city goes
    # whole, its units too, so its documents go with it: the trigger is set aside for this
    # one statement of this transaction, as the documents' own tests clean up.
    session.execute(text("ALTER TABLE document DISABLE TRIGGER document_immutable"))
    session.execute(text(f"DELETE FROM document WHERE subject_type = 'enforcement_case' "
                         f"AND subject_id IN ({ids})"), found)
    session.execute(text("ALTER TABLE document ENABLE ALWAYS TRIGGER document_immutable"))
    session.execute(text(f"""DELETE FROM case_link WHERE (a_type = 'enforcement_case'
        AND a_id IN ({ids})) OR (b_type = 'enforcement_case' AND b_id IN ({ids}))"""), found)
    session.execute(text(f"DELETE FROM enforcement_case WHERE id IN ({ids})"), found)
    # After the cases: their evidence and appeals (gone with them, ON DELETE CASCADE) refer
    # to these attachments.
    session.execute(text(f"DELETE FROM attachment WHERE subject_type = 'enforcement_case' "
                         f"AND subject_id IN ({ids})"), found)
    session.execute(text("""
        DELETE FROM enforcement_matter m WHERE m.code LIKE :prefix
          AND NOT EXISTS (SELECT 1 FROM enforcement_case c WHERE c.matter_id = m.id)"""),
        {"prefix": MATTER_PREFIX + "%"})
