"""OGC API – Features over the registered layers: the documents the /ogc routes answer.

Part 1 Core: each layer is one collection, or the several it declares (the areas: one per
level, `cities` to `grids`). Every collection is read within the caller's territory: its
extent is the territory's, and an item outside it does not exist (404). Part 3 style
queryables: `/ogc/collections/{id}/queryables` is a JSON Schema of the properties a client
may filter on (the layer's filters, as query parameters, with their vocabularies), of the
geometry (bbox) and of the instant (datetime).

Conformance declared: core and geojson. Not oas30: /openapi.json is FastAPI's OpenAPI
3.1 document, and the class asks for 3.0.
"""

import json
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.scope import Scope
from geo.enums import LEVELS
from geo.layers import features, registry
from geo.layers.declaration import Collection, Filter
from geo.layers.params import BadParameter, Selection

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# The query parameters every items request may carry; a layer's filters come on top.
ITEMS_PARAMETERS = frozenset({"f", "bbox", "limit", "datetime", "cursor"})


def check_format(f: str | None) -> None:
    if f not in (None, "json", "geojson"):
        raise BadParameter(f"f={f!r}: this server speaks json (and geojson for items)")


def check_parameters(given: set[str], collection: Collection) -> None:
    """OGC: a parameter the server does not know is refused, not silently ignored."""
    unknown = sorted(given - ITEMS_PARAMETERS - set(collection.open_filters))
    if unknown:
        raise BadParameter(f"unknown parameter {', '.join(unknown)} for {collection.id}; "
                           f"known: {', '.join(sorted(ITEMS_PARAMETERS))}"
                           + (f", {', '.join(collection.open_filters)}"
                              if collection.open_filters else ""))


def _link(href: str, rel: str, media_type: str, title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": media_type}
    return {**link, "title": title} if title else link


def landing(base: str) -> dict:
    return {
        "title": "gridgov",
        "description": f"基层治理 map layers: {', '.join(layer.name for layer in registry.all())} "
                       "(OGC API – Features).",
        "links": [_link(f"{base}/ogc", "self", JSON, "this document"),
                  _link(f"{base}/openapi.json", "service-desc", OPENAPI, "the API definition"),
                  _link(f"{base}/docs", "service-doc", "text/html", "the API documentation"),
                  _link(f"{base}/ogc/conformance", "conformance", JSON,
                        "OGC API conformance classes implemented"),
                  _link(f"{base}/ogc/collections", "data", JSON, "the collections")],
    }


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def territory_extent(session: Session, scope: Scope) -> list[float] | None:
    """The bbox of the caller's territory: of the highest level that has areas in it."""
    sql = ("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
           "SELECT ST_Extent(a.geom) AS e FROM area a WHERE a.level = %(level)s AND "
           f"{scope.area_condition('a', pyformat=True)}) s")
    connection = session.connection()
    for level in LEVELS:
        row = connection.exec_driver_sql(sql, {"level": str(level), **scope.params}).one()
        if row[0] is not None:
            return [round(value, 7) for value in row]
    return None


def collection_document(collection: Collection, *, base: str,
                        extent: list[float] | None) -> dict:
    href = f"{base}/ogc/collections/{collection.id}"
    document = {
        "id": collection.id, "title": collection.title,
        "description": f"{collection.title_zh} — {collection.title}",
        "itemType": "feature", "crs": [CRS84],
        "links": [_link(href, "self", JSON), _link(f"{href}/items", "items", GEOJSON,
                                                   "the features"),
                  _link(f"{href}/queryables", QUERYABLES_REL, SCHEMA,
                        "the properties to filter on")],
    }
    if extent is not None:
        document["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return document


def collections_document(*, base: str, extent: list[float] | None) -> dict:
    return {"links": [_link(f"{base}/ogc/collections", "self", JSON)],
            "collections": [collection_document(collection, base=base, extent=extent)
                            for collection in registry.collections()]}


def items_text(session: Session, collection: Collection, *, scope: Scope,
               selection: Selection, limit: int, self_url: str, next_url) -> str:
    """A page of items as GeoJSON; `next_url(key)` gives the link after the last one."""
    chosen = replace(selection, filters=selection.filters + collection.fixed)
    page = features.read_page(session, layer=collection.layer, scope=scope,
                              selection=chosen, limit=limit)
    base = self_url.split("/ogc/", 1)[0]
    links = [_link(self_url, "self", GEOJSON, "this page"),
             _link(f"{base}/ogc/collections/{collection.id}", "collection", JSON)]
    if page.next_after is not None:
        links.append(_link(next_url(page.next_after), "next", GEOJSON, "the next page"))
    return features.collection_text(
        page.features, links=links, numberReturned=len(page.features),
        timeStamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))


def item_text(session: Session, collection: Collection, *, scope: Scope, feature_id: str,
              base: str) -> str:
    text = features.read_one(session, layer=collection.layer, scope=scope,
                             feature_id=feature_id, filters=collection.fixed)
    href = f"{base}/ogc/collections/{collection.id}"
    links = [_link(f"{href}/items/{feature_id}", "self", GEOJSON),
             _link(href, "collection", JSON)]
    return f'{text[:-1]}, "links": {json.dumps(links)}}}'



# --- queryables (OGC API – Features Part 3) ------------------------------------------------

GEOMETRY_FORMATS = {"Point": "geometry-point", "MultiPoint": "geometry-multipoint",
                    "LineString": "geometry-linestring",
                    "MultiLineString": "geometry-multilinestring",
                    "Polygon": "geometry-polygon", "MultiPolygon": "geometry-multipolygon"}


def queryables(collection: Collection, *, base: str) -> dict:
    """The collection's queryables as a JSON Schema (2020-12): each open filter, with its
    vocabulary and labels where it has one, the geometry (bbox) and the instant
    (datetime). Filters are passed as query parameters named like the queryable."""
    layer = collection.layer
    properties = {"geometry": {"format": GEOMETRY_FORMATS.get(layer.geometry_type, "geometry-any"),
                               "x-ogc-role": "primary-geometry"}}
    for name in collection.open_filters:
        properties[name] = _queryable(layer.filters[name])
    instant = layer.temporal_property
    if instant is not None:
        properties[instant] = {"type": "string", "format": "date-time",
                               "x-ogc-role": "primary-instant"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/ogc/collections/{collection.id}/queryables",
            "type": "object", "title": collection.title, "description": collection.title_zh,
            "properties": properties, "additionalProperties": False}


def _queryable(declared: Filter) -> dict:
    schema: dict = {"type": "string"}
    if declared.title:
        schema["title"] = declared.title
    if declared.description:
        schema["description"] = declared.description + (
            " (several: separated by commas)" if declared.many else "")
    if declared.values is not None:
        schema["enum"] = list(declared.values)
        # The labels, as JSON Schema spells a titled value.
        schema["oneOf"] = [{"const": value, "title": label}
                           for value, label in declared.values.items()]
    if declared.pattern is not None:
        schema["pattern"] = f"^{declared.pattern}$"
    return schema
