"""`gridgov units …`: units (departments, teams, offices, centres) and their members, for
admins at a terminal, with the same rules as the API (core/units)."""

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli_output import err
from api.cli_output import fail as _fail
from core.db import session_scope
from core.errors import DomainError

units_app = typer.Typer(help="Units (departments, teams, offices, centres) and their members.",
                        no_args_is_help=True)


def _unit_ref(session, ref: str) -> int:
    """A unit named by its code or its id."""
    from core.errors import NotFound
    from core.scope import EVERYWHERE
    from core.units.reading import unit_by_code

    try:
        return unit_by_code(session, scope=EVERYWHERE, code=ref).id
    except NotFound:
        if ref.isdigit():
            return int(ref)
        raise


def _user_ref(session, ref: str) -> int:
    """A user named by user name or id."""
    from sqlalchemy import select

    from core.errors import NotFound
    from core.users.models import User

    found = session.scalar(select(User.id).where(User.username == ref))
    if found is None and not ref.isdigit():
        raise NotFound(f"no user {ref}")
    return found if found is not None else int(ref)


@units_app.command("list")
def units_list(
    kind: Annotated[str | None, typer.Option(help="department, brigade, squadron, centre …")
                    ] = None,
    platform: Annotated[str | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option(help="a department code")] = None,
    area: Annotated[str | None, typer.Option(help="seated in this area's subtree")] = None,
    serving: Annotated[str | None, typer.Option(help="acting at this area")] = None,
    search: Annotated[str | None, typer.Option(help="in the name or the code")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """List units, filtered."""
    from core.scope import EVERYWHERE
    from core.units.reading import list_units

    try:
        with session_scope() as session:
            views, total = list_units(session, scope=EVERYWHERE, kind=kind, platform=platform,
                                      department=department, area=area, serving=serving,
                                      search=search, limit=limit)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps({"total": total, "items": views}, ensure_ascii=False, default=str))
        return
    table = Table(title=f"units ({len(views)} of {total})")
    for column in ("id", "code", "name", "platform", "jurisdiction", "members"):
        table.add_column(column)
    for v in views:
        table.add_row(str(v["id"]), v["code"], v["name"], v["platform"],
                      ", ".join(v["area_codes"]), str(v["members"]))
    Console().print(table)


@units_app.command("create")
def units_create(
    code: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    kind: Annotated[str, typer.Option()],
    platform: Annotated[str, typer.Option(help="grid, enforcement, market_supervision, …")],
    seat: Annotated[str, typer.Option(help="code of the area the unit sits in")],
    area: Annotated[list[str], typer.Option(help="a jurisdiction area; repeat for several")],
    department: Annotated[str | None, typer.Option(help="a department code")] = None,
    parent: Annotated[str | None, typer.Option(help="the parent unit's code or id")] = None,
    lon: Annotated[float | None, typer.Option(help="WGS84; default: inside the seat")] = None,
    lat: Annotated[float | None, typer.Option()] = None,
) -> None:
    """Create a unit."""
    from core.scope import EVERYWHERE
    from core.units.admin import create_unit

    try:
        with session_scope() as session:
            unit = create_unit(
                session, actor="cli", scope=EVERYWHERE, code=code, name=name, kind=kind,
                platform=platform, seat_code=seat, area_codes=area, department_code=department,
                parent_id=_unit_ref(session, parent) if parent else None,
                location=(lon, lat) if lon is not None and lat is not None else None)
    except DomainError as exc:
        _fail(exc)
    err.print(f"created unit {unit.id} {unit.code} ({escape(unit.name)})")


@units_app.command("deactivate")
def units_deactivate(unit: Annotated[str, typer.Argument(help="code or id")]) -> None:
    """Deactivate a unit: no longer a target; its memberships grant nothing."""
    from core.scope import EVERYWHERE
    from core.units.admin import deactivate_unit

    try:
        with session_scope() as session:
            done = deactivate_unit(session, actor="cli", scope=EVERYWHERE,
                                   unit_id=_unit_ref(session, unit))
    except DomainError as exc:
        _fail(exc)
    err.print(f"deactivated unit {done.id} {done.code}")


@units_app.command("members")
def units_members(
    unit: Annotated[str, typer.Argument(help="code or id")],
    position: Annotated[str | None, typer.Option()] = None,
    ended: Annotated[bool, typer.Option("--ended", help="ended memberships too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON list")] = False,
) -> None:
    """A unit's members, with their 执法证 and whether it is valid today."""
    from core.scope import EVERYWHERE
    from core.units.memberships import list_members

    try:
        with session_scope() as session:
            rows = list_members(session, scope=EVERYWHERE, unit_id=_unit_ref(session, unit),
                                position=position, include_ended=ended)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title=f"members of {escape(unit)}")
    for column in ("membership", "user name", "name", "position", "执法证", "expires", "active"):
        table.add_column(column)
    for m in rows:
        valid = {None: "", True: "", False: " (expired)"}[m["credential_valid"]]
        table.add_row(str(m["id"]), m["username"], m["full_name"], m["position_label"],
                      m["credential_number"] or "",
                      f"{m['credential_expires_on'] or ''}{valid}", "yes" if m["is_active"]
                      else "ended")
    Console().print(table)


@units_app.command("add-member")
def units_add_member(
    unit: Annotated[str, typer.Option(help="code or id")],
    user: Annotated[str, typer.Option(help="user name or id")],
    position: Annotated[str, typer.Option(help="handler, reviewer, head, dispatcher, …")],
    credential: Annotated[str | None, typer.Option(help="执法证 number")] = None,
    issuer: Annotated[str | None, typer.Option(help="the 执法证's issuing body")] = None,
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Give a user a position in a unit (handler and inspector need an 执法证)."""
    from datetime import date

    from core.errors import InvalidInput
    from core.scope import EVERYWHERE
    from core.units.memberships import add_member

    try:
        try:
            expires_on = date.fromisoformat(expires) if expires else None
        except ValueError:
            raise InvalidInput(f"--expires {expires!r} is not a date YYYY-MM-DD") from None
        with session_scope() as session:
            membership = add_member(
                session, actor="cli", scope=EVERYWHERE, unit_id=_unit_ref(session, unit),
                user_id=_user_ref(session, user), position=position,
                credential_number=credential, credential_issuer=issuer,
                credential_expires_on=expires_on)
    except DomainError as exc:
        _fail(exc)
    err.print(f"membership {membership.id}: user {membership.user_id} is {membership.position} "
              f"in unit {membership.unit_id}")


@units_app.command("end-member")
def units_end_member(membership: Annotated[int, typer.Argument(help="the membership id")]
                     ) -> None:
    """End a membership (the row stays, for the record)."""
    from core.scope import EVERYWHERE
    from core.units.memberships import end_membership

    try:
        with session_scope() as session:
            ended = end_membership(session, actor="cli", scope=EVERYWHERE,
                                   membership_id=membership)
    except DomainError as exc:
        _fail(exc)
    err.print(f"ended membership {ended.id}")

