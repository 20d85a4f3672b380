"""core/units/admin.py: an admin creates, edits and deactivates the units of their scope.

The demo city is the base (its areas and units); each test works in the rolled-back
`session`. County 430202 (荷塘区) is "ours", 430203 (芦淞区) "theirs".
"""

import pytest
from sqlalchemy import text

from core.audit import AuditEvent
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.units import admin, reading
from core.units.service import grants_of

pytestmark = pytest.mark.usefixtures("demo_city")

COUNTY, OTHER_COUNTY, CITY = "430202", "430203", "430200"
OURS, THEIRS, WHOLE_CITY = (Scope.of_areas([COUNTY]), Scope.of_areas([OTHER_COUNTY]),
                            Scope.of_areas([CITY]))


def first_below(session, code: str, level: str) -> str:
    return session.scalar(text("SELECT min(code) FROM area WHERE level = :level "
                               "AND code LIKE :code || '%'"), {"level": level, "code": code})


def new_unit(session, scope=OURS, **fields):
    township = first_below(session, COUNTY, "township")
    values = {"code": "test-team", "name": "测试执法中队", "kind": "squadron",
              "platform": "enforcement", "seat_code": township, "area_codes": [township],
              "department_code": "chengguan"} | fields
    return admin.create_unit(session, actor="test", scope=scope, **values)


def test_a_unit_is_created_with_its_jurisdiction_a_point_in_its_seat_and_an_audit(session):
    unit = new_unit(session)
    view = reading.unit_view(session, unit)
    assert (view["kind"], view["platform"], view["version"]) == ("squadron", "enforcement", 1)
    assert view["area_codes"] == [unit.seat_code] and view["department"] == "城市管理"
    inside = session.scalar(text(
        "SELECT ST_Covers(a.geom, u.location) FROM unit u JOIN area a ON a.code = u.seat_code "
        "WHERE u.id = :id"), {"id": unit.id})
    assert inside
    event = session.query(AuditEvent).filter_by(action="unit.create",
                                                subject_id=str(unit.id)).one()
    assert event.after["area_codes"] == [unit.seat_code] and event.actor == "test"


def test_a_given_location_must_lie_in_the_seat_area(session):
    township = first_below(session, COUNTY, "township")
    lon, lat = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
        "WHERE code = :c) s"), {"c": township}).one()
    unit = new_unit(session, location=(lon, lat))
    assert reading.unit_view(session, unit)["lon"] == pytest.approx(lon)
    with pytest.raises(InvalidInput, match="outside the seat"):
        new_unit(session, code="elsewhere", location=(lon + 5, lat))


def test_a_jurisdiction_of_several_townships(session):
    county = session.scalar(text(
        "SELECT substr(code, 1, 6) FROM area WHERE level = 'township' GROUP BY 1 "
        "HAVING count(*) >= 3 ORDER BY 1 LIMIT 1"))
    townships = list(session.scalars(text(
        "SELECT code FROM area WHERE level = 'township' AND code LIKE :c || '%' "
        "ORDER BY code LIMIT 3"), {"c": county}))
    unit = new_unit(session, scope=Scope.of_areas([county]), seat_code=townships[0],
                    area_codes=list(reversed(townships)))
    assert reading.unit_view(session, unit)["area_codes"] == townships


@pytest.mark.parametrize(("fields", "error"), [
    ({"platform": "weather"}, "unknown platform"),
    ({"kind": "embassy"}, "unknown unit kind"),
    ({"department_code": "ministry_of_magic"}, "no department"),
    ({"area_codes": []}, "at least one area"),
    ({"area_codes": ["430202999"]}, "no such area"),
    ({"area_codes": ["430202", "430202001"]}, "lies inside"),
    ({"code": "bad code!"}, "a unit code"),
    ({"name": "  "}, "needs a name"),
])
def test_bad_input_is_refused_with_the_reason_and_nothing_written(session, fields, error):
    before = session.scalar(text("SELECT count(*) FROM unit"))
    with pytest.raises(InvalidInput, match=error):
        new_unit(session, **fields)
    assert session.scalar(text("SELECT count(*) FROM unit")) == before


def test_a_unit_code_is_unique(session):
    with pytest.raises(Conflict, match="taken"):
        new_unit(session, code="430202-centre")


