"""The demo's 便民服务: a catalogue of about 300 items across departments with realistic
codes (事项编码 by kind, department and serial; 实施编码 = the county department's
统一社会信用代码 + the item code), the service points' hours, windows and items, the
一件事 bundles, proxy agents in three tiers, and the departments the platform needs that
the core's demo has not (民政, 人社, 医保 …; 纪检监察 and 营商环境 for the red forms).
Deterministic: the same seed, the same catalogue.
"""

import random

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services.catalogue import search_text
from convenience.services.points import DEFAULT_HOURS, HALL_HOURS
from core.codes import subtree_range
from core.errors import DomainError
from core.uscc import make_uscc, organisation_check_character

DEPARTMENTS = {
    "civil_affairs": "民政局", "hrss": "人力资源和社会保障局", "medical_security": "医疗保障局",
    "education": "教育局", "disabled": "残疾人联合会", "water": "水利局", "tax": "税务局",
    "veterans": "退役军人事务局", "discipline": "纪委监委",
    "business_environment": "优化营商环境办公室",
}
OWN_DEPARTMENTS = tuple(DEPARTMENTS)
# Two-digit kind prefixes of the item code (国家政务服务事项基本目录 style).
TYPE_PREFIX = {"licence": "01", "payment": "02", "confirmation": "07", "adjudication": "08",
               "award": "09", "other_power": "10", "public_service": "20"}
