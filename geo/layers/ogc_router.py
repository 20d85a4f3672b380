"""/ogc: OGC API – Features Part 1 Core, and Part 3 style queryables, over every registered
layer (the documents are built in geo/layers/ogc.py).

Every route needs a bearer token like the rest of the API (GDAL: GDAL_HTTP_HEADERS=
"Authorization: Bearer ..."). Parameters arrive as text and are checked here, so a bad
one is a 400 problem+json, as the standard asks (not FastAPI's 422). A layer's filters
are read from the query string by their declared names (documented by /queryables and in
the OpenAPI document as layers register).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users.enums import Permission
from geo.layers import ogc, registry
from geo.layers.docs import filter_parameters
from geo.layers.params import (
    Selection,
    decode_cursor,
    encode_cursor,
    given_filters,
    layer_filters,
    parse_bbox,
    parse_datetime,
    parse_limit,
)

router = APIRouter(prefix="/ogc", tags=["ogc"])
Reader = Annotated[Principal, Depends(Requires(Permission.areas_read))]
Format = Annotated[str | None, Query(description="json (geojson for items)")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _feature_media_type(request: Request, f: str | None) -> str:
    """application/geo+json unless the client asks for application/json only."""
    accept = request.headers.get("accept", "")
    if f is None and ogc.JSON in accept and ogc.GEOJSON not in accept:
        return ogc.JSON
    return ogc.GEOJSON


@router.get("")
def landing_page(request: Request, reader: Reader, f: Format = None) -> JSONResponse:
    """The landing page: links to the API definition, conformance and the collections."""
    ogc.check_format(f)
    return JSONResponse(ogc.landing(_base(request)))


@router.get("/conformance")
def conformance(reader: Reader, f: Format = None) -> JSONResponse:
    ogc.check_format(f)
    return JSONResponse(ogc.conformance())


@router.get("/collections")
def collections(request: Request, session: SessionDep, reader: Reader,
                f: Format = None) -> JSONResponse:
    """Every collection, with the extent of the caller's territory."""
    ogc.check_format(f)
    extent = ogc.territory_extent(session, Scope.of(reader))
    return JSONResponse(ogc.collections_document(base=_base(request), extent=extent))


@router.get("/collections/{collectionId}")
def collection(request: Request, session: SessionDep, reader: Reader, collectionId: str,  # noqa: N803
               f: Format = None) -> JSONResponse:
    ogc.check_format(f)
    chosen = registry.get_collection(collectionId)
    extent = ogc.territory_extent(session, Scope.of(reader))
    return JSONResponse(ogc.collection_document(chosen, base=_base(request), extent=extent))


@router.get("/collections/{collectionId}/queryables",
            responses={200: {"content": {ogc.SCHEMA: {}}}})
def queryables(request: Request, reader: Reader, collectionId: str,  # noqa: N803
               f: Format = None) -> JSONResponse:
    """The properties the collection's items may be filtered on, as a JSON Schema (OGC API
    Features Part 3): each a query parameter of /items, with its values and their labels."""
    ogc.check_format(f)
    chosen = registry.get_collection(collectionId)
    return JSONResponse(ogc.queryables(chosen, base=_base(request)), media_type=ogc.SCHEMA)


@router.get("/collections/{collectionId}/items", response_class=Response,
            responses={200: {"content": {ogc.GEOJSON: {}, ogc.JSON: {}}}},
            openapi_extra={"parameters": filter_parameters(many_as_list=False)})
def items(
    request: Request, session: SessionDep, reader: Reader, collectionId: str,  # noqa: N803
    f: Format = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")
                    ] = None,
    limit: Annotated[str | None, Query(description="page size: default 100, at most "
                                                   "1000 (larger values are capped)")
                     ] = None,
    datetime: Annotated[str | None, Query(description="collections with a time (its "
                                                      "queryable of role primary-instant): an "
                                                      "RFC 3339 instant, or an interval a/b, "
                                                      "../b, a/..")
                        ] = None,
    cursor: Annotated[str | None, Query(description="from the `next` link")] = None,
) -> Response:
    """The collection's features in the caller's territory, a page at a time. The
    collection's queryables are further query parameters."""
    ogc.check_format(f)
    chosen = registry.get_collection(collectionId)
    layer = registry.readable(chosen.layer.name, reader)
    ogc.check_parameters(set(request.query_params), chosen)
    settings = request.app.state.settings
    query = {name: request.query_params.getlist(name) for name in chosen.open_filters}
    selection = Selection(
        bbox=parse_bbox(bbox),
        filters=layer_filters(layer, given_filters(query, chosen.open_filters, layer)),
        interval=parse_datetime(datetime, timezone=settings.timezone),
        after=decode_cursor(cursor, layer))
    size = parse_limit(limit, default=settings.layer_page_default, most=settings.layer_page_max)
    body = ogc.items_text(
        session, chosen, scope=Scope.of(reader), selection=selection, limit=size,
        self_url=str(request.url),
        next_url=lambda key: str(request.url.include_query_params(cursor=encode_cursor(key))))
    return Response(body, media_type=_feature_media_type(request, f))


@router.get("/collections/{collectionId}/items/{featureId}", response_class=Response,
            responses={200: {"content": {ogc.GEOJSON: {}, ogc.JSON: {}}}})
def item(request: Request, session: SessionDep, reader: Reader, collectionId: str,  # noqa: N803
         featureId: str, f: Format = None) -> Response:  # noqa: N803
    """One feature; outside the caller's territory it does not exist (404)."""
    ogc.check_format(f)
    chosen = registry.get_collection(collectionId)
    registry.readable(chosen.layer.name, reader)
    body = ogc.item_text(session, chosen, scope=Scope.of(reader), feature_id=featureId,
                         base=_base(request))
    return Response(body, media_type=_feature_media_type(request, f))