def test_a_centre_covers_its_seat_exactly_and_an_area_has_one(session):
    village = first_below(session, COUNTY, "village")
    with pytest.raises(InvalidInput, match="a centre's jurisdiction"):
        new_unit(session, kind="centre", platform="grid", seat_code=village,
                 area_codes=[village[:9]])
    with pytest.raises(Conflict, match="has a centre already"):
        new_unit(session, kind="centre", platform="grid", seat_code=village,
                 area_codes=[village])


def test_another_districts_admin_cannot_create_see_edit_or_deactivate_ours(session):
    with pytest.raises(NotFound):
        new_unit(session, scope=THEIRS)
    unit = new_unit(session)
    for call in (lambda: reading.managed_unit(session, scope=THEIRS, unit_id=unit.id),
                 lambda: reading.read_unit(session, scope=THEIRS, unit_id=unit.id),
                 lambda: admin.update_unit(session, actor="t", scope=THEIRS, unit_id=unit.id,
                                           version=1, changes={"name": "夺"}),
                 lambda: admin.deactivate_unit(session, actor="t", scope=THEIRS,
                                               unit_id=unit.id)):
        with pytest.raises(NotFound):
            call()
    views, _ = reading.list_units(session, scope=THEIRS, search="test-team")
    assert views == []
    assert reading.unit_view(session, unit)["name"] == "测试执法中队"


def test_a_jurisdiction_reaching_outside_the_scope_is_not_ours_to_manage(session):
    ours, theirs = first_below(session, COUNTY, "township"), first_below(session, OTHER_COUNTY,
                                                                        "township")
    with pytest.raises(NotFound):
        new_unit(session, area_codes=[ours, theirs])
    unit = new_unit(session, scope=WHOLE_CITY, area_codes=[ours, theirs])
    with pytest.raises(NotFound):
        admin.update_unit(session, actor="t", scope=OURS, unit_id=unit.id, version=1,
                          changes={"name": "改"})
    # Reading is wider: it serves our territory, so the county's consoles see it.
    assert reading.read_unit(session, scope=OURS, unit_id=unit.id).id == unit.id


def test_readers_see_the_units_that_serve_their_territory(session):
    township = first_below(session, COUNTY, "township")
    views, _ = reading.list_units(session, scope=Scope.of_areas([township]), limit=1000)
    codes = {view["code"] for view in views}
    assert {f"{COUNTY}-brigade-chengguan", f"{COUNTY}-centre", "430200-centre",
            f"{township}-market_office"} <= codes
    assert not any(code.startswith(OTHER_COUNTY) for code in codes)


def test_list_filters(session):
    township = first_below(session, COUNTY, "township")
    views, total = reading.list_units(session, scope=WHOLE_CITY, kind="brigade",
                                    department="ecology", limit=1000)
    assert total == 9 and {v["department_code"] for v in views} == {"ecology"}
    views, _ = reading.list_units(session, scope=WHOLE_CITY, serving=township + "001",
                                platform="enforcement", limit=1000)
    assert {v["kind"] for v in views} == {"brigade", "squadron", "enforcement_team",
                                          "department"}
    views, total = reading.list_units(session, scope=WHOLE_CITY, area=township, kind="centre")
    assert total == 1 + session.scalar(text(
        "SELECT count(*) FROM area WHERE level = 'village' AND code LIKE :t || '%'"),
        {"t": township})
    views, _ = reading.list_units(session, scope=WHOLE_CITY, search="荷塘区城市管理")
    assert {v["code"] for v in views} == {f"{COUNTY}-department-chengguan",
                                          f"{COUNTY}-brigade-chengguan"}
    with pytest.raises(InvalidInput):
        reading.list_units(session, scope=WHOLE_CITY, kind="embassy")


def test_an_edit_moves_the_version_and_a_stale_one_gets_409(session):
    unit = new_unit(session)
    township = unit.seat_code
    village = first_below(session, township, "village")
    edited = admin.update_unit(session, actor="t", scope=OURS, unit_id=unit.id, version=1,
                               changes={"area_codes": [village]})
    assert edited.version == 2  # the jurisdiction alone moves it
    assert reading.unit_view(session, edited)["area_codes"] == [village]
    with pytest.raises(Conflict, match="changed meanwhile") as refused:
        admin.update_unit(session, actor="t", scope=OURS, unit_id=unit.id, version=1,
                          changes={"name": "旧版本"})
    assert refused.value.extra["version"] == 2
    assert reading.unit_view(session, unit)["name"] == "测试执法中队"


