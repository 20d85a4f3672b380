"""The nearest qualified team (issue §8): distances agree with pyproj's geodesic on the
WGS 84 ellipsoid within 0.5 m and in the same order; only teams on duty, qualified for the
matter, free (unless asked) and not recused are offered; bad input is a 422 with a code."""

from datetime import timedelta

from pyproj import Geod
from sqlalchemy import text

from enforcement.teams import positions
from tests.conftest import bearer
from tests.enforcement.teams.conftest import members_of, place, put_on_duty

GEOD = Geod(ellps="WGS84")
NEAREST = "/api/v1/enforcement/teams/nearest"


def _geodesic(lon, lat, position) -> float:
    _, _, metres = GEOD.inv(lon, lat, *position["coordinates"])
    return metres


def _all_positions(session, ids):
    return dict(session.execute(text(
        "SELECT team_id, ARRAY[ST_X(geom), ST_Y(geom)] FROM enforcement_team_position "
        "WHERE team_id = ANY(:ids)"), {"ids": ids}).all())


def test_nearest_teams_agree_with_pyproj_geodesics(client, session, county_teams):
    points = session.execute(text(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
        "WHERE level = 'township' AND code LIKE '4302%' ORDER BY code LIMIT 4")).all()
    for lon, lat in [*points, (113.17, 27.85)]:
        found = client.get(NEAREST, params={"lon": lon, "lat": lat, "limit": 5}).json()
        items = found["items"]
        assert len(items) == 5
        for item in items:
            assert abs(item["distance_m"] - _geodesic(lon, lat, item["position"])) < 0.5
        distances = [item["distance_m"] for item in items]
        assert distances == sorted(distances)
        # The same five as pyproj's nearest five of every team on duty, in the same order.
        everyone = _all_positions(session, county_teams.ids)
        by_pyproj = sorted(everyone, key=lambda team: GEOD.inv(lon, lat, *everyone[team])[2])
        assert [item["team_id"] for item in items] == by_pyproj[:5]


def test_only_teams_on_duty_and_free_unless_asked(client, session, county_teams):
    seat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM unit "
                                "WHERE id = :id"), {"id": county_teams.off_duty}).one()
    # The off-duty team sits nearest to its own seat, yet is not offered.
    # A newer fix than the fixture's (the newest fix wins).
    place(session, county_teams.off_duty, seat[0], seat[1],
          now=county_teams.now + timedelta(seconds=30))
    positions.refresh(session, now=county_teams.now)
    found = client.get(NEAREST, params={"lon": seat[0], "lat": seat[1]}).json()["items"]
    assert county_teams.off_duty not in [item["team_id"] for item in found]
    put_on_duty(session, [county_teams.off_duty], now=county_teams.now)
    positions.refresh(session, now=county_teams.now)  # as the roster's API and the beat do
    found = client.get(NEAREST, params={"lon": seat[0], "lat": seat[1]}).json()["items"]
    assert found[0]["team_id"] == county_teams.off_duty
    assert found[0]["distance_m"] < 1.0 and found[0]["position_source"] == "members"
    # Busy: left out, unless include_busy.
    team = client.get(f"/api/v1/enforcement/teams/{county_teams.off_duty}").json()
    busy = client.put(f"/api/v1/enforcement/teams/{county_teams.off_duty}/availability",
                      json={"status": "busy", "version": team["status_version"],
                            "subject_type": "enforcement_operation", "subject_id": 1})
    assert busy.status_code == 200, busy.text
    found = client.get(NEAREST, params={"lon": seat[0], "lat": seat[1]}).json()["items"]
    assert county_teams.off_duty not in [item["team_id"] for item in found]
    found = client.get(NEAREST, params={"lon": seat[0], "lat": seat[1],
                                        "include_busy": "true"}).json()["items"]
    assert found[0]["team_id"] == county_teams.off_duty


def _matter(session, code, department):
    session.execute(text("INSERT INTO enforcement_matter (code, name, department_code) "
                         "VALUES (:code, :name, :dept)"),
                    {"code": code, "name": f"测试事项 {code}", "dept": department})


def test_only_teams_qualified_for_the_matter(client, session, county_teams):
    _matter(session, "TEST-MKT-001", "market")
    _matter(session, "TEST-ECO-001", "ecology")
    found = client.get(NEAREST, params={"lon": 113.17, "lat": 27.85, "matter": "TEST-MKT-001",
                                        "limit": 50}).json()
    assert found["department_code"] == "market"
    departments = dict(session.execute(text(
        "SELECT id, department_code FROM unit WHERE id = ANY(:ids)"),
        {"ids": [item["team_id"] for item in found["items"]]}).all())
    assert found["items"] and set(departments.values()) == {"market"}
    # Nobody is qualified for 生态环境's matter until a team is given that one matter.
    eco = client.get(NEAREST, params={"lon": 113.17, "lat": 27.85, "matter": "TEST-ECO-001"})
    assert eco.json()["items"] == []
    team = county_teams.ids[0]
    given = client.put(f"/api/v1/enforcement/teams/{team}/qualifications",
                       json={"departments": ["chengguan"],
                             "matters": ["TEST-ECO-001"]})
    assert given.status_code == 200, given.text
    eco = client.get(NEAREST, params={"lon": 113.17, "lat": 27.85, "matter": "TEST-ECO-001"})
    assert [item["team_id"] for item in eco.json()["items"]] == [team]


