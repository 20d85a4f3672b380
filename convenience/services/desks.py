"""The desks around the applications: proxy agents (三级帮代办) and their queues, the
enterprise 代办督办 forms (white → green → yellow → red), the 办不成事 window, and the
weekly report of refusals (否定事项) that the supervising office reviews one by one."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convenience.services.case_types import ENTERPRISE_TYPE, STUCK_TYPE
from convenience.services.common import context, move, new_number, unit_by_code, unit_row
from convenience.services.models import (
    PROXY_TIERS,
    REFUSAL_KINDS,
    STUCK_KINDS,
    EnterpriseRequest,
    ProxyAgent,
    Refusal,
    RefusalReport,
    StuckMatter,
)
from convenience.services.workflows import ENTERPRISE, STUCK
from core.codes import subtree_range
from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.uscc import uscc_problem
from core.workflow import clocks, runner, timeline
from core.workflow.clocks import Subject

# --- proxy agents ------------------------------------------------------------------------

def register_agent(session: Session, *, user_id: int, unit_id: int, tier: str, name: str
                   ) -> ProxyAgent:
    if tier not in PROXY_TIERS:
        raise InvalidInput(f"tier is one of {', '.join(PROXY_TIERS)}", code="tier_unknown")
    unit_row(session, unit_id)
    if session.scalar(text("SELECT 1 FROM app_user WHERE id = :id"), {"id": user_id}) is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    agent = session.get(ProxyAgent, user_id)
    if agent is None:
        agent = ProxyAgent(user_id=user_id)
        session.add(agent)
    agent.unit_id, agent.tier, agent.name, agent.is_active = unit_id, tier, name, True
    session.flush()
    return agent


AGENTS_SQL = """
    SELECT g.user_id, g.name, g.tier, g.unit_id, u.name AS unit,
           count(a.id) FILTER (WHERE a.state NOT IN ('done', 'returned', 'not_accepted',
                                                     'withdrawn', 'revoked')) AS open,
           count(a.id) FILTER (WHERE a.state = 'done') AS done,
           -- each proxied application saved the resident the trips its item needs (at
           -- least one): 群众少跑腿, 代办员多跑路
           coalesce(sum(greatest(i.visits, 1)) FILTER (WHERE a.state = 'done'), 0)
               AS trips_saved
    FROM svc_proxy_agent g JOIN unit u ON u.id = g.unit_id
    LEFT JOIN svc_application a ON a.proxy_user_id = g.user_id
    LEFT JOIN svc_item i ON i.id = a.item_id
    WHERE g.is_active AND u.seat_code >= :low AND u.seat_code < :high
    GROUP BY g.user_id, g.name, g.tier, g.unit_id, u.name
    ORDER BY trips_saved DESC, g.user_id LIMIT :limit OFFSET :offset"""


def agents(session: Session, *, area_code: str, limit: int, offset: int) -> list[dict]:
    rows = session.execute(text(AGENTS_SQL), {**subtree_range(area_code), "limit": limit,
                                              "offset": offset})
    return [dict(r._mapping) | {"tier_label": PROXY_TIERS[r.tier]} for r in rows]


def unit_in_scope(session: Session, unit_id: int, principal: Principal):
    """A unit of the caller's territory (an outside one is 404, as if it did not exist)."""
    unit = unit_row(session, unit_id)
    if principal.user_id and not Scope.of(principal).covers_code(unit.seat_code):
        raise NotFound(f"no active unit {unit_id}", code="unit_not_found")
    return unit


# --- enterprise forms --------------------------------------------------------------------

def open_enterprise(session: Session, *, principal: Principal, data: Mapping[str, Any],
                    settings: Settings, now: datetime | None = None) -> EnterpriseRequest:
    """白单: the request registered at a hall's enterprise window, on the white form's clock."""
    now = now or runner.now_utc()
    unit = unit_in_scope(session, data["unit_id"], principal)
    if data.get("uscc") and (problem := uscc_problem(data["uscc"])):
        raise InvalidInput(f"统一社会信用代码: {problem}", code="uscc_invalid")
    row = EnterpriseRequest(number=new_number(session, "QY", now=now, settings=settings),
                            state="white", version=1, owner_unit_id=unit.id,
                            owner_code=unit.seat_code, enterprise_name=data["enterprise_name"],
                            uscc=data.get("uscc"), contact_phone=data["contact_phone"],
                            matter=data["matter"], opened_at=now)
    session.add(row)
    session.flush()
    runner.open_case(context(session, now=now, actor=principal.username, settings=settings),
                     ENTERPRISE_TYPE, row, note=data["matter"][:200])
    return row