V = ("county", "township", "village")
C = ("county",)
T = ("county", "township")
ID_CARD = ("居民身份证", "A", True, False)
HOUSEHOLD = ("户口簿", "B", True, False)
PHOTO = ("近期免冠照片", "C", False, True)
FORM = ("申请表", "D", True, False)
LICENCE = ("营业执照", "A", True, False)
PLAN = ("场所平面图", "C", False, True)
# (department, name, type, levels, legal days, promised days, visits, online, proxy,
#  告知承诺, fee in fen, basis, extra materials)
BASE = [
    ("civil_affairs", "最低生活保障对象认定", "payment", V, 30, 15, 1, True, True, False, 0,
     "《社会救助暂行办法》第十一条", (HOUSEHOLD, ("家庭收入情况声明", "D", True, False),
                                 ("银行账户信息", "B", False, True))),
    ("civil_affairs", "特困人员救助供养认定", "payment", V, 30, 15, 1, False, True, False, 0,
     "《社会救助暂行办法》第十四条", (HOUSEHOLD,)),
    ("civil_affairs", "临时救助", "payment", V, 10, 5, 1, False, True, False, 0,
     "《社会救助暂行办法》第四十七条", (("困难情况说明", "D", True, False),)),
    ("civil_affairs", "困难残疾人生活补贴和重度残疾人护理补贴", "payment", V, 20, 10, 0, True,
     True, False, 0, "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
     (("残疾人证", "A", True, False),)),
    ("civil_affairs", "高龄津贴发放", "payment", V, 20, 10, 0, True, True, False, 0,
     "《湖南省老年人权益保障条例》", (("银行账户信息", "B", False, True),)),
    ("civil_affairs", "内地居民婚姻登记", "confirmation", C, 1, 1, 1, False, False, False, 0,
     "《婚姻登记条例》第七条",
     (HOUSEHOLD, PHOTO, ("本人无配偶及与对方没有直系血亲和三代以内旁系血亲关系的签字声明", "D",
                         True, False))),
    ("civil_affairs", "社会团体成立登记", "licence", C, 60, 20, 1, True, True, False, 0,
     "《社会团体登记管理条例》第九条", (FORM, ("章程草案", "D", True, False),
                                   ("住所使用证明", "C", False, True))),
    ("civil_affairs", "民办非企业单位成立登记", "licence", C, 60, 20, 1, True, True, False, 0,
     "《民办非企业单位登记管理暂行条例》第八条", (FORM, ("验资报告", "B", True, False))),
    ("hrss", "失业保险金申领", "payment", V, 10, 3, 0, True, True, False, 0,
     "《失业保险条例》第十六条", (("解除劳动合同证明", "B", True, False),)),
    ("hrss", "城乡居民养老保险参保登记", "public_service", V, 5, 1, 0, True, True, False, 0,
     "《中华人民共和国社会保险法》第二十条", (HOUSEHOLD,)),
    ("hrss", "城乡居民养老保险待遇申领", "payment", V, 20, 5, 0, True, True, False, 0,
     "《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
     (("银行账户信息", "B", False, True),)),
    ("hrss", "社会保障卡申领", "public_service", V, 20, 10, 1, True, True, False, 0,
     "《社会保障卡管理办法》", (PHOTO,)),
    ("hrss", "就业创业证申领", "public_service", T, 5, 1, 0, True, True, False, 0,
     "《就业服务与就业管理规定》第六十三条", (PHOTO,)),
    ("hrss", "职业技能等级认定", "public_service", C, 30, 20, 1, True, False, False, 0,
     "《国家职业技能标准》", (("学历证明", "A", False, True),)),
    ("hrss", "人力资源服务许可", "licence", C, 20, 5, 1, True, True, True, 0,
     "《人力资源市场暂行条例》第十八条", (LICENCE, ("专职工作人员名单", "D", False, True))),
    ("hrss", "劳务派遣经营许可", "licence", C, 20, 10, 1, True, True, True, 0,
     "《中华人民共和国劳动合同法》第五十七条", (LICENCE, ("验资证明", "B", True, False))),
    ("medical_security", "城乡居民基本医疗保险参保登记", "public_service", V, 5, 1, 0, True,
     True, False, 0, "《中华人民共和国社会保险法》第二十五条", (HOUSEHOLD,)),
    ("medical_security", "门诊慢特病待遇认定", "confirmation", T, 20, 10, 1, True, True, False,
     0, "《湖南省基本医疗保险门诊慢特病管理办法》", (("病历资料", "B", True, False),)),
    ("medical_security", "异地就医备案", "public_service", V, 5, 1, 0, True, True, False, 0,
     "《关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》", ()),
    ("medical_security", "医疗费用手工（零星）报销", "payment", T, 30, 15, 1, False, True,
     False, 0, "《中华人民共和国社会保险法》第二十九条", (("医疗费用票据", "A", True, False),
                                                ("费用清单", "B", False, True))),
    ("education", "教师资格认定", "licence", C, 30, 20, 1, True, False, False, 0,
     "《教师资格条例》第十三条", (PHOTO, ("体检合格证明", "B", True, False))),
    ("education", "民办学校设立审批", "licence", C, 90, 60, 1, False, True, False, 0,
     "《中华人民共和国民办教育促进法》第十二条", (FORM, ("举办者资质证明", "B", True, False))),
    ("education", "校外培训机构设立审批", "licence", C, 60, 20, 1, False, True, True, 0,
     "《中华人民共和国民办教育促进法》", (PLAN, ("消防安全检查合格证明", "B", False, True))),
    ("disabled", "残疾人证核发", "confirmation", T, 30, 15, 1, False, True, False, 0,
     "《中华人民共和国残疾人证管理办法》", (PHOTO, ("残疾评定表", "B", True, False))),
    ("disabled", "残疾人辅助器具适配补贴", "payment", V, 20, 10, 0, False, True, False, 0,
     "《关于建立残疾儿童康复救助制度的意见》", (("残疾人证", "A", True, False),)),
    ("water", "取水许可", "licence", C, 45, 20, 1, True, True, False, 0,
     "《取水许可和水资源费征收管理条例》第十九条", (FORM, ("取水工程说明", "C", True, False))),
    ("water", "生产建设项目水土保持方案审批", "licence", C, 20, 10, 1, True, True, True, 0,
     "《中华人民共和国水土保持法》第二十五条", (("水土保持方案报告书", "B", True, False),)),
    ("water", "河道管理范围内建设项目工程建设方案审批", "licence", C, 20, 15, 1, True, True,
     False, 0, "《中华人民共和国河道管理条例》第十一条", (("防洪评价报告", "B", True, False),)),
    ("tax", "个人所得税综合所得汇算清缴", "other_power", V, 5, 1, 0, True, True, False, 0,
     "《中华人民共和国个人所得税法》第十一条", ()),
    ("tax", "代开增值税普通发票", "other_power", T, 1, 1, 1, True, True, False, 0,
     "《中华人民共和国发票管理办法》第十六条", (("合同或协议", "B", True, False),)),
    ("veterans", "退役士兵自主就业一次性经济补助", "payment", C, 30, 20, 1, False, True, False,
     0, "《退役士兵安置条例》第十九条", (("退役证", "A", True, False),)),
    ("veterans", "优待证申领", "public_service", V, 20, 10, 0, True, True, False, 0,
     "《退役军人、其他优抚对象优待证管理办法》", (PHOTO,)),
    ("market", "个体工商户设立登记", "licence", T, 15, 1, 0, True, True, False, 0,
     "《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条",
     (("经营场所使用证明", "C", True, False),)),
    ("market", "企业设立登记", "licence", C, 15, 1, 0, True, True, False, 0,
     "《中华人民共和国市场主体登记管理条例》第十九条",
     (("公司章程", "D", True, False), ("住所使用证明", "C", False, True))),
    ("market", "食品经营许可", "licence", T, 20, 5, 1, True, True, True, 0,
     "《中华人民共和国食品安全法》第三十五条",
     (LICENCE, PLAN, ("食品安全管理制度", "D", False, True))),
    ("market", "小餐饮登记", "licence", T, 15, 3, 1, True, True, True, 0,
     "《湖南省食品生产加工小作坊小餐饮和食品摊贩管理条例》", (LICENCE, PLAN)),
    ("market", "药品零售企业经营许可", "licence", C, 30, 15, 1, True, True, False, 0,
     "《药品管理法》第五十二条", (LICENCE, ("执业药师注册证", "A", True, False))),
    ("chengguan", "城市建筑垃圾处置核准", "licence", C, 20, 5, 1, True, True, True, 0,
     "《城市建筑垃圾管理规定》第七条", (("运输车辆行驶证", "A", True, False),)),
    ("chengguan", "设置大型户外广告审批", "licence", C, 20, 5, 1, True, True, True, 0,
     "《城市市容和环境卫生管理条例》第十一条", (("设计效果图", "C", True, False),)),
    ("chengguan", "临时占用城市道路审批", "licence", C, 20, 3, 1, True, True, False, 0,
     "《城市道路管理条例》第三十一条", (("占道示意图", "C", True, False),)),
    ("housing", "建筑工程施工许可", "licence", C, 15, 5, 1, True, True, True, 0,
     "《中华人民共和国建筑法》第八条", (("建设工程规划许可证", "A", True, False),
                                   ("施工合同", "B", False, True))),
    ("housing", "商品房预售许可", "licence", C, 20, 10, 1, True, True, False, 0,
     "《城市商品房预售管理办法》第七条", (("土地使用权证书", "A", True, False),)),
    ("housing", "公共租赁住房资格审核", "confirmation", T, 30, 15, 1, True, True, False, 0,
     "《公共租赁住房管理办法》第七条", (HOUSEHOLD, ("收入证明", "B", True, False))),
    ("natural_resources", "不动产登记（首次登记）", "confirmation", C, 30, 5, 1, True, True,
     False, 8000, "《不动产登记暂行条例》第二十条", (("权属来源证明", "A", True, False),)),
    ("natural_resources", "不动产转移登记", "confirmation", C, 30, 3, 1, True, True, False,
     8000, "《不动产登记暂行条例》第二十条", (("不动产权证书", "A", True, False),
                                       ("买卖合同", "B", True, False))),
    ("natural_resources", "乡村建设规划许可", "licence", T, 20, 10, 1, False, True, False, 0,
     "《中华人民共和国城乡规划法》第四十一条", (("宅基地使用权证明", "A", True, False),)),
    ("agriculture", "农村村民宅基地审批", "licence", T, 20, 15, 1, False, True, False, 0,
     "《中华人民共和国土地管理法》第六十二条", (HOUSEHOLD, ("建房位置图", "C", True, False))),
    ("agriculture", "农作物种子生产经营许可", "licence", C, 20, 10, 1, True, True, True, 0,
     "《中华人民共和国种子法》第三十一条", (LICENCE,)),
    ("agriculture", "耕地地力保护补贴", "payment", V, 20, 10, 0, False, True, False, 0,
     "《关于全面推开农业“三项补贴”改革工作的通知》", (("承包地确权证明", "A", True, False),)),
    ("agriculture", "动物防疫条件合格证核发", "licence", C, 20, 10, 1, True, True, False, 0,
     "《中华人民共和国动物防疫法》第二十五条", (PLAN,)),
    ("transport", "道路货物运输经营许可", "licence", C, 20, 5, 1, True, True, True, 0,
     "《中华人民共和国道路运输条例》第二十四条", (("车辆行驶证", "A", True, False),)),
    ("transport", "出租汽车驾驶员从业资格证核发", "licence", C, 20, 10, 1, True, False, False,
     0, "《出租汽车驾驶员从业资格管理规定》", (("驾驶证", "A", True, False),)),
    ("culture", "娱乐场所经营许可", "licence", C, 20, 10, 1, True, True, True, 0,
     "《娱乐场所管理条例》第九条", (LICENCE, PLAN)),
    ("culture", "营业性演出许可", "licence", C, 3, 2, 1, True, True, False, 0,
     "《营业性演出管理条例》第十三条", (("演出节目单", "D", True, False),)),
    ("health", "出生医学证明办理", "confirmation", C, 5, 1, 1, False, True, False, 0,
     "《中华人民共和国母婴保健法》第二十三条", (("父母身份证明", "A", True, False),)),
    ("health", "医疗机构执业登记", "licence", C, 45, 20, 1, True, True, False, 0,
     "《医疗机构管理条例》第十五条", (PLAN, ("卫生技术人员名录", "B", True, False))),
    ("health", "公共场所卫生许可", "licence", T, 20, 5, 1, True, True, True, 0,
     "《公共场所卫生管理条例》第八条", (LICENCE, ("从业人员健康证明", "B", False, True))),
    ("health", "再生育审批", "confirmation", T, 30, 10, 1, False, True, False, 0,
     "《湖南省人口与计划生育条例》", (HOUSEHOLD,)),
    ("police", "出生登记（户口申报）", "confirmation", T, 5, 1, 1, True, True, False, 0,
     "《中华人民共和国户口登记条例》第七条", (HOUSEHOLD, ("出生医学证明", "A", True, False))),
    ("police", "居民身份证申领", "confirmation", T, 60, 20, 1, False, False, False, 2000,
     "《中华人民共和国居民身份证法》第八条", (HOUSEHOLD, PHOTO)),
    ("police", "居住证申领", "public_service", V, 15, 7, 1, True, True, False, 0,
     "《居住证暂行条例》第九条", (("居住证明", "C", True, False),)),
    ("fire", "公众聚集场所投入使用营业前消防安全检查", "licence", C, 10, 5, 1, True, True,
     True, 0, "《中华人民共和国消防法》第十五条", (LICENCE, PLAN)),
    ("ecology", "排污许可", "licence", C, 30, 15, 1, True, True, False, 0,
     "《排污许可管理条例》第十条", (LICENCE, ("自行监测方案", "B", False, True))),
    ("ecology", "建设项目环境影响报告表审批", "licence", C, 30, 10, 1, True, True, True, 0,
     "《中华人民共和国环境影响评价法》第二十二条", (("环境影响报告表", "B", True, False),)),
    ("emergency", "危险化学品经营许可", "licence", C, 30, 15, 1, True, True, False, 0,
     "《危险化学品安全管理条例》第三十三条", (LICENCE, ("安全评价报告", "B", True, False))),
    ("emergency", "烟花爆竹经营（零售）许可", "licence", T, 20, 5, 1, True, True, True, 0,
     "《烟花爆竹安全管理条例》第十九条", (LICENCE, PLAN)),
    ("natural_resources", "土地权属争议行政裁决", "adjudication", C, 60, 45, 1, False, True,
     False, 0, "《中华人民共和国土地管理法》第十四条", (("争议情况说明", "D", True, False),)),
    ("agriculture", "林木林地权属争议行政裁决", "adjudication", C, 60, 45, 1, False, True,
     False, 0, "《中华人民共和国森林法》第二十二条", (("权属证明", "A", True, False),)),
    ("hrss", "劳动人事争议仲裁", "adjudication", C, 45, 30, 1, True, False, False, 0,
     "《中华人民共和国劳动争议调解仲裁法》第四十三条", (("仲裁申请书", "D", True, False),)),
    ("civil_affairs", "见义勇为人员奖励", "award", C, 30, 20, 1, False, True, False, 0,
     "《湖南省见义勇为人员奖励和保护条例》", (("事迹材料", "D", True, False),)),
    ("hrss", "高层次人才奖励", "award", C, 30, 20, 1, True, True, False, 0,
     "《湖南省芙蓉人才行动计划》", (("人才认定证明", "A", True, False),)),
    ("education", "优秀教师表彰奖励", "award", C, 30, 20, 0, True, True, False, 0,
     "《中华人民共和国教师法》第三十三条", (("推荐表", "D", True, False),)),
    ("police", "养犬登记", "licence", T, 20, 5, 1, True, True, False, 0,
     "《株洲市养犬管理条例》", (("犬只免疫证明", "B", True, False), PHOTO)),
    ("housing", "建设工程消防设计审查", "licence", C, 15, 10, 1, True, True, False, 0,
     "《中华人民共和国消防法》第十一条", (("消防设计文件", "B", True, False),)),
]
# A licence's 办理项: new, change, renewal, cancellation (the catalogue splits them so).
LICENCE_VARIANTS = ("（新办）", "（变更）", "（延续）", "（注销）", "（补证）")
PAYMENT_VARIANTS = ("", "（变更）", "（终止）")
OTHER_VARIANTS = ("", "（变更）", "（补办）")
BUNDLES = (
    ("newborn", "新生儿出生“一件事”", ("出生医学证明办理", "出生登记（户口申报）",
                                     "城乡居民基本医疗保险参保登记", "社会保障卡申领"), 10),
    ("restaurant", "开办餐饮店“一件事”", ("个体工商户设立登记（新办）", "食品经营许可（新办）",
                                        "公共场所卫生许可（新办）",
                                        "公众聚集场所投入使用营业前消防安全检查（新办）"), 8),
    ("house_transfer", "二手房转移登记及水电气联合过户“一件事”",
     ("不动产转移登记", "代开增值税普通发票"), 5),
    ("retirement", "退休“一件事”", ("城乡居民养老保险待遇申领", "异地就医备案"), 10),
)
CITATION_BUNDLE = ("国务院办公厅关于加快推进“一件事一次办”打造政务服务升级版的指导意见"
                   "（国办发〔2024〕3号）")


