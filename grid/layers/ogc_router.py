"""/ogc: OGC API – Features Part 1 Core (the documents are built in grid/layers/ogc.py).

Every route needs a bearer token like the rest of the API (GDAL: GDAL_HTTP_HEADERS=
"Authorization: Bearer ..."). Parameters arrive as text and are checked here, so a bad
one is a 400 problem+json, as the standard asks (not FastAPI's 422).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users.enums import Permission
from grid.layers import ogc
from grid.layers.params import (
    Selection,
    decode_cursor,
    encode_cursor,
    layer_filters,
    parse_bbox,
    parse_datetime,
    parse_limit,
)
from grid.layers.registry import readable_layer

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
    chosen = ogc.get_collection(collectionId)
    extent = ogc.territory_extent(session, Scope.of(reader))
    return JSONResponse(ogc.collection_document(chosen, base=_base(request), extent=extent))


@router.get("/collections/{collectionId}/items", response_class=Response,
            responses={200: {"content": {ogc.GEOJSON: {}, ogc.JSON: {}}}})
def items(
    request: Request, session: SessionDep, reader: Reader, collectionId: str,  # noqa: N803
    f: Format = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (CRS84)")
                    ] = None,
    limit: Annotated[str | None, Query(description="page size: default 100, at most "
                                                   "1000 (larger values are capped)")
                     ] = None,
    datetime: Annotated[str | None, Query(description="incidents (reported_at) and staff "
                                                      "(recorded_at): an RFC 3339 instant, "
                                                      "or an interval a/b, ../b, a/..")
                        ] = None,
    cursor: Annotated[str | None, Query(description="from the `next` link")] = None,
    state: Annotated[str | None, Query(description="incidents: states, comma-separated")
                     ] = None,
    deadline: Annotated[str | None, Query(description="incidents: green, yellow, red")] = None,
    category: Annotated[str | None, Query(description="incidents: a 大类 or 小类 code")
                        ] = None,
) -> Response:
    """The collection's features in the caller's territory, a page at a time."""
    ogc.check_format(f)
    chosen = ogc.get_collection(collectionId)
    layer = readable_layer(chosen.layer.name, reader)
    ogc.check_parameters(set(request.query_params), chosen)
    settings = request.app.state.settings
    selection = Selection(
        bbox=parse_bbox(bbox),
        filters=layer_filters(layer, state=[s for s in (state or "").split(",") if s],
                              deadline=deadline, category=category),
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
    chosen = ogc.get_collection(collectionId)
    readable_layer(chosen.layer.name, reader)
    body = ogc.item_text(session, chosen, scope=Scope.of(reader), feature_id=featureId,
                         base=_base(request))
    return Response(body, media_type=_feature_media_type(request, f))
