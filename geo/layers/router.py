"""/api/v1/layers (list, GeoJSON pages, exports) and /tiles (vector tiles): thin routes
over every registered layer.

Every route reads with the caller's territory; a layer also needs the permission it
declares (the areas: areas_read), checked by `registry.readable`. A layer's filters are
read from the query string by their declared names; a filter of another layer is refused
(400), any other parameter ignored.
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users.enums import ROLE_PERMISSIONS, Permission
from geo.layers import export, features, registry, tiles
from geo.layers.declaration import Layer
from geo.layers.docs import filter_parameters
from geo.layers.params import (
    Selection,
    decode_cursor,
    encode_cursor,
    given_filters,
    layer_filters,
    parse_bbox,
    parse_datetime,
)

router = APIRouter(prefix="/api/v1/layers", tags=["layers"])
tiles_router = APIRouter(prefix="/tiles", tags=["layers"])

Reader = Annotated[Principal, Depends(Requires(Permission.areas_read))]
GEOJSON = "application/geo+json"


class GeoJSONResponse(Response):
    media_type = GEOJSON


@dataclass(frozen=True)
class Access:
    layer: Layer
    principal: Principal

    @property
    def scope(self) -> Scope:
        return Scope.of(self.principal)


# async: CPU only, so no thread-pool hop per tile (the hop is what grows under load).
async def layer_access(layer: Annotated[str, Path(description="a layer's name (GET "
                                                               "/api/v1/layers)")],
                       reader: Reader) -> Access:
    return Access(registry.readable(layer, reader), reader)


LayerAccess = Annotated[Access, Depends(layer_access)]


async def layer_filters_query(request: Request, access: LayerAccess
                              ) -> tuple[tuple[str, object], ...]:
    """The filters of any registered layer found in the query string, checked against the
    layer asked for (its own filters and their vocabularies)."""
    names = registry.filter_names()
    query = {name: request.query_params.getlist(name) for name in names}
    return layer_filters(access.layer, given_filters(query, names, access.layer))


# The filters in the OpenAPI document (FastAPI cannot see them in the signatures).
FILTER_PARAMETERS = filter_parameters(many_as_list=True)
Filters = Annotated[tuple[tuple[str, object], ...], Depends(layer_filters_query)]


def selection_query(
    request: Request, access: LayerAccess, filters: Filters,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")
                    ] = None,
    datetime: Annotated[str | None, Query(description="layers with a time (`datetime` among "
                                                      "their filters): an RFC 3339 instant "
                                                      "or interval a/b, ../b, a/..")
                        ] = None,
    cursor: Annotated[str | None, Query(description="the `next` link's cursor")] = None,
) -> Selection:
    zone = request.app.state.settings.timezone
    return Selection(bbox=parse_bbox(bbox), filters=filters,
                     interval=parse_datetime(datetime, timezone=zone),
                     after=decode_cursor(cursor, access.layer))


Chosen = Annotated[Selection, Depends(selection_query)]


@router.get("")
def list_layers(reader: Reader) -> list[dict]:
    """The layers the caller's role may read, their properties, and where each is served
    (a page draws what this lists: nothing it would be refused)."""
    allowed = ROLE_PERMISSIONS[reader.role]
    return [{"name": layer.name, "title": layer.title, "title_zh": layer.title_zh,
             "geometry_type": layer.geometry_type, "properties": layer.property_names,
             "filters": list(layer.filters) + (["datetime"] if layer.temporal else []),
             "tiles": f"/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt",
             "features": f"/api/v1/layers/{layer.name}/features",
             "export": f"/api/v1/layers/{layer.name}/export"}
            for layer in registry.all() if layer.permission in allowed]


@router.get("/{layer}/features", response_class=GeoJSONResponse,
            responses={200: {"content": {GEOJSON: {}}}},
            openapi_extra={"parameters": FILTER_PARAMETERS})
def get_features(request: Request, session: SessionDep, access: LayerAccess,
                 selection: Chosen,
                 limit: Annotated[int | None, Query(ge=1, description="page size (capped)")
                                  ] = None):
    """The layer's features in a bbox, a page at a time: follow the `next` link (keyset)."""
    settings = request.app.state.settings
    size = min(limit or settings.layer_page_default, settings.layer_page_max)
    page = features.read_page(session, layer=access.layer, scope=access.scope,
                              selection=selection, limit=size)
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if page.next_after is not None:
        links.append({"rel": "next", "type": GEOJSON, "href": str(
            request.url.include_query_params(cursor=encode_cursor(page.next_after)))})
    return GeoJSONResponse(features.collection_text(
        page.features, numberReturned=len(page.features), links=links))


@router.get("/{layer}/export", responses={200: {"content": {
    GEOJSON: {}, export.MEDIA_TYPES["gpkg"]: {}, export.MEDIA_TYPES["shp"]: {}}}},
            openapi_extra={"parameters": FILTER_PARAMETERS})
def export_layer(session: SessionDep, access: LayerAccess, selection: Chosen,
                 request: Request,
                 format: Literal["geojson", "gpkg", "shp"] = "geojson") -> Response:  # noqa: A002
    """The layer (same bbox and filters) as a file: GeoJSON, GeoPackage, or a zipped
    Shapefile (UTF-8, with its .cpg)."""
    done = export.export_layer(session, layer=access.layer, scope=access.scope,
                               selection=selection, file_format=format,
                               most=request.app.state.settings.layer_export_max)
    return Response(done.content, media_type=done.media_type, headers={
        "Content-Disposition": done.disposition})


@tiles_router.get("/{layer}/{z}/{x}/{y}.mvt", response_class=Response,
                  responses={200: {"content": {tiles.MVT: {}}}, 304: {}},
                  openapi_extra={"parameters": FILTER_PARAMETERS})
async def get_tile(request: Request, access: LayerAccess, filters: Filters,
                   z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
                   x: Annotated[int, Path(ge=0)], y: Annotated[int, Path(ge=0)]) -> Response:
    """A Mapbox Vector Tile of the layer, as it declares (the areas: the level follows the
    zoom; a point layer may be clustered at low zoom). Empty: 200 with no body. `ETag` /
    `If-None-Match` → 304."""
    settings = request.app.state.settings
    tile = await tiles.render_async(request.app.state.read_pool, layer=access.layer,
                                    scope=access.scope, z=z, x=x, y=y, filters=filters,
                                    budget=settings.tile_feature_budget)
    return tiles.tile_response(tile, if_none_match=request.headers.get("if-none-match"),
                               max_age=settings.tile_max_age_seconds)