def _variants(kind: str) -> tuple[str, ...]:
    return LICENCE_VARIANTS if kind == "licence" else \
        PAYMENT_VARIANTS if kind == "payment" else OTHER_VARIANTS


def catalogue_rows(city_code: str, *, seed: int) -> list[dict]:
    """The items: each base item with its 办理项 variants, about 300."""
    rng = random.Random(seed)
    departments = sorted({row[0] for row in BASE})
    rows = []
    for serial, (dept, name, kind, levels, legal, promised, visits, online, proxy, commit,
                 fee, basis, extra) in enumerate(BASE, start=1):
        organisation = f"MB{departments.index(dept) + 1:02d}{serial:04d}"
        agency = make_uscc(f"11{city_code[:6]}{organisation}"
                           f"{organisation_check_character(organisation)}")
        for number, variant in enumerate(_variants(kind)):
            item_code = f"{TYPE_PREFIX[kind]}{departments.index(dept) + 1:02d}{serial:04d}" \
                        f"{number:03d}"
            materials = [ID_CARD, *extra]
            rows.append({
                "item_code": item_code, "impl_code": f"{agency}{item_code}",
                "name": f"{name}{variant}", "item_type": kind, "department_code": dept,
                "levels": list(levels), "legal_basis": basis,
                "conditions": "申请人符合法定条件；材料齐全、符合法定形式。",
                "fee_fen": fee if number == 0 else 0, "legal_days": legal,
                "promised_days": promised if number != 3 else max(1, promised // 2),
                "visits": visits if rng.random() > .2 else 0, "online": online,
                "proxy": proxy, "notify_commit": commit and number in (0, 2),
                "commit_check_days": 20 if commit else None,
                "materials": [{"name": m[0], "trust_level": m[1], "is_primary": m[2],
                               "may_defer": m[3]} for m in materials]})
    return rows


def load_demo(session: Session, *, city_code: str, seed: int = 42, stage=None,
              settings=None, applications: int = 240, **_) -> dict:
    if stage:
        stage("convenience", 0, 5)
    _departments(session, city_code)
    names = dict(session.execute(text("SELECT code, name FROM department")).all())
    rows = catalogue_rows(city_code, seed=seed)
    item_ids = _insert_items(session, rows, names)
    if stage:
        stage("convenience", 1, 4)
    _points(session, city_code, rows, item_ids)
    if stage:
        stage("convenience", 2, 4)
    _bundles(session, item_ids)
    _agents(session, city_code)
    if stage:
        stage("convenience", 3, 5)
    made = history(session, city_code=city_code, seed=seed, count=applications,
                   settings=settings)
    if stage:
        stage("convenience", 5, 5)
    return {"items": len(item_ids), "applications": made}


# --- a recent history, through the live rules ---------------------------------------------

LEVELS_DRAWN = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)


