"""/api/v1/kpis: the shape of the answers, the subject and period rules, the scope."""

from datetime import datetime, timedelta

from tests.conftest import bearer
from tests.grid.kpis.conftest import CITY_UNIT, SHANGHAI, SINCE, UNTIL, unit_id

PERIOD = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
FIGURES = {"reported", "filed", "closed", "close_rate", "on_time_close_rate", "rework_rate",
           "mean_handling_hours", "valid_report_rate", "on_time_verification_rate", "counts"}


def test_the_figures_of_an_area(client, march):
    response = client.get("/api/v1/kpis", params={"area": march.a.township, **PERIOD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"subject", "period", "figures"}
    assert body["subject"]["kind"] == "area" and body["subject"]["code"] == march.a.township
    assert body["subject"]["name"] and body["subject"]["level"] == "township"
    assert body["period"] == {"since": "2026-03-01T00:00:00+08:00",
                              "until": "2026-04-01T00:00:00+08:00", "days": 31.0,
                              "timezone": "Asia/Shanghai"}
    figures = body["figures"]
    assert set(figures) == FIGURES
    assert (figures["reported"], figures["filed"], figures["closed"]) == (7, 4, 3)
    assert figures["close_rate"] == 0.75 and figures["mean_handling_hours"] == 177.0


def test_the_children_and_the_series(client, march):
    children = client.get("/api/v1/kpis/children", params={"area": march.a.township, **PERIOD})
    assert children.status_code == 200, children.text
    body = children.json()
    assert set(body) == {"subject", "period", "figures", "children"}
    by_code = {child["code"]: child for child in body["children"]}
    assert set(by_code[march.a.village]) == {"code", "name", "level", "figures"}
    assert by_code[march.b.village]["figures"]["filed"] == 1

    series = client.get("/api/v1/kpis/series", params={"area": march.a.township, **PERIOD})
    assert series.status_code == 200, series.text
    days = series.json()["days"]
    assert len(days) == 31 and days[0] == {"date": "2026-03-01", "reported": 1, "filed": 0,
                                           "closed": 1}
    assert sum(day["filed"] for day in days) == 4


def test_a_unit_and_a_worker(client, session, settings, march):
    city_unit = unit_id(session, CITY_UNIT)
    unit = client.get("/api/v1/kpis", params={"unit": city_unit, **PERIOD})
    assert unit.status_code == 200, unit.text
    assert unit.json()["subject"]["kind"] == "unit"
    assert unit.json()["subject"]["unit_id"] == city_unit
    assert unit.json()["figures"]["closed"] == 4
    county = bearer(settings, role="county_dispatcher", scope_code=march.a.county)
    assert client.get("/api/v1/kpis", params={"unit": city_unit, **PERIOD},
                      headers=county).json()["figures"]["closed"] == 3
    worker = client.get("/api/v1/kpis/series", params={"worker": march.a.worker_id, **PERIOD})
    assert worker.status_code == 200, worker.text
    assert sum(day["reported"] for day in worker.json()["days"]) == 4


def test_the_default_period_is_the_last_30_days(client, march):
    body = client.get("/api/v1/kpis", params={"area": march.a.township}).json()
    until = datetime.fromisoformat(body["period"]["until"])
    today = datetime.now(SHANGHAI).date()
    assert until == datetime.combine(today + timedelta(days=1), datetime.min.time(), SHANGHAI)
    assert body["period"]["days"] == 30


def test_outside_the_territory_is_404(client, settings, march):
    county = bearer(settings, role="county_dispatcher", scope_code=march.a.county)
    for path in ("/api/v1/kpis", "/api/v1/kpis/children", "/api/v1/kpis/series"):
        response = client.get(path, params={"area": march.y.county, **PERIOD}, headers=county)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    village = bearer(settings, role="village_staff", scope_code=march.b.village)
    assert client.get("/api/v1/kpis", params={"worker": march.a.worker_id, **PERIOD},
                      headers=village).status_code == 404


def test_bad_requests_are_422_problems(client, march):
    area = {"area": march.a.township}
    for params in (
        {**area, "since": "2026-03-10T00:00:00+08:00", "until": "2026-03-01T00:00:00+08:00"},
        {**area, "since": "2025-01-01", "until": "2026-03-01"},  # 424 days
        {**area, "unit": 1},  # two subjects
        {},  # none
        {"area": "43021x"},
        {**area, "since": "yesterday"},
        {"unit": "城管", "since": "2026-03-01", "until": "2026-04-01", "x": 1},
    ):
        path = "/api/v1/kpis/children" if "x" in params else "/api/v1/kpis"
        params = {k: v for k, v in params.items() if k != "x"}
        response = client.get(path, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


def test_the_roles_without_kpis_are_refused(anonymous, settings, march):
    params = {"area": march.a.village, **PERIOD}
    assert anonymous.get("/api/v1/kpis", params=params).status_code == 401
    worker = bearer(settings, role="grid_worker", scope_code=march.a.village)
    assert anonymous.get("/api/v1/kpis", params=params, headers=worker).status_code == 403


def test_the_definitions_are_in_the_api_description(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/kpis"]["get"]
    for term in ("立案数", "结案数", "结案率", "按期结案率", "返工率", "有效上报率", "按时核查率",
                 "[since, until)"):
        assert term in operation["description"], term
