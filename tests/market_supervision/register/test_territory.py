"""Territory checks on what a request names (issue 14 §2): the units of a plan and of a
task (组织部门, 实施部门) are seated in the caller's territory, and the person of a declared
conflict (回避) is of it; otherwise a problem+json with a stable code and nothing written."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from core.units.models import Membership, Unit, UnitArea
from core.users.enums import Role
from market_supervision.register.models import InspectorConflict, Plan, Task
from tests.conftest import bearer
from tests.factories import make_user, unique


@pytest.fixture
def elsewhere(session, register) -> str:
    """A county of the city that is not the register's."""
    return session.scalar(text(
        "SELECT code FROM area WHERE level = 'county' AND code LIKE '4302%' AND code <> :c "
        "ORDER BY code LIMIT 1"), {"c": register.county})


def _office_at(session, seat: str) -> Unit:
    office = Unit(code=unique("test-market_office"), name="外辖区市场监管所",
                  kind="market_office", platform="market_supervision",
                  department_code="market", seat_code=seat)
    session.add(office)
    session.flush()
    session.add(UnitArea(unit_id=office.id, area_code=seat))
    session.flush()
    return office


def _headers(settings, register):
    return bearer(settings, role="market_inspector", scope_code=register.county)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _task_body(register, *, organising: int, implementing: list[int]) -> dict:
    return {"plan_id": register.task.plan_id, "code": unique("T"), "name": "跨辖区任务",
            "mode": "undirected", "area_code": register.township,
            "starts_on": date.today().isoformat(),
            "ends_on": (date.today() + timedelta(days=30)).isoformat(),
            "organising_unit_id": organising, "implementing_unit_ids": implementing,
            "items": [register.items[0].code]}


def test_a_plan_of_another_territorys_unit_is_refused(client, session, settings, register,
                                                      elsewhere):
    foreign = _office_at(session, elsewhere)
    before = _count(session, Plan)
    answer = client.post("/api/v1/market/plans", headers=_headers(settings, register), json={
        "year": date.today().year, "name": "越界计划", "unit_id": foreign.id,
        "area_code": register.township})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (answer.json()["code"], answer.json()["unit_id"]) == ("unit_outside_scope",
                                                                 foreign.id)
    assert _count(session, Plan) == before


@pytest.mark.parametrize("role", ["organising", "implementing"])
def test_a_task_naming_another_territorys_unit_is_refused(client, session, settings, register,
                                                          elsewhere, role):
    foreign = _office_at(session, elsewhere).id
    own = register.office.id
    body = (_task_body(register, organising=foreign, implementing=[own]) if role == "organising"
            else _task_body(register, organising=own, implementing=[own, foreign]))
    before = _count(session, Task)
    answer = client.post("/api/v1/market/tasks", headers=_headers(settings, register), json=body)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["unit_id"]) == ("unit_outside_scope", foreign)
    assert _count(session, Task) == before


def test_a_joint_task_of_the_territorys_units_is_accepted(client, session, settings, register):
    """A county bureau (seated at the county) organises, the township office implements."""
    bureau = _office_at(session, register.county)
    answer = client.post("/api/v1/market/tasks", headers=_headers(settings, register),
                         json=_task_body(register, organising=bureau.id,
                                         implementing=[register.office.id]))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["organising_unit_ids"], body["implementing_unit_ids"]) == (
        [bureau.id], [register.office.id])


def _conflict(client, settings, register, user_id: int):
    return client.post("/api/v1/market/conflicts", headers=_headers(settings, register), json={
        "user_id": user_id, "entity_id": register.entity_ids[0], "reason": "近亲属任法定代表人"})


def test_a_conflict_of_another_territorys_person_is_not_found(client, session, settings,
                                                              register, elsewhere):
    stranger = make_user(session, role=Role.market_inspector, scope_code=elsewhere)
    before = _count(session, InspectorConflict)
    answer = _conflict(client, settings, register, stranger.id)
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "user_not_found"
    assert _count(session, InspectorConflict) == before
    # an unknown account answers the same: nothing tells one from the other
    assert _conflict(client, settings, register, 987_654_321).json()["code"] == "user_not_found"


def test_a_conflict_of_a_member_of_the_territorys_unit_is_accepted(client, session, settings,
                                                                    register, elsewhere):
    """Scoped elsewhere, but an inspector of an office of this territory: drawable here."""
    lent = make_user(session, role=Role.market_inspector, scope_code=elsewhere)
    session.add(Membership(user_id=lent.id, unit_id=register.office.id, position="inspector"))
    session.flush()
    answer = _conflict(client, settings, register, lent.id)
    assert answer.status_code == 201, answer.text
    assert answer.json()["user_id"] == lent.id


def test_a_conflict_of_the_territorys_inspector_is_accepted(client, settings, register):
    answer = _conflict(client, settings, register, register.inspectors[0].user_id)
    assert answer.status_code == 201, answer.text