def history(session: Session, *, city_code: str, seed: int, count: int, settings=None) -> int:
    """`count` applications over the last 20 days at the city's halls and centres, taken,
    decided and handed out by the flows (so their clocks, timelines and refusals are the
    live ones): most finished, some late, some refused, some by proxy; ratings at 办结,
    the bad ones rectified or still open. The figures and the public pages have data."""
    from datetime import UTC, datetime, timedelta

    from convenience.services import applications as flows
    from convenience.services import ratings
    from convenience.services.common import SYSTEM
    from core.settings import get_settings

    settings = settings or get_settings()
    rng = random.Random(seed)
    windows = session.execute(text("""
        SELECT u.id, u.seat_code FROM unit u
        WHERE u.kind IN ('service_hall', 'service_centre') AND u.is_active
          AND u.seat_code >= :low AND u.seat_code < :high ORDER BY u.seat_code LIMIT 40"""),
        subtree_range(city_code)).all()
    if not windows:
        return 0
    agents = session.execute(text("""
        SELECT g.user_id, u.seat_code FROM svc_proxy_agent g JOIN unit u ON u.id = g.unit_id
        WHERE u.seat_code >= :low AND u.seat_code < :high ORDER BY g.user_id LIMIT 50"""),
        subtree_range(city_code)).all()
    by_level = {level: list(session.scalars(text(
        "SELECT item_id FROM svc_point_item pi JOIN unit u ON u.id = pi.unit_id "
        "WHERE u.id = :id ORDER BY item_id"), {"id": w.id})) for level, w in
        (("county", next((w for w in windows if len(w.seat_code) == 6), windows[0])),
         ("township", next((w for w in windows if len(w.seat_code) == 9), windows[0])))}
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    made = 0
    for _ in range(count):
        window = rng.choice(windows)
        items = by_level["county" if len(window.seat_code) == 6 else "township"]
        if not items:
            continue
        now = start + timedelta(days=rng.uniform(0, 19), hours=rng.uniform(0, 6))
        agent = rng.random() < .12 and agents and rng.choice(agents)
        data = {"item_id": rng.choice(items), "intake_unit_id": window.id,
                "channel": "proxy" if agent else rng.choice(("window", "window", "station",
                                                              "online")),
                "applicant_name": rng.choice(surnames) + rng.choice(given),
                "applicant_phone": f"13{rng.randrange(10**9):09d}",
                "visits": 1 if rng.random() < .85 else 2}
        if agent:
            data |= {"consent": True, "proxy_user_id": agent.user_id, "visits": 0}
        try:
            with session.begin_nested():
                made += _one(session, flows, ratings, SYSTEM, data, now=now, rng=rng,
                             settings=settings)
        except DomainError:
            continue  # an item this channel does not allow (online, proxy): skip it
    return made


