"""Routes: the catalogue of 政务服务事项 and the service points."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from convenience.services import (
    catalogue,
    desks,
    points,
)
from convenience.services.routes.deps import (
    Area,
    Limit,
    Manager,
    Offset,
    Reader,
    _area,
)
from convenience.services.schemas import (
    ImportIn,
    ItemIn,
    ItemUpdate,
    PointIn,
    PointItemsIn,
    TakesReportsIn,
    WindowsIn,
)
from core.attachments import service as attachments
from core.deps import SessionDep

router = APIRouter()


# --- catalogue ---------------------------------------------------------------------------

@router.get("/items")
def search_items(principal: Reader, session: SessionDep,
                 q: Annotated[str, Query(max_length=100)] = "",
                 item_type: Annotated[str | None, Query(max_length=16)] = None,
                 department: Annotated[str | None, Query(max_length=32)] = None,
                 level: Literal["county", "township", "village"] | None = None,
                 online: bool | None = None, limit: Limit = 50, offset: Offset = 0) -> list:
    """事项检索: codes, name or department containing `q`."""
    return catalogue.search(session, q=q, item_type=item_type, department=department,
                            level=level, online=online, limit=limit, offset=offset)


@router.get("/items/export")
def export_items(principal: Reader, session: SessionDep,
                 format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    """The catalogue as xlsx or CSV, in the columns the import reads."""
    return catalogue.export(session, format=format)


@router.post("/items/import")
def import_items(data: ImportIn, principal: Manager, session: SessionDep) -> dict:
    """The catalogue from an xlsx or CSV (the export's columns, base64 in `data`): every
    row checked, then all written or none (422 import_rows_invalid lists the bad rows)."""
    return catalogue.import_catalogue(session, attachments.decode(data.data, noun="file"))


@router.get("/items/{item_id}")
def get_item(item_id: int, principal: Reader, session: SessionDep) -> dict:
    return catalogue.item_dict(session, catalogue.get_item(session, item_id=item_id))


@router.post("/items", status_code=201)
def create_item(data: ItemIn, principal: Manager, session: SessionDep) -> dict:
    return catalogue.item_dict(session, catalogue.create_item(session, data.model_dump()))


@router.put("/items/{item_id}")
def update_item(item_id: int, data: ItemUpdate, principal: Manager, session: SessionDep) -> dict:
    body = data.model_dump()
    version = body.pop("version")
    return catalogue.item_dict(session, catalogue.update_item(session, item_id, body,
                                                              version=version))


@router.put("/items/{item_id}/takes-reports")
def set_takes_reports(item_id: int, data: TakesReportsIn, principal: Manager,
                      session: SessionDep) -> dict:
    """Open (or close) an item to residents' reports through Open311: listed in
    /open311/v2/services with its 实施编码 as the service_code, and accepted by POST."""
    return catalogue.item_dict(session, catalogue.set_takes_reports(
        session, item_id, takes_reports=data.takes_reports, version=data.version,
        actor=principal.username), with_materials=False)


# --- service points ----------------------------------------------------------------------

@router.get("/points")
def list_points(principal: Reader, session: SessionDep, area: Area = None,
                limit: Limit = 50, offset: Offset = 0) -> list:
    return points.points_in(session, area_code=_area(principal, area), limit=limit,
                            offset=offset)


@router.get("/points/{unit_id}")
def get_point(unit_id: int, principal: Reader, session: SessionDep) -> dict:
    return points.point_dict(session, unit_id)


@router.put("/points/{unit_id}")
def put_point(unit_id: int, data: PointIn, principal: Manager, session: SessionDep) -> dict:
    desks.unit_in_scope(session, unit_id, principal)
    return points.upsert_point(session, unit_id, address=data.address, phone=data.phone,
                               opening_hours=data.opening_hours, note=data.note,
                               version=data.version)


@router.put("/points/{unit_id}/windows")
def put_windows(unit_id: int, data: WindowsIn, principal: Manager, session: SessionDep
                ) -> list:
    desks.unit_in_scope(session, unit_id, principal)
    return points.set_windows(session, unit_id, [w.model_dump() for w in data.windows])


@router.put("/points/{unit_id}/items")
def put_point_items(unit_id: int, data: PointItemsIn, principal: Manager,
                    session: SessionDep) -> dict:
    desks.unit_in_scope(session, unit_id, principal)
    return {"items": points.set_items(session, unit_id, data.item_ids)}
