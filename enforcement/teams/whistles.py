"""吹哨报到 (issue §7): a township calls departments to a place for a matter; each called
department answers — responds, arrives, acts — within its limits; the township closes it.

北京市街道办事处条例第五条: 街道 "吹哨", 区政府工作部门 "报到" and accept its coordination;
第四十四条: a department that does not answer is reported, supervised and assessed
(纳入年度绩效考评). So every call is a subject of the case kernel (`whistle_call`): its
step clock runs the response limit (elapsed minutes: "30 分钟内响应"), then the arrival
limit, then the action limit, read from
`enforcement_whistle_limit` (a row per department and urgency, or the default row, with
its citation); the kernel's sweep turns an overdue answer red and the hook below mirrors
the colour onto the call, which the layer and the KPIs read.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.errors import Forbidden, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.users.enums import Role
from core.workflow import clocks, notify, runner, timeline
from core.workflow.case_types import CaseType, ClockChange, Escalation
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import KNOWN_UNITS, parse_duration
from core.workflow.kernel import ClockOp, Notice, Workflow, requires, transition
from core.workflow.models import CaseClock
from enforcement.teams.models import URGENCIES, Whistle, WhistleCall, WhistleLimit
from enforcement.teams.permissions import ANSWERERS, WHISTLERS

SUBJECT = "whistle_call"
CASE_TYPE_CODE = "enforcement.whistle_call"
MAX_DEPARTMENTS = 20
# Who may answer for any department (the county's desk and leaders, who coordinate).
COORDINATORS = frozenset({Role.county_dispatcher, Role.supervisor, Role.admin})
STEP_LABELS = {"respond": "响应", "arrive": "报到（到达现场）", "act": "处置"}


def _of_called_department(facts, actor, data) -> None:
    """报到 is the called department's: an officer of one of its units in the county."""
    if actor.role in COORDINATORS:
        return
    if not set(actor.positions) & set(facts.get("answering_units") or ()):
        raise Forbidden("only the called department's officers answer this call",
                        code="not_called_department")


_of_called_department.about_the_actor = True


def _late(facts, now) -> bool:
    due = facts.get("step_due_at")
    return due is not None and now > due


def _responded(facts, actor, data, now) -> dict:
    return {"responded_at": now, "responded_late": _late(facts, now)}


def _arrived(facts, actor, data, now) -> dict:
    due = facts.get("step_due_at")
    return {"arrived_at": now, "arrived_late": due is not None and now > due}


def _acted(facts, actor, data, now) -> dict:
    due = facts.get("step_due_at")
    return {"acted_at": now, "acted_late": due is not None and now > due,
            "result": data["result"].strip()}


def _closed(facts, actor, data, now) -> dict:
    return {"closed_at": now}


def _tell_township(facts, data) -> list[Notice]:
    return [Notice("whistle.answered", f"吹哨报到：{facts['department_code']} 已处置",
                   unit_ids=(facts.get("caller_unit_id"),))]


WORKFLOW = Workflow(
    SUBJECT,
    (transition("respond", ["called"], "responded", ANSWERERS, label="响应",
                guards=[_of_called_department], effect=_responded),
     transition("arrive", ["responded"], "arrived", ANSWERERS, label="报到",
                guards=[_of_called_department], effect=_arrived),
     transition("act", ["arrived"], "acted", ANSWERERS, label="处置",
                guards=[_of_called_department,
                        requires("result", "处置 needs a result (处置结果)", "result_required")],
                effect=_acted, notify=_tell_township, fields=("result",)),
     transition("close", ["acted"], "closed", WHISTLERS, label="销号", effect=_closed),
     transition("withdraw", ["called", "responded", "arrived"], "closed", WHISTLERS,
                label="撤哨", needs_reason=True, effect=_closed)),
    steps={"called": "respond", "responded": "arrive", "arrived": "act"},
    final_states=frozenset({"closed"}),
    labels={"called": "待响应", "responded": "已响应", "arrived": "已报到", "acted": "已处置",
            "closed": "已销号"},
)


# --- limits (data) -----------------------------------------------------------------------

def limit_of(session: Session, *, department_code: str, urgency: str) -> WhistleLimit:
    """The department's own row for the urgency, else the default row."""
    row = session.scalar(select(WhistleLimit).where(
        WhistleLimit.urgency == urgency,
        (WhistleLimit.department_code == department_code)
        | WhistleLimit.department_code.is_(None))
        .order_by(WhistleLimit.department_code.is_(None)).limit(1))
    if row is None:
        raise InvalidInput(f"no 吹哨报到 limit for urgency {urgency!r}: an admin must set one",
                           code="whistle_limit_missing")
    return row


