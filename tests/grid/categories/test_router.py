"""/api/v1/categories over HTTP: the tree for readers, edits for admins, errors as 7807."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.audit import AuditEvent
from grid.categories.models import Category
from tests.conftest import bearer

# The tokens name committed accounts, whose scope is an area of the demo city.
pytestmark = pytest.mark.usefixtures("demo_city")

PROBLEM = "application/problem+json"
STEPS = ("filing", "dispatch", "handling", "verification")


def limits(value: str = "1d") -> dict:
    return {u: {s: value for s in STEPS} for u in ("normal", "urgent", "critical")}


def as_role(anonymous: TestClient, settings, role: str) -> TestClient:
    anonymous.headers.update(bearer(settings, role=role, username=f"test-{role}"))
    return anonymous


def test_the_tree(anonymous, settings):
    response = as_role(anonymous, settings, "grid_worker").get("/api/v1/categories")
    assert response.status_code == 200, response.text
    tree = response.json()
    assert [major["code"] for major in tree][:2] == ["B01", "B02"]
    minors = {m["code"]: m for major in tree for m in major["children"]}
    rubbish = minors["S0102"]
    assert rubbish["name"] == "暴露垃圾" and rubbish["level"] == "minor"
    assert rubbish["parent_code"] == "S01" and rubbish["active"] and rubbish["version"] == 1
    assert rubbish["filing_condition"] and rubbish["closing_condition"]
    assert rubbish["time_limits"]["normal"]["handling"] == "1d"
    assert all(m["children"] == [] for m in minors.values())


def test_one_category(client):
    response = client.get("/api/v1/categories/S05")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "街面秩序" and body["level"] == "major" and body["time_limits"] is None
    assert body["children"][0]["code"] == "S0501"
    assert client.get("/api/v1/categories/S0501").json()["name"] == "无照经营游商"


def test_unknown_and_malformed_codes(client):
    response = client.get("/api/v1/categories/Q01")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    response = client.get("/api/v1/categories/not-a-code")
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_admin_creates_and_patches(client, session):
    response = client.post("/api/v1/categories", json={
        "code": "S0190", "name": "乱贴乱画", "parent_code": "S01",
        "filing_condition": "墙面涂写 1 平方米以上", "closing_condition": "已清除",
        "time_limits": limits("2d")})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["standard"] == "GB/T 30428.2 事件" and created["version"] == 1
    response = client.patch("/api/v1/categories/S0190", json={
        "version": 1, "name": "乱涂乱画", "time_limits": limits("1d")})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "乱涂乱画" and response.json()["version"] == 2
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "category", AuditEvent.subject_id == "S0190")
        .order_by(AuditEvent.id)).all()
    assert actions == ["category.create", "category.update"]
    listed = {m["code"]: m for major in client.get("/api/v1/categories").json()
              for m in major["children"]}
    assert listed["S0190"]["name"] == "乱涂乱画"


def test_non_admins_may_read_but_not_edit(anonymous, settings):
    clerk = as_role(anonymous, settings, "county_dispatcher")
    assert clerk.get("/api/v1/categories/S0102").status_code == 200
    response = clerk.patch("/api/v1/categories/S0102", json={"version": 1, "sort": 3})
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    response = clerk.post("/api/v1/categories", json={
        "code": "S0190", "name": "n", "parent_code": "S01", "time_limits": limits()})
    assert response.status_code == 403


def test_no_token_is_401(anonymous):
    assert anonymous.get("/api/v1/categories").status_code == 401


def test_a_stale_version_is_409_and_writes_nothing(client, session):
    assert client.patch("/api/v1/categories/S0104",
                        json={"version": 1, "sort": 5}).status_code == 200
    response = client.patch("/api/v1/categories/S0104", json={
        "version": 1, "name": "路面不洁", "time_limits": limits("9h")})
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM
    assert response.json()["current_version"] == 2
    session.expire_all()
    road = session.scalar(select(Category).where(Category.code == "S0104"))
    assert (road.name, road.sort, road.version) == ("道路不洁", 5, 2)
    assert road.time_limits["normal"]["handling"] == "5h"
    updates = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "category.update", AuditEvent.subject_id == "S0104")).all()
    assert len(updates) == 1


def test_invalid_limits_are_422_problems(client, session):
    bad = [
        {"version": 1, "time_limits": limits("eight hours")},
        {"version": 1, "time_limits": {"normal": limits()["normal"]}},
        {"version": 1, "time_limits": {**limits(), "normal": {"filing": 8}}},
        {"version": 1, "time_limits": None},
        {"version": 1, "time_limits": "8h"},
        {"version": 1, "code": "S0199"},
        {"sort": 1},
    ]
    for body in bad:
        response = client.patch("/api/v1/categories/S0104", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"]
    response = client.post("/api/v1/categories", json={
        "code": "S0190", "name": "n", "parent_code": "S01", "time_limits": limits("0d")})
    assert response.status_code == 422 and "time_limits.normal.filing" in \
        response.json()["detail"]
    response = client.post("/api/v1/categories", json={"code": "S0190", "name": "n",
                                                        "parent_code": "S01"})
    assert response.status_code == 422
    session.expire_all()
    assert session.scalar(select(Category.version).where(Category.code == "S0104")) == 1
    assert session.scalar(select(Category.id).where(Category.code == "S0190")) is None
