"""Fixtures of the services part: a small catalogue in the test's transaction, the demo
city's service points, and principals at their desks."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from convenience.services import catalogue, points
from core.security import Principal
from core.units.service import grants_of
from core.users.enums import Role
from core.users.models import User

SH = ZoneInfo("Asia/Shanghai")
# Monday 7 December 2026, 10:00 in Shanghai: a working week with no holiday in sight.
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=SH)


def item_data(code: str, name: str, *, department: str = "market", levels=("county",),
              legal: int = 20, promised: int = 5, materials=None, **extra) -> dict:
    return {"item_code": f"0103{code}", "impl_code": f"11430200MB0300011E0103{code}",
            "name": name, "item_type": "licence", "department_code": department,
            "levels": list(levels), "legal_basis": "测试依据", "conditions": "测试条件",
            "fee_fen": 0, "legal_days": legal, "promised_days": promised, "visits": 1,
            "online": True, "proxy": True, "notify_commit": False, "commit_check_days": None,
            "materials": materials if materials is not None else [
                {"name": "居民身份证", "trust_level": "A", "is_primary": True,
                 "may_defer": False},
                {"name": "场所平面图", "trust_level": "C", "is_primary": False,
                 "may_defer": True}],
            **extra}


@pytest.fixture
def items(session, demo_city) -> dict:
    """Three items: a county licence (market), a township one (civil affairs is not in
    the core demo, so housing), and one under 告知承诺制."""
    made = {
        "county": catalogue.create_item(session, item_data("0001000", "测试食品经营许可（新办）")),
        "township": catalogue.create_item(session, item_data(
            "0002000", "测试公租房资格审核", department="housing",
            levels=("county", "township"), legal=30, promised=15)),
        "commit": catalogue.create_item(session, item_data(
            "0003000", "测试公共场所卫生许可", department="health", notify_commit=True,
            commit_check_days=10)),
    }
    session.flush()
    return made


@pytest.fixture
def places(session, demo_city) -> dict:
    """The first county's hall, its first township's centre and a village's station."""
    def unit(kind: str):
        return session.execute(text(
            "SELECT id, code, seat_code FROM unit WHERE kind = :kind AND is_active "
            "ORDER BY seat_code LIMIT 1"), {"kind": kind}).one()
    return {"hall": unit("service_hall"), "centre": unit("service_centre"),
            "station": unit("service_station")}


def principal(session, username: str) -> Principal:
    user = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                                "WHERE username = :u"), {"u": username}).one()
    return Principal(user.id, user.username, Role(user.role), user.scope_code,
                     grants_of(session, user_id=user.id))


def new_member(session, *, username: str, role: Role, unit, position: str) -> Principal:
    from core.units.models import Membership

    user = User(username=username, password_hash="!", role=role, scope_code=unit.seat_code)
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, unit_id=unit.id, position=position))
    session.flush()
    return Principal(user.id, username, role, unit.seat_code,
                     grants_of(session, user_id=user.id))


@pytest.fixture
def admin(session, demo_city) -> Principal:
    return principal(session, "demo_admin")


@pytest.fixture
def clerk(session, places) -> Principal:
    """A receiver at the township centre (the comprehensive window)."""
    return new_member(session, username="svc-clerk", role=Role.service_clerk,
                      unit=places["centre"], position="receiver")


@pytest.fixture
def agent(session, places) -> Principal:
    return new_member(session, username="svc-agent", role=Role.proxy_agent,
                      unit=places["station"], position="proxy_agent")


def application_data(item, window, **extra) -> dict:
    return {"item_id": item.id, "intake_unit_id": window.id, "channel": "window",
            "applicant_name": "张三", "applicant_phone": "13800138000", **extra}


@pytest.fixture
def point_items(session, items, places) -> None:
    """Every test point handles every test item (the demo's points lack them)."""
    for place in places.values():
        points.upsert_point(session, place.id, address="测试地址", phone="0731-1234567",
                            opening_hours=points.DEFAULT_HOURS)
        points.set_items(session, place.id, [item.id for item in items.values()])


@pytest.fixture
def finished(session, settings, items, places, clerk, admin):
    """An application taken the Thursday before and finished the same day (its ratings)."""
    from datetime import timedelta

    from convenience.services import applications

    application = applications.intake(session, principal=clerk, settings=settings,
                                      now=MONDAY - timedelta(days=3),
                                      data=application_data(items["county"], places["centre"]))
    for name, data in (("review", {}), ("decide", {"result": "approved"}), ("finish", {})):
        applications.act(session, application, name, principal=admin, settings=settings,
                         now=MONDAY - timedelta(days=3),
                         data={"version": application.version, **data})
    return application
