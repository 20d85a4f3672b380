"""The default category tree, as data, and `seed_categories` that loads what is missing.

Three families, told apart by the first letter of the code so their numbers never clash:

- ``B`` 部件 — GB/T 30428.2-2013 (数字化城市管理信息系统 第2部分: 管理部件和事件, which
  superseded CJ/T 214-2007) component classes: 01 公用设施, 02 道路交通, 03 市容环境,
  04 园林绿化, 05 房屋土地, 06 其他设施. An incident on a component is "this component
  is damaged, missing, dirty or out of place".
- ``S`` 事件 — the standard's event classes: 01 市容环境, 02 宣传广告, 03 施工管理,
  04 突发事件, 05 街面秩序, 06 市场监管.
- ``Z`` 综治 — the grid-governance classes of the 综治 platform (矛盾纠纷, 安全隐患, 治安,
  消防, 环境, 特殊人群, 食品药品安全), which the urban-management standard does not cover.

大类 numbers and names are the standard's. The 小类 are a representative selection with
the standard's names, numbered in the standard's order where it is well known (the manhole
covers 0101–0113, the events of classes 01–05) and continuing from there otherwise; a
city loads its own 部件事件手册 through the API (local classes take another letter).

Time limits are working hours (h) or working days (d) per step and urgency (see
core/workflow/durations.py); `_limits` derives the urgent (紧急) and critical (特急)
limits from the normal (一般) handling limit, so each 小类 names one number.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from grid.incidents.enums import Step, Urgency

COMPONENT = "GB/T 30428.2 部件"
EVENT = "GB/T 30428.2 事件"
GOVERNANCE = "综治"

# The normal handling limit → (urgent, critical).
_FASTER = {
    "1h": ("1h", "1h"), "2h": ("1h", "1h"), "3h": ("2h", "1h"), "4h": ("2h", "1h"),
    "5h": ("3h", "1h"), "8h": ("4h", "2h"), "1d": ("4h", "2h"), "2d": ("1d", "4h"),
    "3d": ("2d", "1d"), "5d": ("3d", "1d"), "7d": ("3d", "2d"), "10d": ("5d", "2d"),
    "15d": ("10d", "5d"), "20d": ("10d", "5d"), "30d": ("15d", "7d"),
}


def _limits(handling: str, *, filing: str = "2h", dispatch: str = "2h",
            verification: str = "4h") -> dict[str, dict[str, str]]:
    """{urgency: {step: limit}}: 立案 and 派遣 within 2 working hours (1 when urgent),
    处理 as given, 核查 within half a working day (faster when urgent)."""
    urgent, critical = _FASTER[handling]
    verify_urgent, verify_critical = _FASTER[verification]
    quick = {"2h": "1h", "4h": "2h", "1d": "4h", "1h": "1h"}
    return {
        str(Urgency.normal): {str(Step.filing): filing, str(Step.dispatch): dispatch,
                              str(Step.handling): handling,
                              str(Step.verification): verification},
        str(Urgency.urgent): {str(Step.filing): quick[filing],
                              str(Step.dispatch): quick[dispatch],
                              str(Step.handling): urgent,
                              str(Step.verification): verify_urgent},
        str(Urgency.critical): {str(Step.filing): "1h", str(Step.dispatch): "1h",
                                str(Step.handling): critical,
                                str(Step.verification): verify_critical},
    }


def _minor(number: str, name: str, handling: str, filing_condition: str,
           closing_condition: str, **steps: str) -> dict[str, Any]:
    return {"number": number, "name": name, "filing_condition": filing_condition,
            "closing_condition": closing_condition, "time_limits": _limits(handling, **steps)}


def _cover(number: str, name: str, handling: str = "1d", what: str = "") -> dict[str, Any]:
    """A manhole cover class (井盖): the same conditions, whoever owns the pipe below."""
    return _minor(
        number, name, handling,
        f"{what or name}破损、缺失、移位、下沉或凸起（与路面高差超过 2 cm），或井盖与井座不"
        "匹配、车辆驶过有异响；缺失或破损的，发现人应先在现场设置警示",
        "井盖完好、安装平稳，与路面高差不超过 1 cm，缺失的已补装；现场警示撤除前已复核无"
        "安全隐患", filing="1h", dispatch="1h")


# (code, name, standard, minors); a minor's code is its major's code and its number.
DEFAULT_TREE: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    # --- 部件 ----------------------------------------------------------------------------
    ("B01", "公用设施", COMPONENT, [
        _cover("01", "上水井盖"),
        _cover("02", "污水井盖"),
        _cover("03", "雨水井盖"),
        _minor("04", "雨水箅子", "1d",
               "雨水箅子破损、缺失、移位，或被垃圾杂物堵塞影响排水",
               "箅子完好归位，进水口无堵塞，排水通畅", filing="1h", dispatch="1h"),
        _cover("05", "电力井盖"),
        _cover("07", "通讯井盖"),
        _cover("11", "燃气井盖", "4h"),
        _minor("13", "无主井盖", "2d",
               "井盖破损、缺失或移位且权属单位不明，现场已设置警示",
               "已查明权属单位并修复或由属地代为修复，井盖完好平稳", filing="1h",
               dispatch="1h", verification="1d"),
        _minor("14", "消防栓", "2d",
               "消防栓损坏、漏水、缺失部件、被遮挡或圈占，或被撞倒",
               "消防栓完好可用、无漏水，周边 1.5 米内无遮挡"),
        _minor("15", "路灯", "2d",
               "路灯不亮、昼亮、闪烁，灯杆倾斜、锈蚀或灯具破损、缺失",
               "路灯按时正常亮灭，灯杆灯具完好稳固"),
        _minor("16", "报刊亭", "5d",
               "报刊亭破损、外观脏污，或超出核定范围经营、堆物",
               "亭体完好整洁，在核定范围内经营，周边无堆物"),
    ]),
    ("B02", "道路交通", COMPONENT, [
        _minor("03", "公交站亭", "3d",
               "公交站亭顶棚、座椅、站牌、玻璃破损或缺失，或明显脏污",
               "站亭设施完好、整洁，站牌信息清晰"),
        _minor("06", "路名牌", "5d",
               "路名牌缺失、破损、倾斜、字迹模糊或内容错误",
               "路名牌完好、牢固，内容正确清晰"),
        _minor("07", "交通标志牌", "3d",
               "交通标志牌缺失、破损、倾斜、被遮挡或内容与路况不符",
               "标志牌完好、牢固、清晰可见，内容与路况相符"),
        _minor("08", "交通信号灯", "4h",
               "信号灯不亮、常亮、相位错乱，或灯杆倾斜、灯具破损",
               "信号灯工作正常，灯杆灯具完好", filing="1h", dispatch="1h"),
        _minor("09", "交通护栏", "3d",
               "交通护栏、隔离栏倾倒、断裂、缺失或变形侵占车道",
               "护栏完好、连续、牢固，无侵占车道"),
        _minor("10", "过街天桥", "5d",
               "过街天桥桥面破损、栏杆松动缺失、台阶损坏或照明不亮",
               "桥面、栏杆、台阶完好，照明正常", verification="1d"),
    ]),
    ("B03", "市容环境", COMPONENT, [
        _minor("01", "公共厕所", "1d",
               "公厕设施损坏、无水、堵塞、明显脏污有异味，或开放时间内关闭",
               "设施完好，保洁达标，按规定时间开放"),
        _minor("02", "垃圾间（楼）", "1d",
               "垃圾间（楼）破损、门窗缺失，或垃圾外溢、渗滤液外流",
               "设施完好，垃圾清运完毕，周边整洁无渗漏"),
        _minor("03", "垃圾箱", "1d",
               "垃圾箱（果皮箱）破损、缺失、倾倒，或垃圾满溢",
               "垃圾箱完好归位，箱体整洁，无满溢"),
        _minor("04", "广告牌匾", "5d",
               "广告牌匾破损、字体残缺、松动有坠落危险，或灯光不亮",
               "牌匾完好、牢固、整洁，字体完整；有坠落危险的已拆除或加固"),
        _minor("05", "化粪池", "1d",
               "化粪池盖板破损缺失、满溢外流或散发严重异味",
               "盖板完好，已清掏，无外溢"),
    ]),
    ("B04", "园林绿化", COMPONENT, [
        _minor("01", "古树名木", "3d",
               "古树名木受损、枯枝、病虫害、倾斜，或周边被硬化、堆物、挂物",
               "已按养护方案处置，树体及保护设施完好，周边无损害行为", verification="1d"),
        _minor("02", "行道树", "3d",
               "行道树倾斜、倒伏、枯死、缺株，枝杈遮挡信号灯标志或触碰架空线",
               "倒伏已扶正或清除，枯死缺株已补植，遮挡枝杈已修剪"),
        _minor("03", "护树设施", "5d",
               "树池盖板、树木支撑、护栏破损、缺失或松动",
               "护树设施完好、牢固"),
        _minor("05", "绿地", "3d",
               "绿地被践踏、毁坏、侵占，植被大面积缺失或枯死",
               "侵占已清除，缺失植被已补植，绿地完好"),
        _minor("07", "街头座椅", "5d",
               "街头座椅破损、松动、缺失或明显脏污",
               "座椅完好、牢固、整洁"),
    ]),
    ("B05", "房屋土地", COMPONENT, [
        _minor("01", "人防工事", "5d",
               "人防工事出入口破损、积水、被违规占用或堆放易燃物",
               "出入口完好，无积水，占用及堆物已清除", verification="1d"),
        _minor("02", "公房地下室", "5d",
               "公房地下室违规住人、经营、堆放杂物或存在渗漏",
               "违规使用已整改，杂物已清理，渗漏已修复", verification="1d"),
        _minor("03", "宣传栏", "5d",
               "宣传栏破损、内容过期或残缺、有乱贴乱画",
               "宣传栏完好整洁，内容及时更新"),
    ]),
    ("B06", "其他设施", COMPONENT, [
        _minor("01", "重大危险源", "4h",
               "重大危险源设施出现泄漏、破损、警示标识缺失或周边违规动火、施工",
               "隐患已消除，防护及警示设施完好，已报备主管部门", filing="1h",
               dispatch="1h"),
        _minor("02", "工地", "2d",
               "工地围挡破损、倒塌、缺失，或出入口未硬化、未设冲洗设施",
               "围挡连续完好，出入口硬化并设冲洗设施"),
        _minor("03", "水域附属设施", "3d",
               "河道护栏、救生设施、码头台阶破损或缺失",
               "附属设施完好，救生设施齐全可用"),
    ]),
    # --- 事件 ----------------------------------------------------------------------------
    ("S01", "市容环境", EVENT, [
        _minor("01", "私搭乱建", "15d",
               "未经规划许可，在道路、绿地、公共场地、房前屋后或屋顶搭建建筑物、构筑物"
               "（违章建筑），现场可见新建、在建或已建成",
               "违法建筑已拆除并清运建筑垃圾，场地恢复原状；或已取得规划许可手续",
               verification="1d"),
        _minor("02", "暴露垃圾", "1d",
               "道路、广场、绿地、水域岸线、居民区公共部位可见未袋装或散落的生活垃圾，"
               "面积 0.5 平方米以上或体积 0.1 立方米以上",
               "垃圾已清除、运走，现场无残留、无污渍"),
        _minor("03", "积存垃圾渣土", "2d",
               "垃圾、渣土、建筑垃圾堆积 1 立方米以上未及时清运",
               "积存物已全部清运，场地平整干净"),
        _minor("04", "道路不洁", "5h",
               "车行道、人行道、广场有明显垃圾、泥沙、油污、粪便或积存物，保洁不达标",
               "路面清扫干净，无明显垃圾和污渍，达到保洁标准", verification="2h"),
        _minor("05", "水域不洁", "1d",
               "河道、湖泊、沟渠水面有成片漂浮垃圾、油污、死鱼等，或岸坡堆有垃圾",
               "水面及岸坡垃圾已打捞清理，水面无成片漂浮物"),
        _minor("06", "绿地脏乱", "1d",
               "绿地内有垃圾、杂物、枯枝落叶堆积或晾晒衣物",
               "绿地内垃圾杂物已清除，整洁无堆积"),
        _minor("07", "废弃车辆", "5d",
               "道路或公共场所停放无牌、破损、长期无人使用的机动车或非机动车",
               "已联系车主移走，或经公示后依法拖离"),
        _minor("08", "废弃家具设备", "1d",
               "公共区域随意丢弃沙发、床垫、家电等大件废弃物",
               "大件废弃物已清运，场地整洁"),
        _minor("09", "非装饰性树挂", "1d",
               "行道树、绿化带上悬挂塑料袋、衣物、条幅、线缆等非装饰物",
               "树挂已全部清除"),
        _minor("10", "道路破损", "3d",
               "车行道、人行道路面坑槽、沉陷、拥包、松散，或人行道板缺失松动",
               "路面修复平整，与原路面衔接顺畅；修复前已设置警示"),
        _minor("12", "道路遗撒", "4h",
               "车辆运输渣土、砂石、垃圾、液体等沿路遗撒、滴漏",
               "遗撒物已清除，路面干净，肇事车辆信息已移交执法"),
        _minor("15", "焚烧垃圾树叶", "2h",
               "露天焚烧垃圾、树叶、秸秆或其他废弃物",
               "明火已扑灭，焚烧残余物已清理", filing="1h", dispatch="1h"),
        _minor("16", "油烟污染", "5d",
               "餐饮服务单位未安装或未正常使用油烟净化设施，油烟直排影响居民",
               "油烟净化设施已安装并正常运行，排放达标，或已移交执法立案"),
        _minor("17", "动物尸体", "4h",
               "道路、水域、绿地等公共区域有动物尸体",
               "动物尸体已无害化清运，现场已消毒"),
    ]),
    ("S02", "宣传广告", EVENT, [
        _minor("01", "非法小广告", "1d",
               "在建筑物、构筑物、公共设施、树木上张贴、涂写、刻画、喷涂小广告，"
               "每处 3 张（条）以上",
               "小广告已清除、覆盖，墙面设施恢复原貌"),
        _minor("02", "违章张贴悬挂广告牌匾", "5d",
               "未经批准设置或超出批准内容、范围、期限设置户外广告、牌匾、条幅",
               "违规广告牌匾已拆除，或已补办审批手续"),
        _minor("03", "占道广告牌", "2d",
               "在人行道、车行道、绿地摆放落地广告牌、灯箱、展板",
               "占道广告牌已撤除"),
        _minor("04", "街头散发广告", "2h",
               "在道路、广场、路口向行人散发广告宣传品",
               "散发行为已制止，散落宣传品已清理", filing="1h", dispatch="1h"),
        _minor("05", "广告招牌破损", "2d",
               "户外广告、招牌破损、污损、残缺或灯光显示不全",
               "广告招牌已修复或拆除，显示完整"),
    ]),
    ("S03", "施工管理", EVENT, [
        _minor("01", "施工扰民", "4h",
               "夜间（22 时至次日 6 时）未经批准施工，或施工噪声、振动、强光明显影响居民",
               "违规施工已停止或已取得夜间施工许可，扰民因素已消除"),
        _minor("02", "工地扬尘", "4h",
               "工地裸土未覆盖、未洒水降尘、车辆带泥上路，现场可见明显扬尘",
               "裸土已覆盖，降尘措施落实，出入车辆冲洗干净"),
        _minor("03", "施工废弃料", "1d",
               "施工完成或施工中在道路、绿地随意堆放建筑垃圾、废料",
               "施工废弃料已清运，场地恢复"),
        _minor("04", "施工占道", "1d",
               "未经批准或超出批准范围、期限占用道路施工、堆放材料",
               "占道已清除，或已取得占道许可并按要求设置围挡"),
        _minor("05", "无证掘路", "1d",
               "未取得掘路许可擅自挖掘城市道路",
               "施工已制止，道路已恢复，或已补办掘路许可；已移交执法"),
    ]),
    ("S04", "突发事件", EVENT, [
        _minor("01", "路面塌陷", "4h",
               "道路、人行道路面出现塌陷、空洞、明显下沉",
               "塌陷已回填修复，路面平整；修复前现场已封闭警示", filing="1h",
               dispatch="1h", verification="2h"),
        _minor("02", "自来水管破裂", "4h",
               "供水管道破裂、漏水，路面冒水或积水",
               "漏点已修复，恢复供水，路面积水已清除", filing="1h", dispatch="1h",
               verification="2h"),
        _minor("03", "燃气管道破裂", "2h",
               "燃气管道破裂、泄漏，现场有燃气异味",
               "泄漏已控制并修复，检测无泄漏，警戒已解除", filing="1h", dispatch="1h",
               verification="2h"),
        _minor("04", "下水道堵塞或破损", "1d",
               "排水管道、检查井堵塞，污水外溢，或管道破损",
               "管道疏通或修复，无外溢，排水通畅", filing="1h", dispatch="1h"),
        _minor("05", "热力管道破裂", "4h",
               "热力管道破裂、冒汽、漏水",
               "漏点已修复，供热恢复", filing="1h", dispatch="1h", verification="2h"),
        _minor("06", "道路积水", "4h",
               "降雨后道路积水深度超过 15 厘米或影响通行",
               "积水已排除，道路通行恢复", filing="1h", dispatch="1h", verification="2h"),
        _minor("07", "道路积雪结冰", "8h",
               "主次干道、桥梁、坡道积雪结冰影响通行安全",
               "积雪已清除，结冰路段已撒布融雪剂或防滑料", filing="1h", dispatch="1h",
               verification="2h"),
        _minor("08", "架空线缆损坏", "8h",
               "架空电力、通信线缆断落、低垂或杆线倾倒",
               "线缆已恢复架设或拆除，杆线扶正加固", filing="1h", dispatch="1h",
               verification="2h"),
    ]),
    ("S05", "街面秩序", EVENT, [
        _minor("01", "无照经营游商", "4h",
               "在道路、广场、桥梁、学校和医院周边等公共场所流动摆摊、无照经营",
               "游商已劝离或依法处置，现场无摊点无遗留垃圾"),
        _minor("02", "流浪乞讨", "1d",
               "在公共场所有流浪乞讨人员，或以乞讨方式影响交通和市容",
               "已由救助站或属地引导救助、送返，现场无滞留"),
        _minor("03", "占道废品收购", "1d",
               "在道路、公共场所收购、分拣、堆放废品",
               "占道废品已清理，收购行为已规范到固定场所"),
        _minor("04", "店外经营", "4h",
               "沿街商铺超出门窗、外墙摆卖商品、设置摊点或作业",
               "店外摊点、物品已撤回店内，门前整洁"),
        _minor("05", "机动车乱停放", "2h",
               "机动车在人行道、盲道、消防通道、绿地或禁停路段违规停放",
               "车辆已驶离或已被依法处理，通道畅通"),
        _minor("06", "非机动车乱停放", "4h",
               "共享单车、电动车等非机动车在停放区外乱停、堆积，阻碍通行",
               "车辆已规范停放或清运，通道畅通"),
        _minor("07", "乱堆物料", "1d",
               "在道路、公共场所堆放物料、杂物、设备，影响通行或市容",
               "堆放物已清除，场地整洁"),
        _minor("09", "黑车拉客", "4h",
               "无营运资质车辆在车站、商圈、医院周边招揽乘客",
               "拉客行为已制止，线索已移交交通执法"),
        _minor("10", "露天烧烤", "4h",
               "在道路、广场、居民区等露天场所进行烧烤经营",
               "烧烤摊点已取缔，现场清理干净"),
        _minor("13", "空调室外机低挂", "10d",
               "空调室外机安装高度低于 2 米且朝向人行道，或冷凝水直滴人行道",
               "室外机已移位或抬高至规定高度，冷凝水有组织排放"),
    ]),
    ("S06", "市场监管", EVENT, [
        _minor("01", "无证无照经营", "5d",
               "门店、摊点从事经营活动未取得营业执照或许可证",
               "已办理证照，或经营行为已停止、依法查处"),
        _minor("02", "违规销售活禽", "1d",
               "在禁售区域或非指定场所宰杀、销售活禽",
               "违规活禽交易已停止，现场消毒清理"),
        _minor("03", "未明码标价", "5d",
               "经营者未按规定明码标价、价签不实或价格欺诈",
               "已按规定明码标价，价格违法行为已依法处理"),
        _minor("04", "违规销售烟花爆竹", "4h",
               "无许可或在禁售区域、禁售时段销售烟花爆竹",
               "违规产品已收缴，销售行为已停止", filing="1h", dispatch="1h"),
    ]),
    # --- 综治 ---------------------------------------------------------------------------
    ("Z01", "矛盾纠纷", GOVERNANCE, [
        _minor("01", "婚姻家庭纠纷", "10d",
               "婚姻、赡养、抚养、继承等家庭矛盾，当事人或邻里请求调解，或有激化迹象",
               "调解达成协议并履行，或已引导至诉讼、仲裁等法定途径，回访当事人无激化",
               verification="1d"),
        _minor("02", "邻里纠纷", "10d",
               "相邻关系（通行、采光、排水、噪声、宠物等）引发的矛盾，当事人请求调解",
               "调解达成协议并履行，或已引导至法定途径，回访无激化", verification="1d"),
        _minor("03", "土地山林权属纠纷", "30d",
               "土地、山林、水利等权属或承包经营引发的争议",
               "经调处达成协议或作出处理决定，或已引导至法定途径", verification="1d"),
        _minor("04", "劳资纠纷", "15d",
               "拖欠工资、工伤待遇、劳动合同等引发的纠纷，尤其是农民工欠薪",
               "欠薪已支付或达成支付协议，或已移交劳动监察、仲裁", verification="1d"),
        _minor("05", "物业纠纷", "15d",
               "业主与物业服务企业、业主之间因服务、收费、公共部位使用引发的纠纷",
               "调解达成协议并履行，或已移交住建部门、引导诉讼", verification="1d"),
        _minor("06", "征地拆迁纠纷", "30d",
               "征地、房屋征收补偿安置引发的矛盾，或有聚集上访苗头",
               "补偿安置问题已依法处理或达成协议，无聚集上访苗头", verification="1d"),
        _minor("07", "医疗纠纷", "15d",
               "患者与医疗机构因诊疗引发的纠纷",
               "经医调委调解或依法处理，双方无激化行为", verification="1d"),
    ]),
    ("Z02", "安全隐患", GOVERNANCE, [
        _minor("01", "房屋安全隐患", "3d",
               "房屋墙体开裂、倾斜、地基下沉，或擅自改变承重结构，存在倒塌危险",
               "已鉴定并加固、撤离人员或拆除，危险已消除", filing="1h", dispatch="1h",
               verification="1d"),
        _minor("02", "燃气安全隐患", "8h",
               "燃气管线被占压，燃气具、胶管老化，或餐饮场所违规使用瓶装液化气",
               "隐患已整改并经燃气企业检查确认", filing="1h", dispatch="1h"),
        _minor("03", "用电安全隐患", "2d",
               "私拉乱接电线、线路老化裸露、配电设施无防护",
               "违规线路已拆除或规范敷设，设施防护到位"),
        _minor("04", "地质灾害隐患", "2d",
               "山体滑坡、崩塌、泥石流、地面塌陷迹象，或隐患点监测异常",
               "已设置警示、转移受威胁群众并完成治理或纳入监测", filing="1h",
               dispatch="1h", verification="1d"),
        _minor("05", "道路交通安全隐患", "5d",
               "路口视线遮挡、缺少减速带和警示标志、临水临崖路段无防护",
               "安全设施已增设或修复，隐患已消除"),
        _minor("06", "危险化学品隐患", "1d",
               "违规储存、运输、使用危险化学品，或存放点无防护、无标识",
               "危化品已规范存放或清除，已移交应急管理部门", filing="1h", dispatch="1h"),
        _minor("07", "防溺水隐患", "2d",
               "水塘、河道、水库危险水域缺少警示牌、防护栏或救生设施",
               "警示牌、防护栏、救生设施已设置到位"),
    ]),
    ("Z03", "治安", GOVERNANCE, [
        _minor("01", "可疑人员物品", "4h",
               "发现可疑人员、可疑车辆或不明物品",
               "已报告公安机关核查处置，情况已排除或已移交", filing="1h", dispatch="1h",
               verification="2h"),
        _minor("02", "黄赌毒线索", "1d",
               "发现涉黄、涉赌、涉毒活动线索",
               "线索已移交公安机关并反馈查处情况", filing="1h", dispatch="1h"),
        _minor("03", "电信网络诈骗线索", "1d",
               "发现电信网络诈骗线索，或群众疑似被骗、即将转账",
               "已劝阻或报警，线索已移交公安机关", filing="1h", dispatch="1h"),
        _minor("04", "非法集资线索", "5d",
               "发现以高息回报吸收公众资金、养老投资等非法集资线索",
               "线索已移交处非部门，完成风险提示宣传", verification="1d"),
        _minor("05", "打架斗殴", "2h",
               "公共场所发生打架斗殴或有肢体冲突苗头",
               "冲突已制止，已移交公安机关处理", filing="1h", dispatch="1h",
               verification="2h"),
    ]),
    ("Z04", "消防", GOVERNANCE, [
        _minor("01", "消防通道堵塞", "4h",
               "消防车通道、楼梯间、安全出口被占用、堵塞或锁闭",
               "通道、安全出口畅通，占用物已清除"),
        _minor("02", "电动自行车违规停放充电", "1d",
               "电动自行车在楼道、楼梯间、安全出口停放，或入户、飞线充电",
               "车辆已移出，飞线已拆除，引导至集中充电点"),
        _minor("03", "消防设施损坏缺失", "3d",
               "灭火器过期缺失、消防栓无水、应急照明疏散指示损坏",
               "消防设施已补齐或修复，功能正常"),
        _minor("04", "三合一场所", "5d",
               "住宿与生产、仓储、经营场所设在同一建筑内，未有效防火分隔",
               "住人已清除，或已按规定实施防火分隔", verification="1d"),
        _minor("05", "违规用火", "2h",
               "在林区、禁火区或易燃物附近违规用火、烧荒、燃放",
               "明火已扑灭，违规行为已制止", filing="1h", dispatch="1h",
               verification="2h"),
    ]),
    ("Z05", "环境", GOVERNANCE, [
        _minor("01", "违法排污", "1d",
               "企业、作坊偷排、直排污水、废气，或私设暗管",
               "排污行为已制止，线索已移交生态环境部门", filing="1h", dispatch="1h"),
        _minor("02", "焚烧秸秆", "2h",
               "在禁烧区域露天焚烧秸秆、落叶",
               "明火已扑灭，焚烧行为已制止，现场清理", filing="1h", dispatch="1h",
               verification="2h"),
        _minor("03", "社会生活噪声", "4h",
               "广场舞、商业促销、娱乐场所、装修等噪声扰民",
               "噪声已降低至规定限值，或行为已停止"),
        _minor("04", "黑臭水体", "10d",
               "河道、沟塘水体发黑、发臭，或有漂浮物、排污口",
               "排污口已封堵或整治，水体无黑臭", verification="1d"),
        _minor("05", "非法倾倒固体废物", "1d",
               "在田间、河岸、空地倾倒建筑垃圾、工业固废、生活垃圾",
               "倾倒物已清运，行为人已查明并移交执法"),
    ]),
    ("Z06", "特殊人群", GOVERNANCE, [
        _minor("01", "社区矫正对象异常", "1d",
               "社区矫正对象脱管、漏管、违反监管规定或有重新犯罪苗头",
               "已报告司法所并落实管控措施，去向已掌握", filing="1h", dispatch="1h"),
        _minor("02", "刑满释放人员异常", "1d",
               "刑满释放人员未衔接、去向不明或生活无着有风险",
               "已落实帮教措施，去向、生活情况已掌握"),
        _minor("03", "严重精神障碍患者异常", "4h",
               "严重精神障碍患者病情波动、停药、有肇事肇祸倾向",
               "已联系监护人和精防医生，落实送诊或看护措施", filing="1h",
               dispatch="1h", verification="2h"),
        _minor("04", "吸毒人员异常", "1d",
               "社区戒毒、康复人员脱失或有复吸迹象",
               "已报告禁毒部门并落实管控措施"),
        _minor("05", "困境儿童", "3d",
               "留守、困境儿童无人监护、失学辍学或遭受侵害",
               "已落实监护和救助措施，复学或转介到位"),
        _minor("06", "独居孤寡老人", "2d",
               "独居、孤寡、失能老人生活无着、久未露面或居住环境危险",
               "已上门探视并落实救助、照护措施"),
    ]),
    ("Z07", "食品药品安全", GOVERNANCE, [
        _minor("01", "无证食品小作坊摊贩", "3d",
               "无证生产加工食品的小作坊，或卫生条件明显不达标的食品摊贩",
               "已登记备案或取缔，线索已移交市场监管部门"),
        _minor("02", "过期变质食品", "1d",
               "销售过期、变质、来源不明的食品",
               "问题食品已下架封存，已移交市场监管部门", filing="1h", dispatch="1h"),
        _minor("03", "农村集体聚餐", "1d",
               "农村集体聚餐（50 人以上）未报备，或厨师、场所不符合要求",
               "已报备并指导落实食品安全措施"),
        _minor("04", "非法行医售药", "3d",
               "无资质行医、诊所，或无证销售药品、医疗器械",
               "非法行为已制止，线索已移交卫生健康、药监部门"),
    ]),
]


def default_categories() -> list[dict[str, Any]]:
    """The default tree flattened, majors before their minors: one dict per category."""
    rows: list[dict[str, Any]] = []
    for major_sort, (code, name, standard, minors) in enumerate(DEFAULT_TREE, start=1):
        rows.append({"code": code, "name": name, "level": "major", "parent_code": None,
                     "standard": standard, "filing_condition": "",
                     "closing_condition": "", "time_limits": None, "sort": major_sort})
        for minor_sort, minor in enumerate(minors, start=1):
            rows.append({"code": code + minor["number"], "name": minor["name"],
                         "level": "minor", "parent_code": code, "standard": standard,
                         "filing_condition": minor["filing_condition"],
                         "closing_condition": minor["closing_condition"],
                         "time_limits": minor["time_limits"], "sort": minor_sort})
    return rows


# The table as migration 0006 created it, so this seed keeps working when later
# migrations add columns to the mapped model.
_category = sa.table(
    "category",
    sa.column("id", sa.BigInteger), sa.column("code", sa.String),
    sa.column("name", sa.String), sa.column("parent_id", sa.BigInteger),
    sa.column("level", sa.String), sa.column("standard", sa.String),
    sa.column("filing_condition", sa.Text), sa.column("closing_condition", sa.Text),
    sa.column("time_limits", JSONB(none_as_null=True)), sa.column("sort", sa.Integer),
)


def seed_categories(bind: Any) -> int:
    """Insert the default categories whose codes are missing; returns how many.

    `bind` is a Session or a Connection (migration 0006 passes `op.get_bind()`).
    Idempotent: existing categories, edited or not, are left as they are.
    """
    rows = default_categories()
    existing = dict(bind.execute(sa.select(_category.c.code, _category.c.id)).all())
    inserted = 0
    for level in ("major", "minor"):
        missing = [row for row in rows if row["level"] == level and row["code"] not in existing]
        if not missing:
            continue
        values = [{key: value for key, value in row.items() if key != "parent_code"}
                  | {"parent_id": existing.get(row["parent_code"])} for row in missing]
        bind.execute(sa.insert(_category), values)
        inserted += len(values)
        existing = dict(bind.execute(sa.select(_category.c.code, _category.c.id)).all())
    return inserted
