"""Vector tiles of grid's layers (/tiles/incidents, /tiles/staff): decoded with
mapbox-vector-tile, checked against the rows.

Content tests render through the service on the test's session (it sees the rows the
test writes); the HTTP tests go through the app, whose tiles come from the read pool and
see the committed demo city.
"""

from datetime import UTC, datetime

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from core.scope import EVERYWHERE
from geo.layers import tiles
from geo.layers.areas import AREAS
from grid.layers import INCIDENTS, STAFF
from tests.geo.layers.conftest import features, render, tile_bounds, tile_of
from tests.geo.layers.conftest import tile_url as _url
from tests.grid.layers.conftest import add_incident, add_position

MVT = "application/vnd.mapbox-vector-tile"


# --- out of scope ----------------------------------------------------------------------------

def test_a_tile_beyond_the_township_is_empty_for_it(session, township, admin, outside):
    add_incident(session, outside, deadline="red")
    add_position(session, outside)
    for layer in (AREAS, INCIDENTS, STAFF):
        for z in (9, 14):
            theirs = render(session, layer, township.scope, z, outside.lon, outside.lat)
            assert theirs.data == b"", f"{layer.name} z{z}: out-of-scope features"
            everyone = render(session, layer, admin.scope, z, outside.lon, outside.lat)
            assert features(everyone, layer.name), f"{layer.name} z{z}: the admin sees none"


# --- incidents -------------------------------------------------------------------------------

def test_incident_points_carry_their_properties(session, township, inside, outside):
    ids = {add_incident(session, inside, deadline=colour) for colour in
           ("green", "yellow", "red")}
    stranger = add_incident(session, outside, lon=inside.lon + 1e-5, lat=inside.lat)
    found = features(render(session, INCIDENTS, township.scope, 16, inside.lon, inside.lat),
                     "incidents")
    by_id = {f["properties"]["id"]: f for f in found}
    assert ids <= set(by_id) and stranger not in by_id
    assert all(f["properties"]["grid_code"].startswith(township.principal.scope_code)
               for f in found)
    row = session.execute(text(
        "SELECT i.state, c.code, c.name, i.urgency, i.deadline FROM incident i "
        "JOIN category c ON c.id = i.category_id WHERE i.id = :i"), {"i": max(ids)}).one()
    props = by_id[max(ids)]["properties"]
    assert (props["state"], props["category"], props["category_name"], props["urgency"],
            props["deadline"]) == tuple(row)
    assert datetime.fromisoformat(props["reported_at"]).tzinfo is not None
    assert by_id[max(ids)]["id"] == max(ids)
    assert {by_id[i]["properties"]["deadline"] for i in ids} == {"green", "yellow", "red"}


def test_filters_apply_to_tiles(session, admin, inside):
    red = add_incident(session, inside, deadline="red")
    green = add_incident(session, inside, deadline="green")
    found = features(render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat,
                            filters=(("deadline", "red"),)), "incidents")
    ids = {f["properties"]["id"] for f in found}
    assert red in ids and green not in ids
    assert {f["properties"]["deadline"] for f in found} == {"red"}


def test_filters_apply_to_clusters(session, admin, inside):
    """The clusters join the categories only for a category filter (grid/layers.py)."""
    codes = session.scalars(text("SELECT code FROM category WHERE level = 'minor' "
                                 "ORDER BY code LIMIT 2")).all()
    for code in (codes[0], codes[0], codes[1]):
        add_incident(session, inside, category=code)

    def counted(filters) -> int:
        tile = render(session, INCIDENTS, admin.scope, 10, inside.lon, inside.lat,
                      filters=filters)
        return sum(f["properties"]["count"] for f in features(tile, "incidents"))

    x, y = tile_of(inside.lon, inside.lat, 10)
    west, south, east, north = tile_bounds(10, x, y)
    expected = session.scalar(text(
        "SELECT count(*) FROM incident i JOIN category c ON c.id = i.category_id "
        "WHERE c.code = :c AND i.state = 'reported' AND ST_X(i.geom) >= :w AND "
        "ST_X(i.geom) < :e AND ST_Y(i.geom) >= :s AND ST_Y(i.geom) < :n"),
        {"c": codes[0], "w": west, "e": east, "s": south, "n": north})
    assert counted((("category", codes[0]), ("state", ("reported",)))) == expected >= 2
    assert counted((("category", codes[0]),)) < counted(())


def _counted(session, z, x, y) -> tuple[int, int]:
    west, south, east, north = tile_bounds(z, x, y)
    row = session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE deadline = 'red') FROM incident "
        "WHERE ST_X(geom) >= :w AND ST_X(geom) < :e AND ST_Y(geom) >= :s AND ST_Y(geom) < :n"),
        {"w": west, "e": east, "s": south, "n": north}).one()
    return row[0], row[1]


def _cluster_sums(session, z, x, y) -> tuple[int, int, int]:
    tile = tiles.render(session, layer=INCIDENTS, scope=EVERYWHERE, z=z, x=x, y=y,
                        budget=5000)
    found = features(tile, "incidents")
    assert all(set(f["properties"]) == {"count", "overdue", "warning"} for f in found)
    return (sum(f["properties"]["count"] for f in found),
            sum(f["properties"]["overdue"] for f in found), len(found))


