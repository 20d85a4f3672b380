"""Citizen reports (市民随手拍, Open311, 12345 about a place) become incidents: the grid's
answer to the kernel's intake registry (core/workflow/intake.py), registered in
grid/platform.py. A report goes down the one report path (service.report): located,
timed, checked for duplicates, held by the village centre, audited.

The reporter of record is one system account per deployment ("citizen_reports", no usable
password): the resident has no account, and his contact details stay with the front door
that took the report (e.g. convenience's Open311 request), not on the incident.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.security import Principal
from core.users.enums import Role
from core.users.system import CITIZEN_REPORTS, citizen_reports_account
from core.workflow.clocks import Subject
from core.workflow.intake import CitizenReport, Intake, OfferedService
from grid.incidents.case_type import SUBJECT
from grid.incidents.schemas import ReportIn
from grid.incidents.service import report

DESCRIPTION_MAX = 2000  # ReportIn.description

_SERVICES_SQL = """
    SELECT m.code, m.name, p.name AS group_name, m.filing_condition
    FROM category m JOIN category p ON p.id = m.parent_id
    WHERE m.level = 'minor' AND m.active AND p.active {where}
    ORDER BY p.sort, p.code, m.sort, m.code"""


def offered_services(session: Session) -> list[OfferedService]:
    """Every active 小类 (of an active 大类): a service residents may report."""
    return [_offered(row) for row in session.execute(text(_SERVICES_SQL.format(where="")))]


def offered_service(session: Session, code: str) -> OfferedService | None:
    row = session.execute(text(_SERVICES_SQL.format(where="AND m.code = :code")),
                          {"code": code}).first()
    return _offered(row) if row is not None else None


def _offered(row) -> OfferedService:
    return OfferedService(code=row.code, name=row.name, group=row.group_name,
                          description=f"{row.group_name} · {row.name}",
                          keywords=f"{row.name},{row.group_name}",
                          notice=row.filing_condition or "")


def take_report(session: Session, data: CitizenReport, settings) -> Subject:
    """File a citizen report as an incident of its 小类 (source 市民随手拍 or 12345). The
    system account reports anywhere (scope "": every area), as a centre's desk would; a
    point outside every grid is the report path's own 422."""
    principal = Principal(citizen_reports_account(session), CITIZEN_REPORTS[0],
                          Role.village_staff, "")
    description = data.description.strip() or "市民随手拍"
    if len(description) > DESCRIPTION_MAX:
        description = description[:DESCRIPTION_MAX - 1] + "…"
    reported = report(session, principal=principal, data=ReportIn.model_validate({
        "location": {"type": "Point", "coordinates": [data.lon, data.lat]},
        "category": data.service_code, "description": description,
        "source": data.source, "address": data.address[:200],
        "photos": [{"content_type": kind, "data": body} for kind, body in data.photos]}),
        idempotency_key=data.key, settings=settings)
    return Subject(SUBJECT, reported.incident_id)


INTAKE = Intake(platform="grid", subject_type=SUBJECT, services=offered_services,
                service=offered_service, take=take_report)