def _case_with_party(session, *, id_number: str) -> int:
    unit, area = session.execute(text(
        "SELECT id, seat_code FROM unit WHERE kind = 'enforcement_team' "
        "AND seat_code LIKE '430202%' ORDER BY id LIMIT 1")).one()
    case = session.scalar(text("""
        INSERT INTO enforcement_case (procedure, state, owner_unit_id, owner_code, area_code,
                                      source, title)
        VALUES ('ordinary', 'registered', :unit, :area, :area, 'patrol', '测试案件')
        RETURNING id"""), {"unit": unit, "area": area})
    session.execute(text("INSERT INTO enforcement_party (case_id, kind, name, id_number) "
                         "VALUES (:case, 'citizen', '张三', :id)"),
                    {"case": case, "id": id_number})
    return case


def test_a_team_whose_member_declared_a_conflict_is_recused(client, session, county_teams):
    lon, lat = 113.17, 27.85
    first = client.get(NEAREST, params={"lon": lon, "lat": lat}).json()["items"][0]["team_id"]
    case = _case_with_party(session, id_number="11010519491231002X")
    without = client.get(NEAREST, params={"lon": lon, "lat": lat, "case": case}).json()
    assert without["items"][0]["team_id"] == first and without["recused"] == []
    officer = members_of(session, first)[0]
    session.execute(text("INSERT INTO enforcement_conflict (user_id, party_key, reason) "
                         "VALUES (:user, '11010519491231002X', '近亲属')"), {"user": officer})
    recused = client.get(NEAREST, params={"lon": lon, "lat": lat, "case": case}).json()
    assert recused["recused"] == [first]
    assert first not in [item["team_id"] for item in recused["items"]]


def test_bad_points_and_unknown_matters_are_422_with_a_code(client, county_teams):
    for params in ({"lon": 181, "lat": 27}, {"lon": 113, "lat": -91},
                   {"lon": "nan", "lat": 27}, {"lat": 27}, {"lon": "east", "lat": 27}):
        response = client.get(NEAREST, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "validation_failed"
    unknown = client.get(NEAREST, params={"lon": 113.1, "lat": 27.8, "matter": "NO-SUCH"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_matter"
    missing = client.get(NEAREST, params={"lon": 113.1, "lat": 27.8, "case": 10**12})
    assert missing.status_code == 404 and missing.json()["code"] == "case_not_found"


def test_a_township_sees_only_the_teams_of_its_territory(client, session, settings,
                                                         county_teams):
    township = session.scalar(text("SELECT seat_code FROM unit WHERE id = :id"),
                              {"id": county_teams.ids[0]})
    headers = bearer(settings, role="township_staff", scope_code=township[:9])
    found = client.get(NEAREST, params={"lon": 113.17, "lat": 27.85, "limit": 50},
                       headers=headers).json()["items"]
    seats = session.execute(text(
        "SELECT u.id FROM unit u WHERE u.id = ANY(:ids) AND (u.seat_code LIKE :t || '%' "
        "OR EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = u.id "
        "AND ua.area_code LIKE :t || '%'))"),
        {"ids": county_teams.ids, "t": township[:9]}).scalars().all()
    assert found and {item["team_id"] for item in found} == set(seats)


def test_stale_fixes_fall_back_to_the_seat(client, session, county_teams):
    team = county_teams.ids[0]
    session.execute(text("UPDATE staff_position SET recorded_at = :old "
                         "WHERE user_id = ANY(:users)"),
                    {"old": county_teams.now - timedelta(hours=3),
                     "users": members_of(session, team)})
    positions.refresh(session, now=county_teams.now)
    shown = client.get(f"/api/v1/enforcement/teams/{team}").json()
    seat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM unit "
                                "WHERE id = :id"), {"id": team}).one()
    assert shown["position_source"] == "seat"
    assert shown["position"]["coordinates"] == [seat[0], seat[1]]


def test_random_points_with_a_matter_match_brute_force_geodesics(client, session,
                                                                 county_teams):
    """The two index walks (planar KNN, then a spheroid radius) miss no team: 25 seeded
    random points of the city, the nearest five market-qualified teams, against pyproj
    over every such team."""
    import random

    _matter(session, "TEST-MKT-002", "market")
    market = list(session.scalars(text(
        "SELECT id FROM unit WHERE id = ANY(:ids) AND department_code = 'market'"),
        {"ids": county_teams.ids}))
    everyone = _all_positions(session, market)
    box = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               "(SELECT ST_Extent(geom) e FROM area WHERE code = '430200') x"
                               )).one()
    rng = random.Random(13)
    for _ in range(25):
        lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        items = client.get(NEAREST, params={"lon": lon, "lat": lat, "matter": "TEST-MKT-002",
                                            "limit": 5}).json()["items"]
        by_pyproj = sorted(everyone, key=lambda t: GEOD.inv(lon, lat, *everyone[t])[2])
        assert [item["team_id"] for item in items] == by_pyproj[:5]
        for item in items:
            assert abs(item["distance_m"] - _geodesic(lon, lat, item["position"])) < 0.5
