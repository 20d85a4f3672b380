"""A subject of any platform referred (转办) to an enforcement unit through the kernel's
hand-off waits in that unit's sign queue; when the unit signs it (the kernel's
`handoff.signed` event) it becomes a case (线索登记, source 数字城管 for an incident) linked
to the subject and carrying its photos as evidence; a referral returned (退回) makes none.
The case's closing is reported back on the subject's timeline (flows.py `report_back`).

The subscriber is idempotent: a message delivered twice finds the link and stops.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import get_settings
from core.workflow import links, runner
from core.workflow.clocks import Subject
from enforcement.cases import evidence
from enforcement.cases.case_type import ENFORCEMENT_CASE, SUBJECT
from enforcement.cases.models import Case

PLATFORM = "enforcement"
SOURCE_OF = {"incident": "grid_referral"}  # any other platform's subject: 移送


def open_from_referral(session: Session, payload: dict) -> Case | None:
    if payload.get("to_platform") != PLATFORM:
        return None
    source = Subject(payload["subject_type"], payload["subject_id"])
    if links.linked(session, source, kind="referred", other_type=SUBJECT):
        return None
    seat = session.execute(text("SELECT seat_code FROM unit WHERE id = :id"),
                           {"id": payload["to_unit_id"]}).scalar_one()
    point = payload.get("point")
    now = runner.now_utc()
    case = Case(procedure="ordinary", state="clue", version=1,
                owner_unit_id=payload["to_unit_id"], owner_code=seat,
                owner_platform=PLATFORM, area_code=payload["area_code"],
                source=SOURCE_OF.get(source.type, "transfer"),
                title=(payload.get("reason") or "转办线索")[:200],
                facts=f"由{source.type} #{source.id}转办：{payload.get('reason') or ''}",
                opened_at=now,
                geom=f"SRID=4326;POINT({point[0]} {point[1]})" if point else None)
    session.add(case)
    session.flush()
    runner.open_case(runner.Context(session, get_settings(), now, "system"),
                     ENFORCEMENT_CASE, case, note=payload.get("reason"),
                     data={"from": {"type": source.type, "id": source.id},
                           "handoff": payload.get("handoff_id")})
    links.link(session, source, Subject(SUBJECT, case.id), kind="referred", actor="system")
    evidence.carry_over(session, case, source, actor="system")
    return case
