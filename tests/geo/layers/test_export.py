"""Export the areas as GeoJSON, GeoPackage or a zipped Shapefile: read back with pyogrio
and compared to the rows, inside the caller's territory only."""

import io
import zipfile

import pyogrio
from sqlalchemy import text

from tests.geo.layers.conftest import download


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


def test_too_big_an_export_is_refused(anonymous, app, township):
    app.state.settings = app.state.settings.model_copy(update={"layer_export_max": 3})
    response = anonymous.get("/api/v1/layers/areas/export", headers=township.headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_format(client):
    assert client.get("/api/v1/layers/areas/export", params={"format": "kml"}
                      ).status_code == 422
