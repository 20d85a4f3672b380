"""/api/v1/departments, /units, /memberships: every user reads the units that serve their
territory (dispatch targets); an admin manages those inside their scope."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from core.deps import Requires, SessionDep
from core.scope import Scope
from core.security import Principal
from core.units import admin, memberships, reading
from core.units.enums import Position, UnitKind
from core.units.schemas import (
    DepartmentOut,
    MemberCreate,
    MembershipOut,
    MembershipUpdate,
    UnitCreate,
    UnitOut,
    UnitPage,
    UnitUpdate,
)
from core.users.enums import Permission

router = APIRouter(prefix="/api/v1", tags=["units"])
Reader = Annotated[Principal, Depends(Requires(Permission.units_read))]
Admin = Annotated[Principal, Depends(Requires(Permission.users_manage))]
Version = Annotated[int | None, Query(description="the version you read; stale: 409")]


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(session: SessionDep, reader: Reader):
    return [DepartmentOut(code=d.code, name=d.name) for d in reading.list_departments(session)]


@router.get("/units", response_model=UnitPage)
def list_units(
    session: SessionDep, reader: Reader, kind: UnitKind | None = None,
    platform: str | None = None, department: str | None = None,
    area: Annotated[str | None, Query(description="seated in this area's subtree")] = None,
    serving: Annotated[str | None, Query(description="acting at this area")] = None,
    q: Annotated[str | None, Query(max_length=100, description="in name or code")] = None,
    include_inactive: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    views, total = reading.list_units(
        session, scope=Scope.of(reader), kind=kind, platform=platform, department=department,
        area=area, serving=serving, search=q, include_inactive=include_inactive, limit=limit,
        offset=offset)
    return UnitPage(items=[UnitOut.of(view) for view in views], total=total)


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(session: SessionDep, user: Admin, body: UnitCreate):
    unit = admin.create_unit(session, actor=user.username, scope=Scope.of(user),
                             **body.service_args())
    return UnitOut.of(reading.unit_view(session, unit))


@router.get("/units/{unit_id}", response_model=UnitOut)
def get_unit(session: SessionDep, reader: Reader, unit_id: int):
    unit = reading.read_unit(session, scope=Scope.of(reader), unit_id=unit_id)
    return UnitOut.of(reading.unit_view(session, unit))


@router.patch("/units/{unit_id}", response_model=UnitOut)
def update_unit(session: SessionDep, user: Admin, unit_id: int, body: UnitUpdate):
    unit = admin.update_unit(session, actor=user.username, scope=Scope.of(user),
                             unit_id=unit_id, version=body.version, changes=body.changes())
    return UnitOut.of(reading.unit_view(session, unit))


@router.delete("/units/{unit_id}", response_model=UnitOut)
def deactivate_unit(session: SessionDep, user: Admin, unit_id: int, version: Version = None):
    unit = admin.deactivate_unit(session, actor=user.username, scope=Scope.of(user),
                                 unit_id=unit_id, version=version)
    return UnitOut.of(reading.unit_view(session, unit))


@router.get("/units/{unit_id}/jurisdiction")
def unit_jurisdiction(
    session: SessionDep, reader: Reader, unit_id: int,
    simplify: Annotated[float, Query(ge=0, le=5000, description="metres")] = 0,
) -> dict:
    """The jurisdiction's areas as a GeoJSON FeatureCollection."""
    return reading.jurisdiction_features(session, scope=Scope.of(reader), unit_id=unit_id,
                                       simplify_m=simplify)


@router.get("/units/{unit_id}/members", response_model=list[MembershipOut])
def list_members(session: SessionDep, reader: Reader, unit_id: int,
                 position: Position | None = None, include_ended: bool = False):
    return memberships.list_members(session, scope=Scope.of(reader), unit_id=unit_id,
                                    position=position, include_ended=include_ended)


@router.post("/units/{unit_id}/members", response_model=MembershipOut, status_code=201)
def add_member(session: SessionDep, user: Admin, unit_id: int, body: MemberCreate):
    membership = memberships.add_member(session, actor=user.username, scope=Scope.of(user),
                                        unit_id=unit_id, **body.model_dump())
    return memberships.membership_out(session, membership)


@router.patch("/memberships/{membership_id}", response_model=MembershipOut)
def update_membership(session: SessionDep, user: Admin, membership_id: int,
                      body: MembershipUpdate):
    membership = memberships.update_membership(
        session, actor=user.username, scope=Scope.of(user), membership_id=membership_id,
        version=body.version, changes=body.model_dump(exclude_unset=True, exclude={"version"}))
    return memberships.membership_out(session, membership)


@router.delete("/memberships/{membership_id}", response_model=MembershipOut)
def end_membership(session: SessionDep, user: Admin, membership_id: int,
                   version: Version = None):
    membership = memberships.end_membership(session, actor=user.username, scope=Scope.of(user),
                                            membership_id=membership_id, version=version)
    return memberships.membership_out(session, membership)