def step_rule(session: Session, call: WhistleCall, step: str) -> ClockRule:
    limit = limit_of(session, department_code=call.department_code, urgency=call.urgency)
    duration = {"respond": limit.respond_limit, "arrive": limit.arrive_limit}.get(
        step, limit.act_limit)
    return ClockRule("step", parse_duration(duration, units=KNOWN_UNITS),
                     citation=f"{STEP_LABELS.get(step, step)} {duration}：{limit.citation}",
                     suspendable=False)


def mirror_step(call: WhistleCall, clock: CaseClock | None, op: ClockOp, now: datetime
                ) -> None:
    if op.op == "start" and clock is not None:
        call.step_due_at, call.deadline = clock.due_at, "green"
    elif op.op in ("stop", "stop_all"):
        call.step_due_at, call.deadline = None, "green"


def on_sweep(session: Session, changes: Sequence[ClockChange],
             leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
             ) -> list[Escalation]:
    """Mirror the colours; an overdue answer is not moved anywhere (the township's
    assessment counts it: 第四十四条), so nothing escalates."""
    rows = [change for change in changes if change.name == "step"]
    if rows:
        session.execute(text("""
            UPDATE enforcement_whistle_call c SET deadline = x.colour
            FROM unnest(CAST(:ids AS bigint[]), CAST(:colours AS text[])) AS x(id, colour)
            WHERE c.id = x.id"""),
            {"ids": [r.subject_id for r in rows], "colours": [r.colour for r in rows]})
    return []


CASE_TYPE = CaseType(
    code=CASE_TYPE_CODE, subject_type=SUBJECT, platform="enforcement", label="吹哨报到",
    model=WhistleCall, workflow=WORKFLOW, area_code=lambda call: call.area_code,
    clock_rule=step_rule, on_sweep=on_sweep, mirror_step=mirror_step)


# --- blowing a whistle -------------------------------------------------------------------

def _place_at(session: Session, *, lon: float, lat: float, scope: Scope) -> str:
    """The finest area holding the place (a grid, else its village …): the whistle is seen
    by every territory above it, the village's included; its township is its first nine
    digits."""
    code = session.scalar(text("""
        SELECT code FROM area WHERE level IN ('township', 'village', 'grid')
          AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        ORDER BY length(code) DESC, code LIMIT 1"""), {"lon": lon, "lat": lat})
    if code is None:
        raise InvalidInput("the place lies in no township of the map", code="outside_areas")
    if not scope.covers_code(code):
        raise InvalidInput(f"the place lies in {code}, outside your territory",
                           code="outside_territory", area_code=code)
    return code


def _called_unit(session: Session, *, department: str, area_code: str) -> tuple[int | None,
                                                                                str]:
    """The county's unit of the department (its 局): it holds the call."""
    county = area_code[:6]
    unit = session.scalar(text("""
        SELECT id FROM unit WHERE department_code = :dept AND kind = 'department'
          AND is_active AND seat_code = :county ORDER BY id LIMIT 1"""),
        {"dept": department, "county": county})
    return unit, county


def blow(session: Session, *, principal: Principal, settings: Settings, now: datetime,
         matter: str, matter_code: str | None, departments: list[str], lon: float,
         lat: float, address: str, description: str, urgency: str,
         operation_id: int | None) -> Whistle:
    """吹哨: one whistle and one call per department, each call's arrival clock started."""
    departments = list(dict.fromkeys(departments))
    if not departments or len(departments) > MAX_DEPARTMENTS:
        raise InvalidInput(f"call between 1 and {MAX_DEPARTMENTS} departments",
                           code="departments_count")
    if urgency not in URGENCIES:
        raise InvalidInput(f"urgency is one of {', '.join(URGENCIES)}", code="unknown_urgency")
    known = set(session.scalars(text("SELECT code FROM department WHERE code = ANY(:codes)"),
                                {"codes": departments}))
    unknown = [d for d in departments if d not in known]
    if unknown:
        raise InvalidInput(f"unknown departments: {', '.join(unknown)}",
                           code="unknown_department", unknown=unknown)
    if matter_code is not None and session.scalar(text(
            "SELECT 1 FROM enforcement_matter WHERE code = :code"), {"code": matter_code}) is None:
        raise InvalidInput(f"no matter {matter_code!r} in the catalogue", code="unknown_matter")
    scope = Scope.of(principal)
    if operation_id is not None and session.scalar(text(
            f"SELECT 1 FROM enforcement_operation o WHERE o.id = :id "
            f"AND {scope.code_condition('o.area_code')}"),
            {"id": operation_id, **scope.params}) is None:
        raise NotFound(f"no operation {operation_id} in your territory",
                       code="operation_not_found")
    area = _place_at(session, lon=lon, lat=lat, scope=scope)
    caller = session.scalar(text("SELECT id FROM unit WHERE kind = 'centre' AND is_active "
                                 "AND seat_code = :township"), {"township": area[:9]})
    whistle = Whistle(area_code=area, caller_unit_id=caller, matter=matter,
                      matter_code=matter_code, description=description, address=address,
                      geom=f"SRID=4326;POINT({lon} {lat})", urgency=urgency,
                      operation_id=operation_id, blown_by=principal.username, blown_at=now)
    session.add(whistle)
    session.flush()
    context = runner.Context(session, settings, now, principal.username)
    for department in departments:
        _open_call(context, whistle, department)
    return whistle