def enterprise_dict(session: Session, row: EnterpriseRequest) -> dict:
    sub = Subject("svc_enterprise_request", row.id)
    return {"id": row.id, "number": row.number, "state": row.state,
            "state_label": ENTERPRISE.labels[row.state], "version": row.version,
            "enterprise_name": row.enterprise_name, "uscc": row.uscc, "matter": row.matter,
            "department_code": row.department_code, "help_kind": row.help_kind,
            "opened_at": row.opened_at, "closed_at": row.closed_at,
            "clocks": [clocks.clock_dict(c) for c in clocks.clocks_of(session, sub)],
            "timeline": timeline.events_of(session, sub)}


# --- 办不成事 ------------------------------------------------------------------------------

def open_stuck(session: Session, *, principal: Principal, data: Mapping[str, Any],
               settings: Settings, now: datetime | None = None) -> StuckMatter:
    """A simple matter is solved on the spot (closed with its outcome); a general one
    runs 2 working days; a complex one must report progress within 5 (svc_setting)."""
    now = now or runner.now_utc()
    kind = data["kind"]
    if kind not in STUCK_KINDS:
        raise InvalidInput(f"kind is one of {', '.join(STUCK_KINDS)}", code="kind_unknown")
    unit = unit_in_scope(session, data["unit_id"], principal)
    if kind == "simple" and not (data.get("outcome") or "").strip():
        raise InvalidInput("a simple matter is solved on the spot: give its outcome",
                           code="outcome_required")
    row = StuckMatter(number=new_number(session, "BBC", now=now, settings=settings),
                      state="open", version=1, owner_unit_id=unit.id,
                      owner_code=unit.seat_code, kind=kind,
                      applicant_name=data["applicant_name"],
                      applicant_phone=data["applicant_phone"], matter=data["matter"],
                      application_id=data.get("application_id"), opened_at=now)
    session.add(row)
    session.flush()
    runner.open_case(context(session, now=now, actor=principal.username, settings=settings),
                     STUCK_TYPE, row, note=data["matter"][:200])
    if kind == "simple":
        move(session, STUCK_TYPE, row, "close", principal=principal, settings=settings,
             now=now, data={"outcome": data["outcome"]})
    return row


def stuck_dict(session: Session, row: StuckMatter) -> dict:
    sub = Subject("svc_stuck_matter", row.id)
    return {"id": row.id, "number": row.number, "kind": row.kind,
            "kind_label": STUCK_KINDS[row.kind], "state": row.state,
            "state_label": STUCK.labels[row.state], "version": row.version,
            "matter": row.matter, "opened_at": row.opened_at,
            "progress_reported_at": row.progress_reported_at, "closed_at": row.closed_at,
            "outcome": row.outcome, "escalated_at": row.escalated_at,
            "escalated_to_unit_id": row.escalated_to_unit_id,
            "clocks": [clocks.clock_dict(c) for c in clocks.clocks_of(session, sub)],
            "timeline": timeline.events_of(session, sub)}


def load_scoped(session: Session, model: type, subject_id: int, principal: Principal):
    row = session.scalar(select(model).where(
        model.id == subject_id, Scope.of(principal).column_condition(model.owner_code)))
    if row is None:
        raise NotFound(f"no {model.__tablename__} {subject_id} in your territory")
    return row


# --- the weekly refusal report -----------------------------------------------------------

