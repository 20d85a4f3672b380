"""12345 work orders: intake (受理) by an operator, or from an Open311 request that has no
point on the map or is about a catalogue item; the order waits at the centre for 派单."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from convenience.open311.models import (
    WORK_ORDER_SUBJECT,
    DispatchEntry,
    ServiceRequest,
    WorkOrder,
)
from convenience.open311.workorder_flow import PLATFORM, WORK_ORDER
from core.errors import InvalidInput
from core.units.models import Unit
from core.workflow import runner
from core.workflow.clocks import Subject

# --- intake --------------------------------------------------------------------------------

def _centre_at(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.kind == "centre", Unit.is_active,
                                             Unit.seat_code == code))


def register(session: Session, *, principal_name: str, owner_code: str, channel: str,
             caller_phone: str, description: str, caller_name: str = "",
             matter_code: str | None = None, address: str = "",
             lon: float | None = None, lat: float | None = None, settings: Any,
             now: datetime | None = None) -> WorkOrder:
    """受理: a new order held by the 12345 centre at `owner_code`, awaiting dispatch."""
    now = now or runner.now_utc()
    if not description.strip():
        raise InvalidInput("description: what the caller asks", code="description_required")
    if matter_code is not None and session.scalar(select(DispatchEntry.id).where(
            DispatchEntry.matter_code == matter_code, DispatchEntry.active)) is None:
        raise InvalidInput(f"no matter {matter_code!r} in the 派单目录", code="matter_unknown")
    area_code = _grid_of(session, lon, lat) if lon is not None else None
    centre = _centre_at(session, owner_code)
    order = WorkOrder(
        channel=channel, caller_name=caller_name, caller_phone=caller_phone,
        matter_code=matter_code, description=description.strip(), address=address,
        geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326) if lon is not None else None,
        area_code=area_code, state="registered", version=1,
        owner_unit_id=centre.id if centre else None, owner_code=owner_code,
        owner_platform=PLATFORM, created_by=principal_name, created_at=now)
    session.add(order)
    session.flush()
    runner.open_case(runner.Context(session, settings, now, principal_name), WORK_ORDER, order,
                     data={"channel": channel, "matter_code": matter_code})
    return order


def _grid_of(session: Session, lon: float, lat: float) -> str | None:
    return session.execute(text(
        "SELECT code FROM area WHERE level = 'grid' AND ST_Intersects(geom, "
        "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) LIMIT 1"), {"lon": lon, "lat": lat}
    ).scalar()


def register_from_request(session: Session, request: ServiceRequest, *, settings: Any
                          ) -> Subject:
    """An Open311 request with only an address, or about a catalogue item (its point kept
    when it has one): an order for the city's 12345 centre."""
    city = session.execute(text(
        "SELECT code FROM area WHERE level = 'city' ORDER BY code LIMIT 1")).scalar()
    if city is None:
        raise InvalidInput("no jurisdiction is loaded to take the request",
                           code="jurisdiction_missing")
    where = request.address_string or request.address_id or ""
    what = request.description or f"{request.service_name}（{where}）"
    order = register(session, principal_name="open311", owner_code=city, channel="open311",
                     caller_phone=request.phone or "",
                     description=f"【{request.service_name}】{what}"[:4000],
                     caller_name=" ".join(filter(None, (request.last_name, request.first_name))),
                     address=where, lon=request.long, lat=request.lat, settings=settings)
    return Subject(WORK_ORDER_SUBJECT, order.id)
