"""/api/v1/areas: the hierarchy as records and GeoJSON, and locate."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.users.enums import Permission
from geo import locate as locating
from geo import service
from geo.enums import AreaLevel
from geo.schemas import AreaPage, LocateManyIn, LocateManyOut, LocationOut

router = APIRouter(prefix="/api/v1/areas", tags=["areas"])

Code = Annotated[str, Path(pattern=r"^[0-9]{6,15}$", description="area code")]
Simplify = Annotated[float, Query(ge=0, le=5000, description="simplify to this many metres")]
GEOJSON = {"content": {"application/geo+json": {}}}
# Every area route reads areas, inside the caller's scope.
Reader = Annotated[Principal, Depends(Requires(Permission.areas_read))]


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get("", response_model=AreaPage)
def list_areas(
    session: SessionDep,
    reader: Reader,
    level: AreaLevel | None = None,
    parent: Annotated[str | None, Query(pattern=r"^[0-9]{6,15}$",
                                        description="only this area's subtree")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    items, total = service.list_areas(session, scope=Scope.of(reader), level=level,
                                      parent_code=parent, limit=limit, offset=offset)
    return {"total": total, "items": items}


@router.get("/locate", response_model=LocationOut)
async def locate(
    request: Request,
    reader: Reader,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    crs: Annotated[str | None, Query(max_length=200,
                                     description="EPSG code, gcj02 or bd09")] = None,
):
    """The grid containing a point and its chain of areas, city first."""
    # async on the read pool: this route is the hot path (see geo/locate.py).
    return await locating.locate_async(request.app.state.read_pool, lon=lon, lat=lat, crs=crs,
                                       scope=Scope.of(reader))


@router.post("/locate", response_model=LocateManyOut)
async def locate_many(request: Request, reader: Reader, body: LocateManyIn):
    """Many points at once (an offline phone syncing its queue): grid code or null each."""
    grids = await locating.locate_many_async(request.app.state.read_pool, points=body.points,
                                             crs=body.crs, scope=Scope.of(reader))
    return {"grids": grids}


@router.get("/{code}", responses={200: GEOJSON}, response_class=GeoJSONResponse)
def get_area(session: SessionDep, reader: Reader, code: Code, simplify: Simplify = 0) -> dict:
    """One area as a GeoJSON Feature."""
    return service.get_area_feature(session, code=code, scope=Scope.of(reader),
                                    simplify_m=simplify)


@router.get("/{code}/children", responses={200: GEOJSON}, response_class=GeoJSONResponse)
def get_children(session: SessionDep, reader: Reader, code: Code,
                 simplify: Simplify = 0) -> dict:
    """The area's direct children as a GeoJSON FeatureCollection."""
    return service.children_features(session, code=code, scope=Scope.of(reader),
                                     simplify_m=simplify)


@router.get("/{code}/descendants", responses={200: GEOJSON}, response_class=GeoJSONResponse)
def get_descendants(session: SessionDep, reader: Reader, code: Code, level: AreaLevel,
                    simplify: Simplify = 0) -> dict:
    """Every area of one level inside this area, as a GeoJSON FeatureCollection."""
    return service.descendant_features(session, code=code, level=level,
                                       scope=Scope.of(reader), simplify_m=simplify)
