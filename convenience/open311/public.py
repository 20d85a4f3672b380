"""Pages for residents, without login: 随手拍 (report a problem with a photo and a point on
the map — through the very path of an Open311 POST, `requests.create_request`, as the
channel "page") and 工单查询 (a 12345 order's progress by its number and the caller's
phone). Chinese, mobile-first; every asset from this app (/static/convenience/open311/).
They show no personal data: a request's reporter and an order's caller are never echoed.
"""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from convenience.open311 import photos, workorders
from convenience.open311 import requests as service
from core.deps import SessionDep, in_one_thread

PAGES = Path(__file__).resolve().parents[1] / "static" / "open311"
router = APIRouter(tags=["便民服务 public"])


class PhotoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(max_length=32, examples=["image/jpeg"])
    data: str = Field(max_length=14_000_000, description="the photo, base64-encoded")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_code: str = Field(min_length=1, max_length=32, description="a service's code")
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=400)
    description: str = Field("", max_length=service.DESCRIPTION_MAX)
    phone: str | None = Field(None, max_length=20, pattern=r"^[0-9+\- ]*$")
    photos: Annotated[list[PhotoIn], Field(max_length=3)] = []


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=1, max_length=20)


@router.get("/convenience/suishoupai", response_class=FileResponse, include_in_schema=False)
def report_page() -> FileResponse:
    """随手拍."""
    return FileResponse(PAGES / "report.html", media_type="text/html; charset=utf-8")


@router.get("/convenience/workorder-status", response_class=FileResponse,
            include_in_schema=False)
def status_page() -> FileResponse:
    """工单查询."""
    return FileResponse(PAGES / "status.html", media_type="text/html; charset=utf-8")


@router.post("/api/v1/convenience/public/reports", status_code=201)
async def report(body: ReportIn, request: Request) -> dict:
    """随手拍: the same path as an Open311 POST (channel "page", no api_key: this app is
    the client). Answers that it is accepted, with the request's number to follow it on
    the page; the photos are stored with the request first, and the filing task carries
    them to the incident (or order) it becomes (convenience/open311/filing.py). The one
    door without an identity: counted per client address in the `reports` bucket (429
    past `rate_limit_reports_per_minute`, core/ratelimit.py)."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    address = request.client.host if request.client else "unknown"
    data = service.RequestIn(
        service_code=body.service_code, lat=body.lat, long=body.long,
        address_string=body.address_string, description=body.description, phone=body.phone,
        photos=tuple(body.photos))
    settings = request.app.state.settings

    def create(session) -> dict:
        if limiter is not None:
            limiter.hit(bucket="reports", user_id=f"page:{address}")
        created = service.create_request(session, data=data, api_key_id=None,
                                         channel=service.CHANNEL_PAGE, settings=settings)
        return {"service_request_id": str(created.id), "token": created.token,
                "status": "accepted", "status_notes": created.status_notes,
                "service_notice": created.service_notice,
                "photo_ids": [p.id for p in photos.of_request(session, created.id)]
                if data.photos else []}

    return await in_one_thread(request, create)  # one thread-pool hop (core/deps.py)


@router.post("/api/v1/convenience/public/workorder-status")
def order_status(body: StatusIn, session: SessionDep) -> dict:
    """A 12345 order's progress by number and the caller's phone (POST: the phone stays out
    of URLs and access logs). 404 alike for a wrong number and a wrong phone."""
    return workorders.public_status(session, number=body.number, phone=body.phone)


PUBLIC_PATHS = frozenset(route.path for route in router.routes)
