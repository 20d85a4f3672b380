"""The /api/v1/areas endpoints, health checks and the problem+json contract."""

import pytest

from core.settings import Settings

PROBLEM = "application/problem+json"


def test_list_filters_by_level_and_parent(client, demo_city):
    body = client.get("/api/v1/areas", params={"level": "county"}).json()
    assert body["total"] == 9 and {a["parent_code"] for a in body["items"]} == {"430200"}
    body = client.get("/api/v1/areas", params={"level": "township", "parent": "430211"}).json()
    assert body["total"] > 0
    assert all(a["code"].startswith("430211") and a["level"] == "township" for a in body["items"])


def test_list_of_a_city_subtree_uses_the_four_digit_prefix(client, demo_city):
    body = client.get("/api/v1/areas", params={"parent": "430200", "level": "grid",
                                                "limit": 1}).json()
    assert body["total"] == 2225 and len(body["items"]) == 1


def test_list_pages(client, demo_city):
    first = client.get("/api/v1/areas", params={"level": "village", "limit": 10}).json()
    second = client.get("/api/v1/areas", params={"level": "village", "limit": 10,
                                                 "offset": 10}).json()
    assert first["total"] == second["total"] == 1370
    assert not {a["code"] for a in first["items"]} & {a["code"] for a in second["items"]}


def test_one_area_is_a_geojson_feature(client, demo_city):
    response = client.get("/api/v1/areas/430211")
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == "430211"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["name"] == "天元区"
    assert feature["properties"]["area_m2"] > 100e6


def test_children_are_a_feature_collection_that_sums_up(client, demo_city):
    collection = client.get("/api/v1/areas/430211/children").json()
    parent = client.get("/api/v1/areas/430211").json()["properties"]
    assert collection["type"] == "FeatureCollection"
    children = collection["features"]
    assert children and all(f["properties"]["parent_code"] == "430211" for f in children)
    assert sum(f["properties"]["area_m2"] for f in children) == pytest.approx(
        parent["area_m2"], rel=1e-6)


def test_descendants_at_a_level(client, demo_city):
    collection = client.get("/api/v1/areas/430202/descendants",
                            params={"level": "grid", "simplify": 10}).json()
    assert collection["features"]
    assert all(f["properties"]["level"] == "grid" and f["id"].startswith("430202")
               for f in collection["features"])
    upward = client.get("/api/v1/areas/430202001/descendants", params={"level": "county"})
    assert upward.status_code == 422 and upward.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(("url", "status"), [
    ("/api/v1/areas/999999", 404),
    ("/api/v1/areas/999999/children", 404),
    ("/api/v1/areas/43x", 422),
    ("/api/v1/areas?level=planet", 422),
    ("/api/v1/areas?limit=0", 422),
    ("/api/v1/nothing-here", 404),
])
def test_errors_are_problem_json(client, demo_city, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "database": "ok", "broker": "ok"}


def test_not_ready_when_the_broker_is_down(settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    broken = Settings(database_url=settings.database_url, redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(broken)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["broker"] == "down" and response.json()["database"] == "ok"


def test_openapi_describes_the_area_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/areas", "/api/v1/areas/locate", "/api/v1/areas/{code}",
            "/api/v1/areas/{code}/children"} <= set(paths)
    assert client.get("/docs").status_code == 200
