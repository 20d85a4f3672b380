"""What the part's route modules share: the permissions as dependencies, the query
parameters, and the small helpers (downloads, the area asked for)."""

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

from convenience.services.permissions import ServicePermission as P
from core.deps import Requires
from core.errors import NotFound
from core.scope import Scope
from core.security import Principal

Reader = Annotated[Principal, Depends(Requires(P.read))]
Actor = Annotated[Principal, Depends(Requires(P.act))]
Manager = Annotated[Principal, Depends(Requires(P.manage))]
Supervisor = Annotated[Principal, Depends(Requires(P.supervise))]
KpiReader = Annotated[Principal, Depends(Requires(P.kpi))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Area = Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APPLICATION_MOVES = Literal["review", "ask_supplement", "supplemented", "add_deferred",
                            "decide", "finish", "return", "withdraw", "commit_check", "revoke"]


def _xlsx(raw: bytes, name: str) -> Response:
    return Response(raw, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _pdf(raw: bytes, name: str) -> Response:
    return Response(raw, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


def _area(principal: Principal, area: str | None) -> str:
    """The area asked for, if the caller's territory covers it; else his own."""
    scope = Scope.of(principal)
    if area is not None:
        if not scope.covers_code(area):
            raise NotFound(f"no area {area} in your territory", code="area_not_found")
        return area
    return principal.scope_code or ""


def _settings(request: Request):
    return request.app.state.settings


def _body(data) -> dict:
    return data.model_dump(exclude_none=True)


