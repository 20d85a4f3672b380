"""Export any layer as GeoJSON, GeoPackage or a zipped Shapefile: read back with pyogrio
and compared to the rows, inside the caller's territory only."""

import io
import zipfile

import pyogrio
import pytest
from sqlalchemy import text

from tests.grid.layers.conftest import add_incident, add_position

SUFFIX = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}
MEDIA = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
         "shp": "application/zip"}


def download(client, layer: str, file_format: str, headers: dict, tmp_path, **params):
    response = client.get(f"/api/v1/layers/{layer}/export",
                          params={"format": file_format, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA[file_format])
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(
        f'{SUFFIX[file_format]}"')
    path = tmp_path / f"{layer}{SUFFIX[file_format]}"
    path.write_bytes(response.content)
    return path, response.content


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


def test_shapefile_zip_has_its_parts_and_utf8(anonymous, township, tmp_path):
    _, content = download(anonymous, "areas", "shp", township.headers, tmp_path,
                          level="village")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        suffixes = sorted(name.rsplit(".", 1)[1] for name in names)
        assert suffixes == ["cpg", "dbf", "prj", "shp", "shx"]
        cpg = next(name for name in names if name.endswith(".cpg"))
        assert archive.read(cpg).decode().strip().upper() in ("UTF-8", "UTF8")


def test_areas_gpkg_respects_level_and_bbox(anonymous, session, township, inside, tmp_path):
    bbox = f"{inside.lon - 0.01},{inside.lat - 0.01},{inside.lon + 0.01},{inside.lat + 0.01}"
    path, _ = download(anonymous, "areas", "gpkg", township.headers, tmp_path, level="grid",
                       bbox=bbox)
    frame = pyogrio.read_dataframe(path)
    expected = list(session.scalars(text(
        "SELECT code FROM area WHERE level = 'grid' AND code >= :t AND code < :t || ':' "
        "AND ST_Intersects(geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326)) ORDER BY code"),
        {"t": township.principal.scope_code, "w": inside.lon - 0.01, "s": inside.lat - 0.01,
         "e": inside.lon + 0.01, "n": inside.lat + 0.01}))
    assert sorted(frame["code"]) == expected and inside.grid_code in expected
    assert set(frame["level"]) == {"grid"}
    assert pyogrio.read_info(path)["layer_name"] == "areas"


def test_staff_export(anonymous, session, township, inside, outside, tmp_path):
    worker, stranger = add_position(session, inside), add_position(session, outside)
    path, _ = download(anonymous, "staff", "geojson", township.headers, tmp_path)
    frame = pyogrio.read_dataframe(path)
    assert worker in set(frame["worker_id"]) and stranger not in set(frame["worker_id"])


def test_an_empty_export_is_a_valid_file(client, tmp_path):
    path, _ = download(client, "incidents", "gpkg", {}, tmp_path, bbox="0,0,1,1")
    assert len(pyogrio.read_dataframe(path)) == 0


def test_too_big_an_export_is_refused(anonymous, app, township):
    app.state.settings = app.state.settings.model_copy(update={"layer_export_max": 3})
    response = anonymous.get("/api/v1/layers/areas/export", headers=township.headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_format(client):
    assert client.get("/api/v1/layers/areas/export", params={"format": "kml"}
                      ).status_code == 422