def test_a_concurrent_edit_between_read_and_write_gets_409(session):
    unit = new_unit(session)
    session.execute(text("UPDATE unit SET version = version + 1 WHERE id = :id"),
                    {"id": unit.id})  # another transaction's commit, as the row now reads
    with pytest.raises(Conflict):
        admin.update_unit(session, actor="t", scope=OURS, unit_id=unit.id, version=1,
                          changes={"name": "晚了"})


def test_a_parent_must_not_make_a_cycle(session):
    brigade = session.scalar(text("SELECT id FROM unit WHERE code = :c"),
                             {"c": f"{COUNTY}-brigade-chengguan"})
    unit = new_unit(session, parent_id=brigade)
    child = new_unit(session, code="test-child", parent_id=unit.id)
    with pytest.raises(InvalidInput, match="cycle"):
        admin.update_unit(session, actor="t", scope=OURS, unit_id=unit.id, version=1,
                          changes={"parent_id": child.id})


def test_deactivation_keeps_children_in_mind_and_takes_the_members_rights(session):
    unit = new_unit(session)
    child = new_unit(session, code="test-child", parent_id=unit.id)
    with pytest.raises(Conflict, match="under"):
        admin.deactivate_unit(session, actor="t", scope=OURS, unit_id=unit.id)
    officer = session.scalar(text("SELECT id FROM app_user "
                                  "WHERE username = 'demo_enforcement_officer'"))
    session.execute(text("INSERT INTO membership (user_id, unit_id, position) "
                         "VALUES (:u, :unit, 'reviewer')"), {"u": officer, "unit": child.id})
    assert child.id in {g.unit_id for g in grants_of(session, user_id=officer)}
    session.info.pop("accounts_changed", None)
    admin.deactivate_unit(session, actor="t", scope=OURS, unit_id=child.id, version=1)
    assert child.id not in {g.unit_id for g in grants_of(session, user_id=officer)}
    assert officer in session.info["accounts_changed"]
    views, _ = reading.list_units(session, scope=OURS, search="test-child")
    assert views == []
    views, _ = reading.list_units(session, scope=OURS, search="test-child",
                                include_inactive=True)
    assert [v["is_active"] for v in views] == [False]
    admin.deactivate_unit(session, actor="t", scope=OURS, unit_id=unit.id)


def test_a_changed_jurisdiction_tells_the_members_accounts(session):
    unit = session.scalar(text("SELECT id FROM unit WHERE code = :c"),
                          {"c": f"{COUNTY}-brigade-ecology"})
    members = set(session.scalars(text(
        "SELECT user_id FROM membership WHERE unit_id = :u AND is_active"), {"u": unit}))
    assert len(members) >= 2
    session.info.pop("accounts_changed", None)
    version = reading.managed_unit(session, scope=OURS, unit_id=unit).version
    admin.update_unit(session, actor="t", scope=OURS, unit_id=unit, version=version,
                      changes={"name": "改名不改权"})
    assert not session.info.get("accounts_changed")
    admin.update_unit(session, actor="t", scope=OURS, unit_id=unit, version=version + 1,
                      changes={"area_codes": [first_below(session, COUNTY, "township")]})
    assert session.info["accounts_changed"] >= members


def test_the_jurisdiction_as_geojson(session):
    unit = session.scalar(text("SELECT id FROM unit WHERE code = :c"),
                          {"c": f"{COUNTY}-brigade-chengguan"})
    collection = reading.jurisdiction_features(session, scope=OURS, unit_id=unit, simplify_m=50)
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [COUNTY]
    assert collection["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    with pytest.raises(NotFound):
        reading.jurisdiction_features(session, scope=THEIRS, unit_id=unit)


def test_known_platforms():
    assert admin.known_platforms() >= {"grid", "enforcement", "market_supervision",
                                       "convenience"}