def _open_call(context: runner.Context, whistle: Whistle, department: str) -> WhistleCall:
    session = context.session
    unit, county = _called_unit(session, department=department, area_code=whistle.area_code)
    call = WhistleCall(whistle_id=whistle.id, department_code=department, state="called",
                       version=1, owner_unit_id=unit, owner_code=county,
                       owner_platform="enforcement", area_code=whistle.area_code,
                       urgency=whistle.urgency, called_at=context.now, deadline="green")
    session.add(call)
    session.flush()
    runner.open_case(context, CASE_TYPE, call, note=whistle.matter,
                     data={"whistle_id": whistle.id, "department_code": department})
    notify.send(session, Subject(SUBJECT, call.id),
                Notice("whistle.called", f"吹哨报到：{whistle.matter}", unit_ids=(unit,)),
                body=whistle.address or whistle.description)
    return call


# --- answering ---------------------------------------------------------------------------

def _call_in_scope(session: Session, *, principal: Principal, whistle_id: int,
                   call_id: int) -> WhistleCall:
    scope = Scope.of(principal)
    call = session.scalar(select(WhistleCall).where(
        WhistleCall.id == call_id, WhistleCall.whistle_id == whistle_id,
        scope.column_condition(WhistleCall.area_code)))
    if call is None:
        raise NotFound(f"no call {call_id} of whistle {whistle_id} in your territory",
                       code="call_not_found")
    return call


def answering_units(session: Session, *, department_code: str, area_code: str) -> list[int]:
    """The units whose members answer for the department in the whistle's county."""
    return list(session.scalars(text("""
        SELECT id FROM unit WHERE department_code = :dept AND is_active
          AND seat_code >= :county AND seat_code < :county || ':'"""),
        {"dept": department_code, "county": area_code[:6]}))


def act(session: Session, *, principal: Principal, settings: Settings, whistle_id: int,
        call_id: int, name: str, data: dict, now: datetime | None = None) -> WhistleCall:
    """One move on a call, through the kernel's runner (lock, version, decide, apply)."""
    call = _call_in_scope(session, principal=principal, whistle_id=whistle_id,
                          call_id=call_id)
    caller = session.scalar(text("SELECT caller_unit_id FROM enforcement_whistle "
                                 "WHERE id = :id"), {"id": whistle_id})
    facts = {"answering_units": answering_units(session, department_code=call.department_code,
                                                area_code=call.area_code),
             "caller_unit_id": caller}
    runner.run(session, CASE_TYPE, call, name, principal=principal, data=data,
               expected_version=int(data.get("version", 0)), settings=settings, facts=facts,
               now=now)
    return call


# --- reading -----------------------------------------------------------------------------

def _call_dict(call: WhistleCall) -> dict:
    return {"id": call.id, "department_code": call.department_code, "state": call.state,
            "state_label": WORKFLOW.labels.get(call.state, call.state),
            "version": call.version, "owner_unit_id": call.owner_unit_id,
            "called_at": call.called_at, "responded_at": call.responded_at,
            "arrived_at": call.arrived_at,
            "acted_at": call.acted_at, "closed_at": call.closed_at, "result": call.result,
            "step_due_at": call.step_due_at, "deadline": call.deadline,
            "responded_late": call.responded_late, "arrived_late": call.arrived_late,
            "acted_late": call.acted_late}


