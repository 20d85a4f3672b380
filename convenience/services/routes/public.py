"""Routes residents use without a token (/api/v1/convenience/public): no personal data
out; a resident proves an application is his with its phone."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from convenience.services import (
    applications,
    catalogue,
    points,
    ratings,
    throttle,
)
from convenience.services.routes.deps import (
    Area,
    Limit,
    Offset,
    _settings,
)
from convenience.services.schemas import (
    BIGINT,
    PublicRatingIn,
    StatusIn,
)
from core.deps import SessionDep

public = APIRouter(prefix="/api/v1/convenience/public", tags=["convenience-public"])


# --- public ------------------------------------------------------------------------------

@public.get("/items")
def public_search(session: SessionDep, q: Annotated[str, Query(max_length=100)] = "",
                  level: Literal["county", "township", "village"] | None = None,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Offset = 0
                  ) -> list:
    return catalogue.search(session, q=q, level=level, limit=limit, offset=offset)


@public.get("/items/{impl_code}")
def public_item(impl_code: str, session: SessionDep) -> dict:
    item = catalogue.get_item(session, impl_code=impl_code[:60])
    out = catalogue.item_dict(session, item)
    out.pop("version")
    return out


@public.get("/nearest")
def public_nearest(session: SessionDep, item: Annotated[int, Query(ge=1, le=BIGINT)],
                   lon: Annotated[float, Query(ge=-180, le=180)],
                   lat: Annotated[float, Query(ge=-90, le=90)],
                   limit: Annotated[int, Query(ge=1, le=10)] = 3) -> list:
    """The nearest service points that handle the item, nearest first, in metres."""
    return points.nearest(session, item_id=item, lon=lon, lat=lat, limit=limit)


@public.post("/status")
def public_status(data: StatusIn, session: SessionDep, request: Request) -> dict:
    """办件进度 by number and phone (in the body, not the address: no phone in logs);
    so many a minute from one address (429 public_lookups_throttled)."""
    throttle.check_lookup(request, session)
    return applications.public_status(session, number=data.number, phone=data.phone)


@public.post("/ratings", status_code=201)
def public_rate(data: PublicRatingIn, session: SessionDep, request: Request) -> dict:
    """The rating link (QR code, SMS link, app): the phone proves the application is his."""
    throttle.check_lookup(request, session)
    rating = ratings.rate(session, number=data.number, phone=data.phone,
                          data=data.model_dump(), settings=_settings(request))
    out = ratings.rating_dict(rating)
    return {k: out[k] for k in ("id", "stage", "level", "level_label", "channel", "at")}


@public.get("/figures")
def public_figures(session: SessionDep, area: Area = None, limit: Limit = 50,
                   offset: Offset = 0) -> list:
    """好差评 per unit: 评价和回复应当公开 (条例第五十二条)."""
    return ratings.public_figures(session, area_code=area or "", limit=limit, offset=offset)
