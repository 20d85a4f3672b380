"""The patrol routes: thin, the rules are in service.py."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from core.deps import Requires, SessionDep
from core.security import Principal
from grid.patrols import service, tracks
from grid.patrols.schemas import (
    BatchOut,
    PatrolEndIn,
    PatrolOut,
    PatrolPage,
    PatrolStartIn,
    PointsIn,
    TrackFeature,
)
from grid.permissions import GridPermission

router = APIRouter(prefix="/api/v1/patrols", tags=["patrols"])

Recorder = Annotated[Principal, Depends(Requires(GridPermission.patrols_record))]
Reader = Annotated[Principal, Depends(Requires(GridPermission.patrols_read))]


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.post("", status_code=201, response_model=PatrolOut,
             responses={200: {"model": PatrolOut, "description": "a replayed start"}})
def start_patrol(data: PatrolStartIn, principal: Recorder, session: SessionDep,
                 response: Response):
    """巡查开始: the phone names the patrol (`client_key`); a replay answers 200 with the
    same patrol."""
    started = service.start_patrol(session, principal=principal, data=data)
    if not started.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/patrols/{started.patrol_id}"
    return service.patrol_summary(session, principal=principal, patrol_id=started.patrol_id)


@router.post("/{patrol_id}/points", response_model=BatchOut)
def add_points(patrol_id: int, data: PointsIn, principal: Recorder, session: SessionDep):
    """A batch of fixes; each is stored once (a resent batch adds nothing). Updates the
    track's length and the worker's position on the map (the newest fix wins)."""
    batch = service.add_points(session, principal=principal, patrol_id=patrol_id,
                               points=data.points)
    summary = service.patrol_summary(session, principal=principal, patrol_id=batch.patrol_id)
    return {**summary, "accepted": batch.accepted, "duplicates": batch.duplicates}


@router.post("/{patrol_id}/end", response_model=PatrolOut)
def end_patrol(patrol_id: int, data: PatrolEndIn, principal: Recorder, session: SessionDep):
    """巡查结束; ending again changes nothing."""
    service.end_patrol(session, principal=principal, patrol_id=patrol_id, data=data)
    return service.patrol_summary(session, principal=principal, patrol_id=patrol_id)


@router.get("", response_model=PatrolPage)
def list_patrols(
    principal: Reader, session: SessionDep,
    worker: Annotated[int | None, Query(ge=1, description="a grid worker's id")] = None,
    since: datetime | None = None, until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """Patrols of the workers of the caller's territory (a grid worker: his own), newest
    first, started in [since, until)."""
    total, items = service.list_patrols(session, principal=principal, worker=worker,
                                        since=since, until=until, limit=limit, offset=offset)
    return {"total": total, "items": items}


# Before /{patrol_id}: "tracks" is no patrol's id.
@router.get("/tracks", response_class=GeoJSONResponse,
            responses={200: {"content": {"application/geo+json": {}}}})
def day_tracks(
    request: Request, principal: Reader, session: SessionDep,
    day: Annotated[date | None, Query(description="the day (YYYY-MM-DD, the system's time "
                                                  "zone); none: today")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84): the "
                                                  "tracks crossing the view")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 300,
):
    """The tracks of the patrols started on a day by the workers of the caller's territory
    (a grid worker: his own), as a GeoJSON FeatureCollection of LineStrings, newest first;
    `truncated` when there were more than `limit`. The supervisor map's staff layer."""
    zone = request.app.state.settings.timezone
    chosen = day or datetime.now(tracks.ZoneInfo(zone)).date()
    return tracks.tracks(session, principal=principal, day=chosen, timezone=zone, bbox=bbox,
                         limit=limit)


@router.get("/{patrol_id}", response_model=TrackFeature, response_class=GeoJSONResponse,
            responses={200: {"content": {"application/geo+json": {}}}})
def get_patrol(patrol_id: int, principal: Reader, session: SessionDep):
    """The track as a GeoJSON Feature (a LineString, null below two fixes) with its
    figures: length in metres, points, duration."""
    return service.track_feature(session, principal=principal, patrol_id=patrol_id)