def _one(session, flows, ratings, system, data: dict, *, now, rng, settings) -> int:
    from datetime import timedelta

    if data["channel"] == "online":
        from convenience.services.models import Item

        if not session.get(Item, data["item_id"]).online:
            data["channel"] = "window"
    if rng.random() < .04:
        data["refuse"] = {"kind": "not_accepted", "reason": "申请事项不属于本机关受理范围"}
        flows.intake(session, principal=system, data=data, settings=settings, now=now)
        return 1
    app = flows.intake(session, principal=system, data=data, settings=settings, now=now)

    def act(name: str, at, **extra) -> None:
        flows.act(session, app, name, principal=system, settings=settings, now=at,
                  data={"version": app.version, **extra})

    at = now + timedelta(hours=rng.uniform(1, 30))
    roll = rng.random()
    if roll < .05:
        act("return", at, reason="申请材料与申请事项不符")
        return 1
    if roll < .12:
        act("ask_supplement", at, reason="材料不齐，一次性告知补正")
        at += timedelta(hours=rng.uniform(2, 48))
        act("supplemented", at)
    else:
        act("review", at)
    if rng.random() < .15:
        return 1  # still under review
    due = app.due_at or at
    at = max(at, min(due - timedelta(hours=1), at + timedelta(days=rng.uniform(0, 6))))
    if rng.random() < .08:
        at = due + timedelta(hours=rng.uniform(1, 30))  # late
    if at > flows.runner.now_utc():
        return 1
    act("decide", at, result="approved")
    act("finish", at)
    if rng.random() < .7:
        level = rng.choice(LEVELS_DRAWN)
        ratings.rate(session, number=app.number, phone=app.applicant_phone, settings=settings,
                     now=at + timedelta(hours=2), actor="demo",
                     data={"stage": "finish", "level": level,
                           "channel": rng.choice(("device", "qr", "sms", "app")),
                           "comment": "" if level > 2 else "等候时间较长"})
        if level <= 2 and rng.random() < .6:
            ratings.rate(session, number=app.number, phone=app.applicant_phone,
                         settings=settings, now=at + timedelta(days=3), actor="demo",
                         data={"stage": "finish", "level": 4, "channel": "sms"})
    return 1


