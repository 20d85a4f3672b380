"""GeoReport v2 services: what residents may report, and how to describe it (GET Service
List, GET Service Definition, Service Discovery; sections of GeoReport_v2.md).

Two sources: every platform's intake (core/workflow/intake.py; the grid's 小类) and the
convenience catalogue's items an admin opened to reports (`svc_item.takes_reports`, issue 15
§8: "the convenience items that take reports"), whose 实施编码 is the service_code. An item
of the catalogue that does not take reports is neither listed nor accepted: a POST naming
it gets a 400 saying so, not a 404 that would suggest a typo.
"""

from collections.abc import Mapping, Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from convenience.open311.models import ServiceAttribute
from core.errors import InvalidInput, NotFound
from core.workflow import intake
from core.workflow.intake import OfferedService

SPEC = "http://wiki.open311.org/GeoReport_v2"
CATALOGUE_GROUP = "政务服务事项"

_CATALOGUE_SQL = """
    SELECT i.impl_code, i.name, i.item_code, i.conditions, i.takes_reports,
           d.name AS department
    FROM svc_item i JOIN department d ON d.code = i.department_code
    WHERE i.is_active {where} ORDER BY i.impl_code"""


def _catalogue_service(row: Mapping) -> OfferedService:
    return OfferedService(code=row["impl_code"], name=row["name"],
                          group=f"{CATALOGUE_GROUP}·{row['department']}",
                          description=f"对{row['department']}“{row['name']}”办理情况的反映、咨询或投诉",
                          keywords=row["item_code"], notice="")


def catalogue_services_taking_reports(session: Session) -> list[OfferedService]:
    """便民服务 catalogue items that take reports (an admin's flag, migration 0025)."""
    rows = session.execute(text(_CATALOGUE_SQL.format(where="AND i.takes_reports")))
    return [_catalogue_service(row) for row in rows.mappings()]


# The catalogue item of one code (`:code`), also read as a column of the POST's facts
# (convenience/open311/facts.py).
CATALOGUE_ITEM_SQL = _CATALOGUE_SQL.format(where="AND i.impl_code = :code")


def _catalogue_row(session: Session, code: str) -> Mapping | None:
    return session.execute(text(CATALOGUE_ITEM_SQL), {"code": code}).mappings().first()


def _offered_item(row: Mapping | None, code: str) -> OfferedService | None:
    """An item's row as a service, if it takes reports; InvalidInput (400) if it exists but
    does not; None if there is no such item."""
    if row is None:
        return None
    if not row["takes_reports"]:
        raise InvalidInput(f"service_code {code} ({row['name']}) does not take reports",
                           code="service_not_taking_reports")
    return _catalogue_service(row)


def catalogue_service(session: Session, code: str) -> OfferedService | None:
    """The catalogue item of 实施编码 `code` as a service (see `_offered_item`)."""
    return _offered_item(_catalogue_row(session, code), code)


def is_catalogue_service(session: Session, code: str) -> bool:
    return session.scalar(text("SELECT EXISTS (SELECT 1 FROM svc_item WHERE impl_code = :c "
                               "AND is_active AND takes_reports)"), {"c": code})


def resolve_service(session: Session, code: str, *, item: Mapping | None
                    ) -> tuple[OfferedService, bool]:
    """`find_service` and `is_catalogue_service` at once, the catalogue's row of the code
    (`item`, CATALOGUE_ITEM_SQL's) already read: the service, and whether it is a
    catalogue item that takes reports."""
    catalogue = item is not None and bool(item["takes_reports"])
    found = intake.find(session, code)
    if found is not None:
        return found[1], catalogue
    offered_item = _offered_item(item, code)
    if offered_item is None:
        raise NotFound(f"service_code {code} was not found", code="service_unknown")
    return offered_item, True


def offered(session: Session) -> list[OfferedService]:
    return intake.services(session) + catalogue_services_taking_reports(session)


def find_service(session: Session, code: str) -> OfferedService:
    """The service `code`: a platform's, else a catalogue item that takes reports; NotFound
    (404: "service_code … was not found"), InvalidInput (400) for an item closed to them."""
    found = intake.find(session, code)
    if found is not None:
        return found[1]
    item = catalogue_service(session, code)
    if item is None:
        raise NotFound(f"service_code {code} was not found", code="service_unknown")
    return item


def service_list(session: Session) -> list[dict]:
    """GET Service List: every service; `metadata` true (each has a definition: at least
    the attributes every service shares and its notice)."""
    return [{"service_code": s.code, "service_name": s.name, "description": s.description,
             "metadata": True, "type": "realtime", "keywords": s.keywords, "group": s.group}
            for s in offered(session)]


def attributes_of(session: Session, service: OfferedService) -> list[dict]:
    """The attributes of a service: the shared ones ('' in the table), its own, and its
    notice (e.g. a 小类's 立案条件) as an informational attribute (variable false)."""
    table = ServiceAttribute.__table__
    rows = session.execute(select(table).where(table.c.service_code.in_(("", service.code)))
                           .order_by(table.c.sort_order, table.c.id)).mappings().all()
    return attributes_from(rows, service)


# The rows `attributes_from` takes, as one json array (a column of the POST's facts).
ATTRIBUTES_JSON_SQL = """
    SELECT coalesce(json_agg(row_to_json(a) ORDER BY a.sort_order, a.id), '[]'::json)
    FROM open311_attribute a WHERE a.service_code IN ('', :code)"""


def attributes_from(rows: Sequence[Mapping], service: OfferedService) -> list[dict]:
    """`attributes_of` from the service's attribute rows, in their order."""
    attributes = [{"variable": row["variable"], "code": row["code"],
                   "datatype": row["datatype"], "required": row["required"],
                   "datatype_description": row["datatype_description"],
                   "order": row["sort_order"], "description": row["description"],
                   "values": [{"key": v["key"], "name": v["name"]} for v in row["values"]]}
                  for row in rows]
    if service.notice:
        attributes.append({"variable": False, "code": "notice", "datatype": "text",
                           "required": False, "datatype_description": "",
                           "order": max([a["order"] for a in attributes], default=0) + 1,
                           "description": f"受理条件：{service.notice}", "values": []})
    return attributes


def service_definition(session: Session, code: str) -> dict:
    service = find_service(session, code)
    return {"service_code": service.code, "attributes": attributes_of(session, service)}


def discovery(base_url: str) -> dict:
    """Service Discovery: where this GeoReport v2 endpoint is, in which formats."""
    return {"changeset": "2026-12-07T00:00:00Z", "contact": "12345 政务服务便民热线",
            "key_service": "向本级政务服务管理部门申请 api_key（gridgov open311 key create）",
            "endpoints": [{"specification": SPEC, "url": f"{base_url}/open311/v2",
                           "changeset": "2026-12-07T00:00:00Z", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
