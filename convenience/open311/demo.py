"""Demo data of the 12345 part: a 派单目录 for every county of the demo city (matters to the
county's departments, with the grid 小类 an order about a place becomes) and a few orders
in several states, made through the same functions as the live API."""

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from convenience.open311 import workorders
from convenience.open311.models import DispatchEntry, WorkOrder
from core.codes import subtree_range
from core.security import Principal
from core.users.enums import Role
from core.workflow import runner

# matter code → (事项, department code of the unit, a 小类 name it becomes on the map, 依据)
MATTERS = {
    "CG01": ("占道经营", "chengguan", "占道废品收购", "城市管理综合执法职责清单"),
    "CG02": ("暴露垃圾、垃圾清运不及时", "chengguan", "暴露垃圾", "城市市容和环境卫生管理条例"),
    "CG03": ("井盖缺失破损", "chengguan", "无主井盖", "城市道路管理条例"),
    "ZJ01": ("物业服务纠纷", "housing", "物业纠纷", "物业管理条例"),
    "HB01": ("社会生活噪声扰民", "ecology", "社会生活噪声", "噪声污染防治法"),
    "SC01": ("食品安全投诉", "market", "过期变质食品", "食品安全法"),
    "WS01": ("医疗卫生服务", "health", None, "基本医疗卫生与健康促进法"),
    "ZW01": ("政务服务咨询投诉", "government_services", None, "安阳市政务服务条例"),
}
DESCRIPTIONS = {"CG01": "小区门口早晚有流动摊贩占道经营，影响通行",
                "CG02": "路边垃圾两天未清运，气味很大", "CG03": "人行道上井盖缺失，夜间危险",
                "ZJ01": "物业公司长期不维修电梯", "HB01": "楼下商铺晚上十点后音响很吵",
                "SC01": "超市出售过期牛奶", "WS01": "社区卫生服务中心周末不开门",
                "ZW01": "办理居住证需要多次跑"}


def load_demo(session: Session, *, city_code: str, seed: int = 0,
              settings: Any = None, **_options: Any) -> dict[str, int]:
    """The 派单目录 of every county of the city and a few orders per county."""
    counties = session.execute(text(
        "SELECT code FROM area WHERE level = 'county' AND code >= :low AND code < :high "
        "ORDER BY code"), subtree_range(city_code)).scalars().all()
    minors = dict(session.execute(text(
        "SELECT name, code FROM category WHERE level = 'minor' AND active")).all())
    entries = orders = 0
    rng = random.Random(seed)
    for county in counties:
        units = dict(session.execute(text(
            "SELECT department_code, min(id) FROM unit WHERE kind = 'department' "
            "AND is_active AND seat_code = :county GROUP BY department_code"),
            {"county": county}).all())
        for code, (matter, department, minor, basis) in MATTERS.items():
            if department not in units:
                continue
            session.add(DispatchEntry(matter_code=code, matter=matter, area_code=county,
                                      unit_id=units[department], basis=basis,
                                      incident_service_code=minors.get(minor)))
            entries += 1
        session.flush()
        orders += _orders(session, county=county, rng=rng, settings=settings)
    return {"catalogue": entries, "work_orders": orders}


def _orders(session: Session, *, county: str, rng: random.Random, settings: Any) -> int:
    """Three orders: one waiting for its dispatch, two dispatched by the 派单目录."""
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    operator = Principal(0, "demo_12345", Role.county_dispatcher, county)
    now = runner.now_utc()
    made = 0
    for k, code in enumerate(rng.sample(sorted(MATTERS), 3)):
        when = now - timedelta(hours=rng.randint(2, 72))
        order = workorders.register(
            session, principal_name=operator.username, owner_code=county, channel="phone",
            caller_phone=f"138{rng.randint(0, 99_999_999):08d}", caller_name="",
            description=DESCRIPTIONS[code], matter_code=code, settings=settings, now=when)
        made += 1
        if k and workorders.dispatch_target(session, order) is not None:
            workorders.act(session, order_id=order.id, name="dispatch",
                           data={"version": order.version}, principal=operator,
                           settings=settings, now=when + timedelta(minutes=20))
    return made


def remove_demo(session: Session, *, city_code: str, **_options: Any) -> None:
    """The demo city's orders (and the kernel's rows about them) and its 派单目录."""
    ids = session.scalars(select(WorkOrder.id).where(
        WorkOrder.owner_code >= subtree_range(city_code)["low"],
        WorkOrder.owner_code < subtree_range(city_code)["high"])).all()
    if ids:
        for table in ("case_clock", "timeline_event", "handoff", "attachment"):
            session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'work_order' "
                                 "AND subject_id = ANY(:ids)"), {"ids": list(ids)})
        session.execute(text("DELETE FROM case_link WHERE (a_type = 'work_order' AND a_id = "
                             "ANY(:ids)) OR (b_type = 'work_order' AND b_id = ANY(:ids))"),
                        {"ids": list(ids)})
        session.execute(text("UPDATE open311_request SET subject_type = NULL, "
                             "subject_id = NULL WHERE subject_type = 'work_order' "
                             "AND subject_id = ANY(:ids)"), {"ids": list(ids)})
        session.execute(delete(WorkOrder).where(WorkOrder.id.in_(ids)))
    session.execute(delete(DispatchEntry).where(
        DispatchEntry.area_code >= subtree_range(city_code)["low"],
        DispatchEntry.area_code < subtree_range(city_code)["high"]))