def test_low_zoom_clusters_add_up_to_the_rows(session, demo_city, inside):
    for colour in ("red", "red", "yellow"):
        add_incident(session, inside, deadline=colour)
    x, y = tile_of(inside.lon, inside.lat, 10)
    count, overdue, cells = _cluster_sums(session, 10, x, y)
    assert (count, overdue) == _counted(session, 10, x, y)
    assert count > cells > 1, "clustered: fewer points than incidents"
    # Each incident in exactly one tile: the four children add up to their parent.
    children = [_cluster_sums(session, 11, 2 * x + dx, 2 * y + dy)
                for dx in (0, 1) for dy in (0, 1)]
    assert sum(c[0] for c in children) == count
    assert sum(c[1] for c in children) == overdue


def test_the_cluster_zoom_boundary(session, admin, inside):
    add_incident(session, inside)
    below = features(render(session, INCIDENTS, admin.scope, 11, inside.lon, inside.lat),
                     "incidents")
    above = features(render(session, INCIDENTS, admin.scope, 12, inside.lon, inside.lat),
                     "incidents")
    assert "count" in below[0]["properties"] and "id" in above[0]["properties"]


def test_the_feature_budget_is_kept(session, admin, inside):
    for _ in range(4):
        add_incident(session, inside)
    for z, layer in ((16, INCIDENTS), (8, INCIDENTS), (12, AREAS)):
        tight = render(session, layer, admin.scope, z, inside.lon, inside.lat, budget=2)
        assert len(features(tight, layer.name)) == 2 and tight.truncated, (layer.name, z)
        roomy = render(session, layer, admin.scope, z, inside.lon, inside.lat)
        assert len(features(roomy, layer.name)) > 2 and not roomy.truncated


def test_a_full_tile_keeps_the_overdue_and_the_warned_first(session, admin, inside):
    for _ in range(3):
        add_incident(session, inside)
    add_incident(session, inside, deadline="red")
    add_incident(session, inside, deadline="yellow")
    rank = {"red": 0, "yellow": 1, "green": 2}
    every = [rank[f["properties"]["deadline"]] for f in features(
        render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat), "incidents")]
    tight = render(session, INCIDENTS, admin.scope, 16, inside.lon, inside.lat, budget=2)
    kept = [rank[f["properties"]["deadline"]] for f in features(tight, "incidents")]
    # Whatever else lies in the tile (the demo history), the two kept are the two most
    # urgent of all, and so red or yellow.
    assert sorted(kept) == sorted(every)[:2] and max(kept) <= 1
    assert tight.truncated and len(every) >= 5


# --- staff -------------------------------------------------------------------------------------

def test_staff_positions(session, township, inside, outside):
    recorded = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    worker = add_position(session, inside, accuracy=12.5, recorded_at=recorded)
    add_position(session, outside)
    found = features(render(session, STAFF, township.scope, 16, inside.lon, inside.lat),
                     "staff")
    assert [f["id"] for f in found] == [worker]
    props = found[0]["properties"]
    name = session.scalar(text("SELECT name FROM grid_worker WHERE id = :w"), {"w": worker})
    assert (props["worker_id"], props["name"], props["accuracy_m"]) == (worker, name, 12.5)
    assert datetime.fromisoformat(props["recorded_at"]) == recorded


# --- HTTP ----------------------------------------------------------------------------------------

def test_http_tile_etag_round_trip(anonymous, admin, inside):
    url = _url("incidents", 10, inside.lon, inside.lat)
    first = anonymous.get(url, headers=admin.headers)
    assert first.status_code == 200 and first.headers["content-type"] == MVT
    assert mapbox_vector_tile.decode(first.content)["incidents"]["features"]
    assert first.headers["cache-control"] == "private, max-age=30"
    etag = first.headers["etag"]
    again = anonymous.get(url, headers={**admin.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    stale = anonymous.get(url, headers={**admin.headers, "If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_http_tiles_keep_the_scope_on_the_pool(anonymous, township, admin, outside):
    """The demo history is committed, so the pool's tiles hold it: not for the township."""
    url = _url("incidents", 10, outside.lon, outside.lat)
    assert anonymous.get(url, headers=admin.headers).content
    theirs = anonymous.get(url, headers=township.headers)
    assert theirs.status_code == 200 and theirs.content == b""


@pytest.mark.parametrize(("url", "status"), [
    ("/tiles/areas/3/8/0.mvt", 400),  # x beyond the zoom's 0–7
    ("/tiles/areas/3/0/8.mvt", 400),
    ("/tiles/areas/99/0/0.mvt", 422),
    ("/tiles/areas/-1/0/0.mvt", 422),
    ("/tiles/areas/a/0/0.mvt", 422),
    ("/tiles/rivers/3/0/0.mvt", 404),
    ("/tiles/incidents/12/3335/1721.mvt?state=lost", 400),
    ("/tiles/incidents/12/3335/1721.mvt?level=grid", 400),  # not an incident filter
])
def test_http_bad_tiles(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