def _departments(session: Session, city_code: str) -> None:
    """The departments the core's demo lacks, and their unit in each county."""
    session.execute(text("""
        INSERT INTO department (code, name)
        SELECT d.key, d.value FROM jsonb_each_text(CAST(:departments AS jsonb)) d
        ON CONFLICT (code) DO NOTHING"""), {"departments": _json(DEPARTMENTS)})
    session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location)
        SELECT a.code || '-department-' || d.code, a.name || d.name, 'department',
               'convenience', d.code, a.code, ST_PointOnSurface(a.geom)
        FROM area a CROSS JOIN department d
        WHERE a.level = 'county' AND a.code >= :low AND a.code < :high
          AND d.code = ANY(:own)
        ON CONFLICT (code) DO NOTHING"""), {**subtree_range(city_code),
                                           "own": list(OWN_DEPARTMENTS)})
    session.execute(text("""
        INSERT INTO unit_area (unit_id, area_code)
        SELECT u.id, u.seat_code FROM unit u
        WHERE u.department_code = ANY(:own) AND u.kind = 'department'
          AND u.seat_code >= :low AND u.seat_code < :high
          AND NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id)"""),
        {**subtree_range(city_code), "own": list(OWN_DEPARTMENTS)})


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _insert_items(session: Session, rows: list[dict], names: dict) -> dict[str, int]:
    """All items and materials in two statements; an item already there is kept."""
    payload = [{k: v for k, v in row.items() if k != "materials"}
               | {"search_text": search_text(row["item_code"], row["impl_code"], row["name"],
                                             names[row["department_code"]])}
               for row in rows]
    session.execute(text("""
        INSERT INTO svc_item (item_code, impl_code, name, item_type, department_code, levels,
                              legal_basis, conditions, fee_fen, legal_days, promised_days,
                              visits, online, proxy, notify_commit, commit_check_days,
                              is_active, search_text)
        SELECT r.item_code, r.impl_code, r.name, r.item_type, r.department_code,
               ARRAY(SELECT jsonb_array_elements_text(r.levels)), r.legal_basis,
               r.conditions, r.fee_fen, r.legal_days, r.promised_days, r.visits, r.online,
               r.proxy, r.notify_commit, r.commit_check_days, true, r.search_text
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
            item_code text, impl_code text, name text, item_type text, department_code text,
            levels jsonb, legal_basis text, conditions text, fee_fen bigint, legal_days int,
            promised_days int, visits int, online boolean, proxy boolean,
            notify_commit boolean, commit_check_days int, search_text text)
        ON CONFLICT (impl_code) DO NOTHING"""), {"rows": _json(payload)})
    ids = dict(session.execute(text("SELECT impl_code, id FROM svc_item WHERE impl_code = "
                                    "ANY(:codes)"),
                               {"codes": [r["impl_code"] for r in rows]}).all())
    materials = [{"item_id": ids[row["impl_code"]], "position": position, **m}
                 for row in rows for position, m in enumerate(row["materials"], start=1)]
    session.execute(text("""
        INSERT INTO svc_material (item_id, position, name, trust_level, is_primary, may_defer,
                                  copies)
        SELECT m.item_id, m.position, m.name, m.trust_level, m.is_primary, m.may_defer, 1
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS m(
            item_id bigint, position int, name text, trust_level text, is_primary boolean,
            may_defer boolean)
        ON CONFLICT (item_id, position) DO NOTHING"""), {"rows": _json(materials)})
    return {row["name"]: ids[row["impl_code"]] for row in rows}


def _points(session: Session, city_code: str, rows: list[dict], ids: dict[str, int]) -> None:
    """Every service unit a point: its hours (halls open Saturday mornings), address and
    phone, windows, and the items of its level."""
    bounds = subtree_range(city_code)
    session.execute(text("""
        INSERT INTO svc_point (unit_id, location, address, phone, opening_hours, note)
        SELECT u.id, u.location::geography, a.name || '便民服务大厅',
               '0731-' || lpad((abs(hashtext(u.code)) % 10000000)::text, 8, '2'),
               CASE WHEN u.kind = 'service_hall' THEN CAST(:hall AS jsonb)
                    ELSE CAST(:default AS jsonb) END, ''
        FROM unit u JOIN area a ON a.code = u.seat_code
        WHERE u.kind IN ('service_hall', 'service_centre', 'service_station')
          AND u.seat_code >= :low AND u.seat_code < :high
        ON CONFLICT (unit_id) DO NOTHING"""),
        {**bounds, "hall": _json(HALL_HOURS), "default": _json(DEFAULT_HOURS)})
    session.execute(text("""
        INSERT INTO svc_window (unit_id, number, name, kind)
        SELECT u.id, w.number, w.name, w.kind FROM unit u
        CROSS JOIN (VALUES ('01', '综合受理窗口', 'comprehensive'),
                           ('02', '综合受理窗口', 'comprehensive'),
                           ('08', '“办不成事”反映窗口', 'stuck'),
                           ('09', '企业代办服务窗口', 'enterprise')) AS w(number, name, kind)
        WHERE u.kind = 'service_hall' AND u.seat_code >= :low AND u.seat_code < :high
        UNION ALL
        SELECT u.id, '01', '综合受理窗口', 'comprehensive' FROM unit u
        WHERE u.kind IN ('service_centre', 'service_station')
          AND u.seat_code >= :low AND u.seat_code < :high
        ON CONFLICT (unit_id, number) DO NOTHING"""), bounds)
    by_level = {"service_hall": "county", "service_centre": "township",
                "service_station": "village"}
    for kind, level in by_level.items():
        item_ids = [ids[row["name"]] for row in rows if level in row["levels"]]
        session.execute(text("""
            INSERT INTO svc_point_item (unit_id, item_id)
            SELECT u.id, i FROM unit u CROSS JOIN unnest(CAST(:items AS bigint[])) AS i
            WHERE u.kind = :kind AND u.seat_code >= :low AND u.seat_code < :high
            ON CONFLICT DO NOTHING"""), {**bounds, "kind": kind, "items": item_ids})


def _bundles(session: Session, ids: dict[str, int]) -> None:
    for code, name, items, days in BUNDLES:
        session.execute(text("""
            INSERT INTO svc_bundle_type (code, name, item_ids, promised_days, citation,
                                         is_active)
            VALUES (:code, :name, :items, :days, :citation, true)
            ON CONFLICT (code) DO NOTHING"""),
            {"code": code, "name": name, "items": [ids[i] for i in items], "days": days,
             "citation": CITATION_BUNDLE})


def _agents(session: Session, city_code: str) -> None:
    """Each station's receiver a 村级代办员, each centre's a 乡镇特派员, each hall's a
    分管协调员; the demo proxy agent at his station."""
    session.execute(text("""
        INSERT INTO svc_proxy_agent (user_id, unit_id, tier, name, is_active)
        SELECT DISTINCT ON (m.user_id) m.user_id, u.id,
               CASE u.kind WHEN 'service_station' THEN 'village'
                           WHEN 'service_centre' THEN 'township' ELSE 'coordinator' END,
               coalesce(nullif(au.full_name, ''), au.username), true
        FROM membership m JOIN unit u ON u.id = m.unit_id JOIN app_user au ON au.id = m.user_id
        WHERE m.is_active AND m.position IN ('receiver', 'proxy_agent')
          AND u.kind IN ('service_station', 'service_centre', 'service_hall')
          AND u.seat_code >= :low AND u.seat_code < :high
        ORDER BY m.user_id, (m.position = 'proxy_agent') DESC, u.id
        ON CONFLICT (user_id) DO NOTHING"""), subtree_range(city_code))


SUBJECT_TABLES = (("svc_application", "svc_application"), ("svc_bundle", "svc_bundle"),
                  ("svc_rectification", "svc_rectification"),
                  ("svc_enterprise_request", "svc_enterprise_request"),
                  ("svc_stuck_matter", "svc_stuck_matter"))


def remove_demo(session: Session, *, city_code: str, **_) -> None:
    """The city's applications and everything on them, its points and agents, and the
    departments' units the demo added (the catalogue stays: it is the province's)."""
    bounds = subtree_range(city_code)
    for table in ("svc_rectification", "svc_stuck_matter", "svc_enterprise_request"):
        session.execute(text(f"DELETE FROM {table} WHERE owner_code >= :low "
                             "AND owner_code < :high"), bounds)
    session.execute(text("""
        DELETE FROM svc_rating r USING svc_application a WHERE a.id = r.application_id
          AND a.owner_code >= :low AND a.owner_code < :high"""), bounds)
    session.execute(text("DELETE FROM svc_application WHERE owner_code >= :low "
                         "AND owner_code < :high"), bounds)
    session.execute(text("DELETE FROM svc_bundle WHERE owner_code >= :low "
                         "AND owner_code < :high"), bounds)
    session.execute(text("DELETE FROM svc_refusal_report WHERE county_code >= :low "
                         "AND county_code < :high"), bounds)
    # The kernel's rows of the subjects just removed (no foreign key: keyed by type, id):
    # their clocks would be read by every sweep, their timelines by nothing.
    for subject_type, table in SUBJECT_TABLES:
        for kernel_table in ("case_clock", "timeline_event", "attachment"):
            session.execute(text(f"""
                DELETE FROM {kernel_table} k WHERE k.subject_type = :type
                  AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = k.subject_id)"""),
                {"type": subject_type})
        session.execute(text(f"""
            DELETE FROM case_link l WHERE
              (l.a_type = :type AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = l.a_id))
              OR (l.b_type = :type
                  AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.id = l.b_id))"""),
            {"type": subject_type})
    session.execute(text("""
        DELETE FROM svc_proxy_agent g USING unit u WHERE u.id = g.unit_id
          AND u.seat_code >= :low AND u.seat_code < :high"""), bounds)
    session.execute(text("""
        DELETE FROM unit WHERE kind = 'department' AND department_code = ANY(:own)
          AND seat_code >= :low AND seat_code < :high"""),
        {**bounds, "own": list(OWN_DEPARTMENTS)})
