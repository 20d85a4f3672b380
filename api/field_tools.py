"""The field app's tools: which tabs a user gets on /field, from his role and memberships.

Each platform declares its tools (core/platforms.py `FieldTool`, a part's FIELD_TOOLS):
the grid worker's report, tasks and patrol; the enforcement officer's cases and 当场处罚;
the market inspector's inspections. `GET /api/v1/field/tools` answers the caller's own,
with his 执法证 (number, issuer, expiry) from his memberships, which the officer shows on
the spot (行政处罚法第五十二条: 执法人员当场作出行政处罚决定的，应当向当事人出示执法证件).

`POST /api/v1/field/position` keeps the phone's own newest GPS fix, which places an
officer's team for the nearest-team search (issue 13 §8: live positions from the field
app).

The modules of every installed platform's tools (and the files they import) are precached
by the service worker (api/field.py `shell_urls`), so a tool opens offline like the shell.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import platforms
from core.deps import Requires, SessionDep
from core.errors import InvalidInput
from core.platforms import FieldTool, Platform
from core.security import Principal
from core.units.enums import POSITION_LABELS
from core.units.positions import record_fix
from core.users.enums import ROLE_PERMISSIONS, Permission
from geo.schemas import Lat, Lon

router = APIRouter(prefix="/api/v1/field", tags=["field"])
Account = Annotated[Principal, Depends(Requires(Permission.own_account))]


def granted(tool: FieldTool, platform: str, principal: Principal) -> bool:
    """The role names the tool, or an active membership in one of the platform's units
    holds one of its positions; either way every permission it needs is the role's."""
    by_role = str(principal.role) in tool.roles
    by_position = any(m.platform == platform and m.position in tool.positions
                      for m in principal.memberships)
    return (by_role or by_position) and set(tool.permissions) <= ROLE_PERMISSIONS[principal.role]


def tools_for(principal: Principal, installed: list[Platform] | None = None) -> list[dict]:
    """The caller's tools, in tab order."""
    found = [(tool, platform) for platform in (installed or platforms.installed())
             for tool in platform.field_tools if granted(tool, platform.name, principal)]
    found.sort(key=lambda pair: (pair[0].order, pair[0].key))
    return [{"key": tool.key, "label": tool.label, "label_en": tool.label_en or tool.label,
             "platform": platform.name, "module": f"/static/{tool.module}"}
            for tool, platform in found]


_CREDENTIALS = text("""
    SELECT m.id, m.unit_id, u.name AS unit_name, u.platform, m.position, m.credential_number,
           m.credential_issuer, m.credential_expires_on
    FROM membership m JOIN unit u ON u.id = m.unit_id
    WHERE m.user_id = :user AND m.is_active AND u.is_active
    ORDER BY u.platform, u.name, m.position""")


def memberships_of(session: Session, *, user_id: int, today) -> list[dict]:
    """The caller's own memberships with their 执法证 (his own: unmasked)."""
    return [{"membership_id": row.id, "unit_id": row.unit_id, "unit_name": row.unit_name,
             "platform": row.platform, "position": row.position,
             "position_label": POSITION_LABELS.get(row.position, row.position),
             "credential": None if row.credential_number is None else {
                 "number": row.credential_number, "issuer": row.credential_issuer,
                 "expires_on": row.credential_expires_on,
                 "valid": (row.credential_expires_on is not None
                           and today <= row.credential_expires_on)}}
            for row in session.execute(_CREDENTIALS, {"user": user_id})]


@router.get("/tools")
def my_tools(session: SessionDep, principal: Account, request: Request) -> dict:
    """The field app's tools for the caller (tabs, in order: `key`, `label`, `module` under
    /static exporting `mount(app, panel)`), and his memberships with their 执法证."""
    today = datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    return {"role": str(principal.role), "tools": tools_for(principal),
            "memberships": memberships_of(session, user_id=principal.user_id, today=today)}


# --- where the phone is ------------------------------------------------------------------

class FixIn(BaseModel):
    """The phone's own GPS fix (WGS 84), when it was taken."""

    model_config = ConfigDict(extra="forbid")

    lon: Lon
    lat: Lat
    accuracy_m: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False)
    recorded_at: datetime


# A fix from the phone's clock: a little ahead is clock drift, more is a wrong clock.
CLOCK_DRIFT = timedelta(minutes=5)


@router.post("/position", status_code=204)
def my_position(fix: FixIn, session: SessionDep, principal: Account) -> None:
    """The caller's own position from his phone (an officer's, an inspector's), kept as
    his newest fix (core/units/positions.py): it places his team for the nearest-team
    search (enforcement/teams/positions.py) and the staff layer. An older fix than the one
    known changes nothing."""
    at = fix.recorded_at
    if at.tzinfo is None:
        raise InvalidInput("recorded_at needs a time zone (e.g. +08:00)",
                           code="recorded_at_naive")
    if at > datetime.now(UTC) + CLOCK_DRIFT:
        raise InvalidInput("recorded_at lies in the future: check the phone's clock",
                           code="recorded_at_future")
    record_fix(session, user_id=principal.user_id, lon=fix.lon, lat=fix.lat,
               accuracy_m=fix.accuracy_m, at=at, source_type="field")


# --- what the service worker precaches ---------------------------------------------------

def tool_assets(installed: list[Platform] | None = None) -> list[str]:
    """Every installed tool's module and the files it names (under /static), once each."""
    seen: dict[str, None] = {}
    for platform in installed or platforms.installed():
        for tool in platform.field_tools:
            for asset in (tool.module, *tool.assets):
                seen.setdefault(asset, None)
    return list(seen)


def asset_file(asset: str, static_dir: Path,
               installed: list[Platform] | None = None) -> Path:
    """Where an asset under /static is on disk: a platform's own static folder for
    `<platform>/…`, else the app's."""
    head, _, rest = asset.partition("/")
    for platform in installed or platforms.installed():
        if platform.name == head:
            directory = platforms.static_dir(platform)
            if directory is not None:
                return directory / rest
    return static_dir / asset
