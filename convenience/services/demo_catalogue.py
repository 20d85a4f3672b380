"""The demo catalogue's data: about 300 items across departments with realistic codes
(事项编码 by kind, department and serial; 实施编码 = the county department's 统一社会信用代码
+ the item code), their materials, and the 一件事 bundles. Deterministic: the same seed,
the same catalogue. Loaded by demo.py."""

import random

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
