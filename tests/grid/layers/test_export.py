"""Export grid's layers (incidents, staff) as GeoJSON, GeoPackage or a zipped Shapefile:
read back with pyogrio and compared to the rows, inside the caller's territory only."""

import pyogrio
import pytest
from sqlalchemy import text

from tests.geo.layers.conftest import download
from tests.grid.layers.conftest import add_incident, add_position


@pytest.mark.parametrize("file_format", ["geojson", "gpkg", "shp"])
def test_incidents_export_matches_the_rows(anonymous, session, township, inside, outside,
                                           tmp_path, file_format):
    ours, theirs = add_incident(session, inside, deadline="red"), add_incident(session, outside)
    path, _ = download(anonymous, "incidents", file_format, township.headers, tmp_path)
    frame = pyogrio.read_dataframe(path)
    rows = session.execute(text(
        "SELECT i.id, i.state, c.name, ST_X(i.geom) AS x, ST_Y(i.geom) AS y FROM incident i "
        "JOIN category c ON c.id = i.category_id "
        "WHERE i.grid_code >= :t AND i.grid_code < :t || ':' ORDER BY i.id"),
        {"t": township.principal.scope_code}).all()
    assert sorted(frame["id"].astype(int)) == [row.id for row in rows]
    assert ours in set(frame["id"]) and theirs not in set(frame["id"])
    name = "cat_name" if file_format == "shp" else "category_name"
    got = frame.set_index(frame["id"].astype(int))
    for row in rows[:20]:
        assert got.loc[row.id, name] == row.name  # Chinese text survives the round trip
        assert got.loc[row.id, "state"] == row.state
        point = got.loc[row.id, "geometry"]
        assert abs(point.x - row.x) < 1e-6 and abs(point.y - row.y) < 1e-6
    assert frame.crs.to_epsg() == 4326


def test_staff_export(anonymous, session, township, inside, outside, tmp_path):
    worker, stranger = add_position(session, inside), add_position(session, outside)
    path, _ = download(anonymous, "staff", "geojson", township.headers, tmp_path)
    frame = pyogrio.read_dataframe(path)
    assert worker in set(frame["worker_id"]) and stranger not in set(frame["worker_id"])


def test_an_empty_export_is_a_valid_file(client, tmp_path):
    path, _ = download(client, "incidents", "gpkg", {}, tmp_path, bbox="0,0,1,1")
    assert len(pyogrio.read_dataframe(path)) == 0
