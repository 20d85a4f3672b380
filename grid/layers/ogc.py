"""OGC API – Features, Part 1 Core, over the layers: the documents the /ogc routes answer.

Collections: the areas one per level (`cities`, `counties`, `townships`, `villages`,
`grids`: a desktop GIS opens each level as a layer of one geometry type and one scale),
`incidents` and `staff`. Every collection is read within the caller's territory: its
extent is the territory's, and an item outside it does not exist (404).

Conformance declared: core and geojson. Not oas30: /openapi.json is FastAPI's OpenAPI
3.1 document, and the class asks for 3.0.
"""

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.errors import NotFound
from core.scope import Scope
from geo.enums import LEVELS
from grid.layers import features
from grid.layers.params import BadParameter, Selection
from grid.layers.registry import AREAS, INCIDENTS, STAFF, Layer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
# The query parameters every items request may carry; a layer's filters come on top.
ITEMS_PARAMETERS = frozenset({"f", "bbox", "limit", "datetime", "cursor"})


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    title_zh: str
    layer: Layer
    fixed: tuple[tuple[str, object], ...] = ()  # filters the collection always applies

    @property
    def open_filters(self) -> list[str]:
        fixed = {name for name, _ in self.fixed}
        return [name for name in self.layer.filters if name not in fixed]


_PLURAL = {"city": ("cities", "Cities", "市"), "county": ("counties", "Counties", "区县"),
           "township": ("townships", "Townships and streets", "乡镇街道"),
           "village": ("villages", "Villages and communities", "村社区"),
           "grid": ("grids", "Grid cells", "网格")}
COLLECTIONS: dict[str, Collection] = {
    **{_PLURAL[level][0]: Collection(*_PLURAL[level], AREAS, (("level", str(level)),))
       for level in LEVELS},
    "incidents": Collection("incidents", INCIDENTS.title, INCIDENTS.title_zh, INCIDENTS),
    "staff": Collection("staff", STAFF.title, STAFF.title_zh, STAFF),
}


def get_collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(f"no collection {collection_id!r}; see /ogc/collections")
    return collection


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
        "title": "gridgov", "description": "基层治理 map layers: areas, incidents, staff "
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
                                                   "the features")],
    }
    if extent is not None:
        document["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return document


def collections_document(*, base: str, extent: list[float] | None) -> dict:
    return {"links": [_link(f"{base}/ogc/collections", "self", JSON)],
            "collections": [collection_document(collection, base=base, extent=extent)
                            for collection in COLLECTIONS.values()]}


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