def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def make_refusal_reports(session: Session, *, week: date, now: datetime,
                         area_code: str = "") -> list[dict]:
    """The refusals of the week starting `week`, per county, each county's report to its
    supervising office (the 行政审批服务局, else the 政务服务中心); idempotent: a refusal
    already reported stays on its report."""
    start = week_start(week)
    made = []
    if len(area_code) > 6:
        # A report is a whole county's, to the county's office: a township's caller
        # cannot compile one without taking in the other townships' refusals.
        return made
    counties = session.execute(text("""
        SELECT DISTINCT substr(u.seat_code, 1, 6) AS county FROM svc_refusal r
        JOIN unit u ON u.id = r.unit_id
        WHERE r.report_id IS NULL AND r.at >= :start AND r.at < :end
          AND u.seat_code >= :low AND u.seat_code < :high ORDER BY 1"""),
        {"start": start, "end": start + timedelta(days=7), **subtree_range(area_code)}
    ).scalars().all()
    for county in counties:
        office = unit_by_code(session, f"{county}-department-government_services") \
            or unit_by_code(session, f"{county}-service_hall")
        report = session.scalar(select(RefusalReport).where(
            RefusalReport.county_code == county, RefusalReport.week_start == start))
        if report is None:
            report = RefusalReport(county_code=county, week_start=start, count=0,
                                   supervisor_unit_id=office.id if office else None,
                                   created_at=now)
            session.add(report)
            session.flush()
        count = session.execute(text("""
            UPDATE svc_refusal r SET report_id = :report FROM unit u
            WHERE u.id = r.unit_id AND substr(u.seat_code, 1, 6) = :county
              AND r.report_id IS NULL AND r.at >= :start AND r.at < :end"""),
            {"report": report.id, "county": county, "start": start,
             "end": start + timedelta(days=7)}).rowcount
        report.count += count
        made.append({"id": report.id, "county_code": county, "week_start": start,
                     "count": report.count, "supervisor_unit_id": report.supervisor_unit_id})
        if office is not None:
            from core.workflow import notify
            from core.workflow.kernel import Notice

            notify.send(session, Subject("svc_refusal_report", report.id),
                        Notice("convenience.refusals",
                               f"否定事项周报 {start}：{report.count}件待审查",
                               unit_ids=(office.id,)))
    return made


def report_dict(session: Session, report_id: int, principal: Principal) -> dict:
    report = session.get(RefusalReport, report_id)
    if report is None or not Scope.of(principal).covers_code(report.county_code):
        raise NotFound(f"no refusal report {report_id}", code="report_not_found")
    refusals = session.execute(text("""
        SELECT r.id, r.kind, r.reason, r.at, r.by, r.finding, r.finding_note, r.reviewed_by,
               r.version, a.number, i.name AS item, u.name AS unit
        FROM svc_refusal r JOIN svc_application a ON a.id = r.application_id
        JOIN svc_item i ON i.id = a.item_id JOIN unit u ON u.id = r.unit_id
        WHERE r.report_id = :id ORDER BY r.at, r.id"""), {"id": report_id})
    return {"id": report.id, "county_code": report.county_code,
            "week_start": report.week_start, "count": report.count,
            "supervisor_unit_id": report.supervisor_unit_id,
            "refusals": [dict(r._mapping) | {"kind_label": REFUSAL_KINDS[r.kind]}
                         for r in refusals]}


def review_refusal(session: Session, refusal_id: int, *, finding: str, note: str,
                   version: int, actor: str, now: datetime, principal: Principal) -> dict:
    """The supervising office's finding on one refusal: justified or not (合理/不合理)."""
    if finding not in ("justified", "unjustified"):
        raise InvalidInput("finding is justified or unjustified", code="finding_unknown")
    refusal = session.get(Refusal, refusal_id, with_for_update=True)
    if refusal is None or refusal.report_id is None:
        raise NotFound(f"no reported refusal {refusal_id}", code="refusal_not_found")
    report = session.get(RefusalReport, refusal.report_id)
    if not Scope.of(principal).covers_code(report.county_code):
        raise NotFound(f"no reported refusal {refusal_id}", code="refusal_not_found")
    if refusal.version != version:
        raise Conflict("the refusal changed since you read it", code="stale_version",
                       current_version=refusal.version)
    refusal.finding, refusal.finding_note = finding, note
    refusal.reviewed_by, refusal.reviewed_at, refusal.version = actor, now, refusal.version + 1
    timeline.add(session, Subject("svc_application", refusal.application_id), actor=actor,
                 action="refusal.reviewed", note=note, at=now,
                 data={"refusal": refusal.id, "finding": finding})
    return {"id": refusal.id, "finding": finding, "version": refusal.version}
