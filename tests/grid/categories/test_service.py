"""The category services: resolving a 小类 and its limits, creating and editing."""

import pytest
from sqlalchemy import func, select, text

from core.audit import AuditEvent
from core.errors import Conflict, InvalidInput, NotFound
from core.workflow.durations import Duration, Unit
from grid.categories import service
from grid.categories.models import Category
from grid.incidents.enums import Step, Urgency


def limits(value: str = "1d") -> dict:
    return {str(u): {str(s): value for s in Step} for u in Urgency}


def audit_rows(session, action: str, code: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.subject_id == code).order_by(AuditEvent.id)))


def test_get_minor_and_time_limit(session):
    rubbish = service.get_minor(session, code="S0102")
    assert rubbish.name == "暴露垃圾"
    assert service.time_limit(rubbish, urgency=Urgency.normal, step=Step.handling) == \
        Duration(1, Unit.days)
    assert service.time_limit(rubbish, urgency="critical", step="handling") == \
        Duration(2, Unit.hours)
    road = service.get_minor(session, code="S0104")
    assert str(service.time_limit(road, urgency="normal", step="handling")) == "5h"


@pytest.mark.parametrize("code", ["S9999", "S01", "", "s0102", "X0101"])
def test_get_minor_refuses_what_is_not_a_minor(session, code):
    with pytest.raises(InvalidInput, match="unknown category"):
        service.get_minor(session, code=code)


def test_get_minor_refuses_inactive_minors_and_minors_of_inactive_majors(session):
    service.update_category(session, code="S0102", data={"active": False}, version=1,
                            actor="t")
    with pytest.raises(InvalidInput, match="unknown category"):
        service.get_minor(session, code="S0102")
    service.update_category(session, code="S05", data={"active": False}, version=1, actor="t")
    with pytest.raises(InvalidInput, match="unknown category"):
        service.get_minor(session, code="S0501")
    tree = service.category_tree(session)
    assert "S05" not in [major.code for major in tree]
    assert "S0102" not in [m.code for major in tree for m in major.children]
    everything = service.category_tree(session, include_inactive=True)
    assert "S05" in [major.code for major in everything]


def test_time_limit_of_a_major_or_an_unknown_step_is_invalid(session):
    with pytest.raises(InvalidInput):
        service.time_limit(service.get_category(session, code="S01"), urgency="normal",
                           step="handling")
    with pytest.raises(InvalidInput):
        service.time_limit(service.get_minor(session, code="S0102"), urgency="soon",
                           step="handling")


def test_get_category_not_found(session):
    with pytest.raises(NotFound):
        service.get_category(session, code="Q01")


def test_create_a_major_and_a_minor_audited(session):
    major = service.create_category(session, data={"code": "X01", "name": "本地扩展",
                                                   "standard": "本地扩展"}, actor="alice")
    minor = service.create_category(session, data={
        "code": "X0101", "name": "共享单车淤积", "parent_code": "X01",
        "filing_condition": "共享单车堆积 20 辆以上", "closing_condition": "已清运",
        "time_limits": limits(" 8h ")}, actor="alice")
    assert major.level == "major" and minor.level == "minor" and minor.parent is major
    assert minor.standard == "本地扩展" and minor.version == 1
    assert minor.time_limits["normal"]["handling"] == "8h"  # written back in plain form
    assert service.get_minor(session, code="X0101") is minor
    [event] = audit_rows(session, "category.create", "X0101")
    assert event.actor == "alice" and event.after["parent_code"] == "X01"


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "S0102", "name": "重复", "parent_code": "S01", "time_limits": limits()},
     "taken"),
    ({"code": "S0190", "name": "暴露垃圾", "parent_code": "S01", "time_limits": limits()},
     "taken"),
])
def test_create_conflicts(session, data, message):
    with pytest.raises(Conflict, match=message):
        service.create_category(session, data=data, actor="t")


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "S0190", "name": "n", "parent_code": "S01"}, "needs time_limits"),
    ({"code": "S0190", "name": "n", "parent_code": "S0102", "time_limits": limits()},
     "parent_code"),
    ({"code": "S0290", "name": "n", "parent_code": "S01", "time_limits": limits()},
     "大类's code"),
    ({"code": "X01", "name": "n", "time_limits": limits()}, "大类 has no time limits"),
    ({"code": "X0101", "name": "n"}, "大类 code"),
    ({"code": "S0190", "name": "n", "parent_code": "Q01", "time_limits": limits()},
     "no 大类 Q01"),
    ({"code": "S0190", "name": "n", "parent_code": "S01", "time_limits": limits("0h")},
     "time_limits.normal.filing"),
    ({"code": "S0190", "name": "n", "parent_code": "S01", "time_limits": limits("2w")},
     "positive whole number"),
    ({"code": "S0190", "name": "n", "parent_code": "S01",
      "time_limits": {"normal": limits()["normal"]}}, "missing urgent, critical"),
    ({"code": "S0190", "name": "n", "parent_code": "S01",
      "time_limits": {**limits(), "later": {}}}, "unknown later"),
    ({"code": "S0190", "name": "n", "parent_code": "S01",
      "time_limits": {u: {"filing": "1h"} for u in limits()}}, "missing dispatch"),
])
def test_create_refuses_invalid_input(session, data, message):
    count = session.scalar(select(func.count()).select_from(Category))
    with pytest.raises(InvalidInput, match=message):
        service.create_category(session, data=data, actor="t")
    assert session.scalar(select(func.count()).select_from(Category)) == count


