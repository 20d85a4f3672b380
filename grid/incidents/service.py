"""Incidents: reporting (上报), reading in scope, and the shapes the API returns.

Keyword-only functions on a sync session; they flush, the edge commits. The moves after
reporting (transitions, hand-offs) are in grid/incidents/flows.py.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import and_, select, text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.orm import Session

from core import audit
from core.codes import chain_codes, level_of_code
from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.units.service import unit_names
from core.users.enums import Role
from core.workflow import clocks, idempotency, links, notify, rows, timeline
from core.workflow.calendar_store import load_calendar
from core.workflow.clocks import Subject, clock_dict
from core.workflow.handoffs import handoff_dict, handoffs_of
from core.workflow.kernel import Actor, ClockOp, Notice
from core.workflow.rows import Row, Sql
from geo.locate import to_wgs84_point
from grid.categories.service import minor_of
from grid.incidents.case_type import SUBJECT, mirror_step, rule_of
from grid.incidents.enums import LABELS_ZH, Source, State, Step
from grid.incidents.models import Incident, IncidentReporter
from grid.incidents.photos import check_photos, photo_dict, photos_of, store_photos
from grid.incidents.placing import place_of
from grid.incidents.schemas import ReportIn
from grid.incidents.workflow import INCIDENT_WORKFLOW
from grid.models import GridWorker, grid_assignment

SOURCE_OF_ROLE = {Role.grid_worker: Source.grid_worker, Role.county_dispatcher: Source.hotline,
                  Role.enforcement_officer: Source.inspection,
                  Role.market_inspector: Source.inspection}


@dataclass(frozen=True)
class Reported:
    incident_id: int
    replayed: bool  # True: the key was seen before, this is the first result again
    body: dict | None = None  # a new report's detail, built from what was written
    session: Session | None = field(default=None, repr=False, compare=False)

    @property
    def incident(self) -> Incident:
        """The incident as the session holds it, loaded when asked: a new report is
        written as data, not as an ORM object (the route needs only its id and body)."""
        return self.session.get(Incident, self.incident_id)


@dataclass(frozen=True)
class _Extra:
    """What `_incident_dict` reads beside the row (`incidents_out` selects it)."""

    lon: float
    lat: float
    category_code: str
    category_name: str
    owner_area_name: str | None
    owner_unit_name: str | None
    handler_unit_name: str | None


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- scope -------------------------------------------------------------------------------

def scope_condition(scope: Scope):
    """Incidents inside a territory: the grid's code in the scope's range (and, for a grid
    worker, the grid among theirs). A condition in the query, never a filter after it."""
    condition = scope.column_condition(Incident.grid_code)
    if scope.own_grids_of is not None:
        own = (select(grid_assignment.c.grid_id)
               .join(GridWorker, GridWorker.id == grid_assignment.c.worker_id)
               .where(GridWorker.user_id == scope.own_grids_of))
        condition = and_(condition, Incident.grid_id.in_(own))
    return condition


@lru_cache(maxsize=1024)
def _compiled_scope(scope: Scope) -> tuple[str, tuple]:
    compiled = scope_condition(scope).compile(dialect=psycopg_dialect.dialect())
    return str(compiled), tuple(compiled.params.items())


def scope_sql(scope: Scope) -> tuple[str, dict]:
    """`scope_condition` as psycopg text and its parameters, for the hand-written SQL of
    the KPIs and the map layers. Compiled once per scope (~0.1–0.4 ms each time before);
    the parameters are a fresh dict, as callers add theirs to it."""
    sql, params = _compiled_scope(scope)
    return sql, dict(params)


def get_incident(session: Session, *, incident_id: int, scope: Scope) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.id == incident_id,
                                                     scope_condition(scope)))
    if incident is None:
        raise NotFound(f"no incident {incident_id} in your territory")
    return incident


# --- reporting ---------------------------------------------------------------------------

def report(session: Session, *, principal: Principal, data: ReportIn, idempotency_key: str,
           settings: Settings) -> Reported:
    """File a report (上报): locate it, time its filing step, flag duplicates, notify the
    village centre. A replayed key returns the first incident and stores nothing new."""
    key = idempotency.checked_key(idempotency_key)
    fingerprint = idempotency.fingerprint(data)
    photos = check_photos(data.photos, settings=settings)
    lon, lat = to_wgs84_point(*data.location.coordinates, data.crs)
    reported_at = now_utc()
    place = place_of(session, principal=principal, lon=lon, lat=lat,
                     category=data.category, reported_at=reported_at)
    category = minor_of(place.category, code=data.category)
    incident = _new_incident(
        id=place.incident_id, category_id=category.id, urgency=data.urgency,
        source=data.source or SOURCE_OF_ROLE.get(principal.role, Source.patrol),
        description=data.description, address=data.address, geom=_POINT,
        grid_id=place.grid_id, grid_code=place.grid.code,
        responsible_worker_id=place.worker_id,
        reporter_id=principal.user_id, idempotency_key=key, request_hash=fingerprint,
        state=State.reported, version=1, reported_at=reported_at,
        # The village's centre holds a new report; it is told.
        owner_unit_id=place.centre_id, owner_code=place.village_code,
        # Found by the placing statement: the row is written once, with them and its
        # clock's mirror (each write of an incident is an entry in each of its indexes).
        duplicate_candidates=place.duplicates)
    calendar = load_calendar(session, settings=settings, version=place.calendar_version)
    step = clocks.start_detached(rule_of(category, urgency=data.urgency, step=Step.filing),
                                 now=reported_at, calendar=calendar,
                                 warn_share=settings.deadline_warn_share)
    mirror_step(incident, step, ClockOp("start", step=Step.filing), reported_at)
    subject = Subject(SUBJECT, incident.id)
    event = {"accuracy_m": data.accuracy_m, "duplicates": incident.duplicate_candidates}
    # The incident and the kernel's rows around it in one statement, written only if the
    # key is new (core/workflow/rows.py write_once): its clock, its reporter, its timeline
    # event, the centre's notice and the audit event (unsealed, no lock: the beat seals
    # the chain, core/audit.py). Both ids were drawn by the placing statement: the rows
    # refer to the incident, and the audit event's id is hashed.
    written = rows.write_once(session, _row_of(incident), key_columns=INCIDENT_KEY, rows=[
        clocks.row_of(step, subject, case_type=SUBJECT),
        Row(IncidentReporter.__table__, {"incident_id": incident.id,
                                         "user_id": principal.user_id,
                                         "reported_at": reported_at}),
        timeline.row(subject, actor=principal.username, action="report",
                     to_state=State.reported, data=event, at=reported_at),
        notify.row(session, subject, Notice("incident.reported",
                                            f"新上报事件 #{incident.id}：{category.name}",
                                            (incident.owner_unit_id,)),
                   body=incident.description),
        audit.row(event_id=place.audit_id, actor=principal.username, action="incident.report",
                  subject_type="incident", subject_id=incident.id,
                  after={"state": incident.state, "grid": incident.grid_code,
                         "category": category.code, "urgency": incident.urgency})],
        params={"lon": lon, "lat": lat})
    if written is None:
        # A replay: the first report with this key, written before or concurrently.
        first = _replay(session, reporter_id=principal.user_id, key=key,
                        fingerprint=fingerprint)
        return Reported(first.id, replayed=True, session=session)
    stored = (store_photos(session, incident_id=incident.id, photos=photos, kind="report",
                           user_id=principal.user_id, settings=settings) if photos else [])
    # The 201's body from what was just written, not read back (8 statements fewer on the
    # hottest write; tests/grid/incidents/test_reporting.py compares it with a GET).
    body = {**_incident_dict(incident, _Extra(lon, lat, category.code, category.name,
                                              place.chain[-2].name, place.centre_name, None),
                             [vars(link) for link in place.chain], principal),
            "timeline": [
                {"at": reported_at, "actor": principal.username, "action": "report",
                 "from_state": None, "to_state": State.reported, "note": None,
                 "data": event,
                 "actor_name": timeline.actor_name(principal.username, place.reporter_name)}],
            "handoffs": [], "links": [], "clocks": [clock_dict(step)],
            "photos": [photo_dict(p) for p in stored], "reporters": [principal.user_id]}
    return Reported(incident.id, replayed=False, body=body, session=session)


INCIDENT_KEY = ("reporter_id", "idempotency_key")  # its unique index: uq_incident_idempotency
_INCIDENT_TABLE = Incident.__table__
_NO_VALUES = dict.fromkeys(column.key for column in _INCIDENT_TABLE.columns)
_POINT = Sql("ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)")


def _new_incident(**values) -> SimpleNamespace:
    """A new incident as data, every column an attribute (as a new ORM object reads:
    None where unset, the columns' Python-side defaults), for `mirror_step`, the row and
    the body; no ORM object, no unit of work (bench/README.md, intake)."""
    return SimpleNamespace(**{**_NO_VALUES, **Row.new(_INCIDENT_TABLE, values).values})


def _row_of(incident: SimpleNamespace) -> Row:
    """The columns that hold a value (a NULL column has no server default to differ)."""
    return Row(_INCIDENT_TABLE, {column: value for column, value in vars(incident).items()
                                 if value is not None})


def _replay(session: Session, *, reporter_id: int, key: str, fingerprint: str
            ) -> Incident:
    return idempotency.replayed(session, Incident, submitter_column="reporter_id",
                                submitter=reporter_id, key=key, request_hash=fingerprint)


# --- timeline and notifications ----------------------------------------------------------

def add_event(session: Session, incident: Incident, *, actor: str, action: str,
              from_state: str | None = None, to_state: str | None = None,
              note: str | None = None, data: dict | None = None, at: datetime | None = None
              ) -> None:
    timeline.add(session, Subject(SUBJECT, incident.id), actor=actor, action=action,
                 from_state=from_state, to_state=to_state, note=note, data=data, at=at)


def notify_owner(session: Session, incident: Incident, *, topic: str, title: str) -> None:
    """Tell the desks of the unit that holds the incident."""
    notify.send(session, Subject(SUBJECT, incident.id),
                Notice(topic, title, (incident.owner_unit_id,)), body=incident.description)


# --- reading -----------------------------------------------------------------------------

def allowed_actions(incident: Incident, principal: Principal) -> list[str]:
    """The moves the caller may make now: by role and state, and who they are (a task is
    its handling unit's)."""
    return INCIDENT_WORKFLOW.available(
        {"state": incident.state, "handler_unit_id": incident.handler_unit_id,
         "handler_user_id": incident.handler_user_id, "owner_unit_id": incident.owner_unit_id},
        Actor.of(principal, today=date.today()))


def incidents_out(session: Session, incidents: list[Incident], principal: Principal
                  ) -> list[dict]:
    """The API shape of several incidents, with three queries whatever their number."""
    if not incidents:
        return []
    extras = {row.id: row for row in session.execute(text("""
        SELECT i.id, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, c.code AS category_code,
               c.name AS category_name, o.name AS owner_area_name,
               ou.name AS owner_unit_name, hu.name AS handler_unit_name
        FROM incident i JOIN category c ON c.id = i.category_id
        LEFT JOIN area o ON o.code = i.owner_code
        LEFT JOIN unit ou ON ou.id = i.owner_unit_id
        LEFT JOIN unit hu ON hu.id = i.handler_unit_id
        WHERE i.id = ANY(:ids)"""), {"ids": [i.id for i in incidents]})}
    chains = chains_of(session, {i.grid_code for i in incidents})
    return [_incident_dict(i, extras[i.id], chains[i.grid_code], principal) for i in incidents]


def incident_out(session: Session, incident: Incident, principal: Principal) -> dict:
    return incidents_out(session, [incident], principal)[0]


def chains_of(session: Session, grid_codes: set[str]) -> dict[str, list[dict]]:
    """Each grid's chain of areas, city first, from the codes (a code is its path)."""
    wanted = {code: chain_codes(code) for code in grid_codes}
    names = {row.code: row for row in session.execute(text(
        "SELECT level, code, name FROM area WHERE code = ANY(:codes)"),
        {"codes": sorted({c for chain in wanted.values() for c in chain})})}
    return {code: [{"level": names[c].level, "code": c, "name": names[c].name}
                   for c in chain if c in names]
            for code, chain in wanted.items()}


def _incident_dict(incident: Incident, extra, chain: list[dict], principal: Principal) -> dict:
    return {
        "id": incident.id, "state": incident.state,
        "state_label": LABELS_ZH[State(incident.state)], "version": incident.version,
        "category": {"code": extra.category_code, "name": extra.category_name},
        "urgency": incident.urgency, "source": incident.source,
        "description": incident.description, "address": incident.address,
        "location": {"type": "Point", "coordinates": [extra.lon, extra.lat]},
        "grid": chain[-1], "chain": chain,
        "owner": {"code": incident.owner_code, "name": extra.owner_area_name,
                  "level": level_of_code(incident.owner_code),
                  "platform": incident.owner_platform, "unit_id": incident.owner_unit_id,
                  "unit_name": extra.owner_unit_name},
        "handler_unit": ({"id": incident.handler_unit_id, "name": extra.handler_unit_name}
                         if incident.handler_unit_id else None),
        "handler_user_id": incident.handler_user_id,
        "responsible_worker_id": incident.responsible_worker_id,
        "reported_at": incident.reported_at, "filed_at": incident.filed_at,
        "closed_at": incident.closed_at, "step": incident.step,
        "step_due_at": incident.step_due_at, "step_warn_at": incident.step_warn_at,
        "deadline": incident.deadline, "rework_count": incident.rework_count,
        "escalation_count": incident.escalation_count,
        "merged_into": incident.merged_into_id, "rating": incident.rating,
        "duplicate_candidates": incident.duplicate_candidates or [],
        "allowed_actions": allowed_actions(incident, principal),
    }


def incident_detail(session: Session, incident: Incident, principal: Principal) -> dict:
    subject = Subject(SUBJECT, incident.id)
    handoffs = handoffs_of(session, subject)
    photos = photos_of(session, incident.id)
    reporters = session.scalars(select(IncidentReporter.user_id)
                                .where(IncidentReporter.incident_id == incident.id)
                                .order_by(IncidentReporter.reported_at)).all()
    units = unit_names(session, {u for h in handoffs for u in (h.from_unit_id, h.to_unit_id)})
    return {**incident_out(session, incident, principal),
            "timeline": timeline.with_actor_names(session, timeline.events_of(session, subject)),
            "handoffs": [handoff_dict(h, units) for h in handoffs],
            "links": links.links_of(session, subject),
            "clocks": [clock_dict(c) for c in clocks.clocks_of(session, subject)],
            "photos": [photo_dict(p) for p in photos],
            "reporters": list(reporters)}