def whistle_dicts(session: Session, whistles: Sequence[Whistle]) -> list[dict]:
    """The whistles with their places and calls: two statements for the page."""
    ids = [whistle.id for whistle in whistles]
    places = {row[0]: (row[1], row[2]) for row in session.execute(text(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM enforcement_whistle WHERE id = ANY(:ids)"),
        {"ids": ids})}
    calls: dict[int, list[WhistleCall]] = {whistle_id: [] for whistle_id in ids}
    for call in session.scalars(select(WhistleCall).where(WhistleCall.whistle_id.in_(ids))
                                .order_by(WhistleCall.id)):
        calls[call.whistle_id].append(call)
    return [_whistle_dict(whistle, places[whistle.id], calls[whistle.id])
            for whistle in whistles]


def whistle_dict(session: Session, whistle: Whistle, *, detail: bool = False) -> dict:
    out = whistle_dicts(session, [whistle])[0]
    if detail:
        for item in out["calls"]:
            subject = Subject(SUBJECT, item["id"])
            item["clocks"] = [clocks.clock_dict(c) for c in clocks.clocks_of(session, subject)]
            item["timeline"] = timeline.events_of(session, subject)
    return out


def _whistle_dict(whistle: Whistle, place: tuple[float, float], calls: list[WhistleCall]
                  ) -> dict:
    lon, lat = place
    return {"id": whistle.id, "area_code": whistle.area_code, "matter": whistle.matter,
           "matter_code": whistle.matter_code, "description": whistle.description,
           "address": whistle.address, "urgency": whistle.urgency,
           "operation_id": whistle.operation_id, "blown_by": whistle.blown_by,
           "blown_at": whistle.blown_at,
           "position": {"type": "Point", "coordinates": [lon, lat]},
           "calls": [_call_dict(call) for call in calls]}


def get_whistle(session: Session, *, principal: Principal, whistle_id: int) -> dict:
    scope = Scope.of(principal)
    whistle = session.scalar(select(Whistle).where(
        Whistle.id == whistle_id, scope.column_condition(Whistle.area_code)))
    if whistle is None:
        raise NotFound(f"no whistle {whistle_id} in your territory", code="whistle_not_found")
    return whistle_dict(session, whistle, detail=True)


def list_whistles(session: Session, *, principal: Principal, state: str | None,
                  deadline: str | None, department: str | None, limit: int, offset: int
                  ) -> tuple[int, list[dict]]:
    """Whistles of the territory, newest first; `state`/`deadline`/`department` select
    those with a call in that state, of that colour, to that department."""
    scope = Scope.of(principal)
    query = select(Whistle).where(scope.column_condition(Whistle.area_code))
    call_filter = []
    if state is not None:
        call_filter.append(WhistleCall.state == state)
    if deadline is not None:
        call_filter.append(WhistleCall.deadline == deadline)
    if department is not None:
        call_filter.append(WhistleCall.department_code == department)
    if call_filter:
        query = query.where(select(WhistleCall.id).where(
            WhistleCall.whistle_id == Whistle.id, *call_filter).exists())
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Whistle.blown_at.desc(), Whistle.id.desc())
                           .limit(limit).offset(offset)).all()
    return total, whistle_dicts(session, rows)


def limits(session: Session) -> list[dict]:
    rows = session.scalars(select(WhistleLimit).order_by(
        WhistleLimit.department_code.is_not(None), WhistleLimit.department_code,
        WhistleLimit.urgency)).all()
    return [_limit_dict(row) for row in rows]


def _limit_dict(row: WhistleLimit) -> dict:
    return {"id": row.id, "department_code": row.department_code, "urgency": row.urgency,
            "respond_limit": row.respond_limit, "arrive_limit": row.arrive_limit,
            "act_limit": row.act_limit,
            "citation": row.citation, "version": row.version}


def set_limit(session: Session, *, principal: Principal, department_code: str | None,
              urgency: str, respond_limit: str, arrive_limit: str, act_limit: str,
              citation: str, version: int) -> dict:
    """Create (version 0) or edit (the version read) a department's or the default limit;
    new calls use it (running clocks keep the rule they started with)."""
    from core import audit
    from core.errors import Conflict

    if urgency not in URGENCIES:
        raise InvalidInput(f"urgency is one of {', '.join(URGENCIES)}", code="unknown_urgency")
    for value in (respond_limit, arrive_limit, act_limit):
        parse_duration(value, units=KNOWN_UNITS)
    if not citation.strip():
        raise InvalidInput("a limit carries its citation", code="citation_required")
    if department_code is not None and session.scalar(text(
            "SELECT 1 FROM department WHERE code = :c"), {"c": department_code}) is None:
        raise InvalidInput(f"unknown department {department_code!r}",
                           code="unknown_department")
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('enforcement_whistle_limit'))"))
    row = session.scalar(select(WhistleLimit).where(
        WhistleLimit.urgency == urgency,
        WhistleLimit.department_code.is_(None) if department_code is None
        else WhistleLimit.department_code == department_code).with_for_update())
    current = row.version if row is not None else 0
    if current != version:
        raise Conflict(f"the limit changed since you read it (version {current})",
                       code="stale_version", current_version=current)
    before = _limit_dict(row) if row is not None else None
    if row is None:
        row = WhistleLimit(department_code=department_code, urgency=urgency, version=0)
        session.add(row)
    row.respond_limit, row.arrive_limit = respond_limit, arrive_limit
    row.act_limit, row.citation = act_limit, citation.strip()
    row.version = current + 1
    session.flush()
    after = _limit_dict(row)
    audit.record(session, actor=principal.username, action="whistle_limit.set",
                 subject_type="enforcement_whistle_limit", subject_id=row.id,
                 before=before, after={k: v for k, v in after.items() if k != "id"})
    return after
