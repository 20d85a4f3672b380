"""A layer as a file: GeoJSON, GeoPackage or Shapefile (zipped), written by GDAL (pyogrio).

The rows are the same query as every other output of the layer (territory, bbox,
filters, time); an export over `most` features is refused rather than cut short.
"""

import io
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas
import pandas
import pyogrio
import shapely
from sqlalchemy.orm import Session

from core.scope import Scope
from geo.layers.declaration import Layer
from geo.layers.params import BadParameter, Selection
from geo.layers.query import rows_sql

MEDIA_TYPES = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
               "shp": "application/zip"}
DRIVERS = {"geojson": ("GeoJSON", "geojson"), "gpkg": ("GPKG", "gpkg"),
           "shp": ("ESRI Shapefile", "shp")}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def read_frame(session: Session, *, layer: Layer, scope: Scope, selection: Selection,
               most: int) -> geopandas.GeoDataFrame:
    sql, params = rows_sql(layer, scope=scope, selection=selection, limit=most)
    result = session.connection().exec_driver_sql(sql, params)
    rows = result.all()
    if len(rows) > most:
        raise BadParameter(f"more than {most:,} features to export: narrow the bbox or the "
                           "filters", most=most)
    names = list(result.keys())
    frame = pandas.DataFrame.from_records([tuple(row) for row in rows], columns=names)
    geometry = shapely.from_wkb([bytes(g) for g in frame.pop("geometry")])
    return geopandas.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def export_layer(session: Session, *, layer: Layer, scope: Scope, selection: Selection,
                 file_format: str, most: int) -> ExportFile:
    frame = read_frame(session, layer=layer, scope=scope, selection=selection, most=most)
    stem = f"{layer.name}-{date.today():%Y%m%d}"
    with tempfile.TemporaryDirectory(prefix="gridgov-export-") as folder:
        if file_format == "shp":
            content = _shapefile_zip(frame, layer=layer, folder=Path(folder), stem=stem)
            return ExportFile(content, MEDIA_TYPES["shp"], f"{stem}.zip")
        driver, extension = DRIVERS[file_format]
        path = Path(folder) / f"{stem}.{extension}"
        options = {"RFC7946": "YES"} if file_format == "geojson" else {}
        pyogrio.write_dataframe(frame, path, layer=layer.name, driver=driver,
                                geometry_type=layer.geometry_type, layer_options=options)
        return ExportFile(path.read_bytes(), MEDIA_TYPES[file_format], path.name)


def _shapefile_zip(frame: geopandas.GeoDataFrame, *, layer: Layer, folder: Path,
                   stem: str) -> bytes:
    """A Shapefile's parts in a zip: names cut to 10 characters (the layer's short names),
    instants as RFC 3339 text (dBase has no time zones), text in UTF-8 with its .cpg."""
    frame = frame.rename(columns=layer.short_names)
    for column in frame.columns:
        if column != "geometry" and _is_instant(frame[column]):
            frame[column] = frame[column].map(lambda t: t.isoformat() if t is not None
                                              and not pandas.isna(t) else None)
    path = folder / f"{stem}.shp"
    pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="UTF-8",
                            geometry_type=layer.geometry_type)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix in SHAPEFILE_PARTS:
            part = path.with_suffix(suffix)
            if part.exists():
                archive.write(part, part.name)
    return buffer.getvalue()


def _is_instant(column: pandas.Series) -> bool:
    if pandas.api.types.is_datetime64_any_dtype(column):
        return True
    sample = column.dropna()
    return not sample.empty and hasattr(sample.iloc[0], "isoformat")