def test_update_bumps_the_version_and_is_audited(session):
    road = service.update_category(session, code="S0104", version=1, actor="bob", data={
        "time_limits": limits("3h"), "closing_condition": "路面干净"})
    assert road.version == 2 and road.time_limits["urgent"]["verification"] == "3h"
    [event] = audit_rows(session, "category.update", "S0104")
    assert event.actor == "bob"
    assert event.before["time_limits"]["normal"]["handling"] == "5h"
    assert event.after["closing_condition"] == "路面干净"


def test_a_stale_version_is_a_conflict_and_writes_nothing(session):
    service.update_category(session, code="S0104", data={"sort": 7}, version=1, actor="t")
    with pytest.raises(Conflict, match="version 2, not 1") as caught:
        service.update_category(session, code="S0104", data={"name": "改名"}, version=1,
                                actor="t")
    assert caught.value.extra == {"current_version": 2}
    session.expire_all()
    road = service.get_category(session, code="S0104")
    assert (road.name, road.version) == ("道路不洁", 2)
    assert len(audit_rows(session, "category.update", "S0104")) == 1


def test_update_refuses_limits_on_a_major_and_changes_of_code(session):
    with pytest.raises(InvalidInput, match="大类"):
        service.update_category(session, code="S01", data={"time_limits": limits()},
                                version=1, actor="t")
    with pytest.raises(InvalidInput, match="code"):
        service.update_category(session, code="S0104", data={"code": "S0199"}, version=1,
                                actor="t")
    with pytest.raises(InvalidInput, match="cannot be null"):
        service.update_category(session, code="S0104", data={"time_limits": None},
                                version=1, actor="t")


def test_an_update_that_changes_nothing_writes_nothing(session):
    road = service.update_category(session, code="S0104", data={"name": "道路不洁"},
                                   version=1, actor="t")
    assert road.version == 1 and not audit_rows(session, "category.update", "S0104")


def _minor_in_sql(session, code: str) -> Category:
    """`get_minor`'s rule as the report's placing statement asks it."""
    value = session.scalar(text(f"SELECT {service.ACTIVE_MINOR_JSON_SQL}"),
                           {"category_code": code})
    return service.minor_of(value, code=code)


def test_the_report_statements_minor_follows_get_minors_rule(session):
    """The report reads its 小类 inside its placing statement (grid/incidents/service.py):
    the same answer as `get_minor` for an active 小类, and the same 422 otherwise."""
    found, expected = _minor_in_sql(session, "S0102"), service.get_minor(session, code="S0102")
    assert (found.id, found.code, found.name, found.standard, found.time_limits) == (
        expected.id, expected.code, expected.name, expected.standard, expected.time_limits)
    assert service.time_limit(found, urgency="critical", step="handling") == \
        Duration(2, Unit.hours)
    for code in ["S9999", "S01", "", "X0101"]:
        with pytest.raises(InvalidInput, match="unknown category"):
            _minor_in_sql(session, code)
    service.update_category(session, code="S0102", data={"active": False}, version=1,
                            actor="t")
    service.update_category(session, code="S05", data={"active": False}, version=1, actor="t")
    for code in ["S0102", "S0501"]:
        with pytest.raises(InvalidInput, match="unknown category"):
            _minor_in_sql(session, code)
