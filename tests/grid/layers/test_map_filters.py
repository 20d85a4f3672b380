"""The map's filters on the incidents layer (issue 12 §6): several categories at once (a
大类 selects its 小类; two 大类 of one name told apart by code) and several deadline
colours, the same in tiles, clusters and the GeoJSON pages; a bad code is a 400."""

from sqlalchemy import text

from geo.layers.params import given_filters, layer_filters
from grid.layers import INCIDENTS
from tests.geo.layers.conftest import features, render
from tests.grid.layers.conftest import add_incident
from tests.grid.layers.test_features import _bbox_around


def _two_majors(session) -> list[tuple[str, str]]:
    """(大类, one of its 小类) of two different 大类."""
    rows = session.execute(text(
        "SELECT DISTINCT ON (p.code) p.code AS parent_code, c.code FROM category c "
        "JOIN category p ON p.id = c.parent_id WHERE c.level = 'minor' "
        "ORDER BY p.code, c.code LIMIT 3")).all()
    return [(row.parent_code, row.code) for row in rows]


def test_the_query_gathers_several_categories_and_colours():
    given = given_filters({"category": ["S01,B03", "S0102"], "deadline": ["red,yellow"]},
                          ["category", "deadline"], INCIDENTS)
    assert layer_filters(INCIDENTS, given) == (
        ("category", ("S01", "B03", "S0102")), ("deadline", ("red", "yellow")))


def test_several_categories_in_a_tile_and_its_clusters(session, admin, inside):
    (major_a, minor_a), (major_b, minor_b), (_, minor_c) = _two_majors(session)
    a = add_incident(session, inside, category=minor_a)
    b = add_incident(session, inside, category=minor_b)
    c = add_incident(session, inside, category=minor_c)
    chosen = (("category", (major_a, minor_b)),)
    found = {f["properties"]["id"] for f in features(
        render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat, filters=chosen),
        "incidents")}
    assert {a, b} <= found and c not in found
    # One code alone, as a direct call passes it, still selects its subtree.
    alone = {f["properties"]["id"] for f in features(
        render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat,
               filters=(("category", major_a),)), "incidents")}
    assert a in alone and b not in alone

    def counted(filters) -> int:
        tile = render(session, INCIDENTS, admin.scope, 10, inside.lon, inside.lat,
                      filters=filters)
        return sum(f["properties"]["count"] for f in features(tile, "incidents"))
    both = counted(chosen)
    assert counted((("category", (major_a,)),)) + counted((("category", (minor_b,)),)) == both
    assert both < counted(())


def test_several_colours_in_a_tile(session, admin, inside):
    red = add_incident(session, inside, deadline="red")
    yellow = add_incident(session, inside, deadline="yellow")
    green = add_incident(session, inside, deadline="green")
    found = {f["properties"]["id"] for f in features(
        render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat,
               filters=(("deadline", ("red", "yellow")),)), "incidents")}
    assert {red, yellow} <= found and green not in found


def test_the_pages_take_several_categories_and_refuse_a_bad_code(client, session, inside):
    (major_a, minor_a), (major_b, minor_b), (_, minor_c) = _two_majors(session)
    a = add_incident(session, inside, category=minor_a)
    b = add_incident(session, inside, category=minor_b)
    c = add_incident(session, inside, category=minor_c)
    params = {"bbox": _bbox_around(inside, 0.001), "limit": 1000}
    found = {f["id"] for f in client.get("/api/v1/layers/incidents/features", params={
        **params, "category": f"{major_a},{minor_b}"}).json()["features"]}
    assert {a, b} <= found and c not in found
    bad = client.get("/api/v1/layers/incidents/features",
                     params={**params, "category": f"{major_a},S0%"})
    assert bad.status_code == 400 and bad.json()["code"]
    colours = client.get("/api/v1/layers/incidents/features",
                         params={**params, "deadline": "red,purple"})
    assert colours.status_code == 400
