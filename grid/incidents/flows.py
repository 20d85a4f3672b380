"""Moves after reporting: the lifecycle transitions (hand-offs are in handoffs.py).

Every move goes through the kernel's runner (core/workflow/runner.py: lock, version,
the pure decision declared in grid/incidents/workflow.py, clocks, timeline, notices,
audit), in the one transaction of the edge. Here is only what needs the database before
a move (is the dispatch unit one that covers the incident? is the merge target open?) and
after it (a merge hands the reporters and photos over).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.units.service import get_unit, members_of
from core.workflow import links, runner, timeline
from core.workflow.clocks import Subject
from core.workflow.handoffs import covers
from grid.incidents.case_type import INCIDENT, extra_facts
from grid.incidents.enums import FINAL
from grid.incidents.models import Incident, IncidentReporter
from grid.incidents.photos import PHOTO_KINDS, check_photos, merge_photos, store_photos
from grid.incidents.schemas import ActionIn
from grid.incidents.service import get_incident


def act(session: Session, *, incident_id: int, name: str, data: ActionIn,
        principal: Principal, settings: Settings) -> Incident:
    """Make one lifecycle move (立案, 派遣, 签收, ...) on an incident in the caller's scope."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    # Photos are checked before the move and stored after it, in the same transaction: a
    # bad photo refuses the move, and the timeline gets their ids, not their bytes.
    photos = _checked_photos(name, data, settings)
    fields = data.model_dump(exclude={"photos"})
    PREPARE.get(name, _nothing)(session, incident, fields, principal)
    runner.run(session, INCIDENT, incident, name, principal=principal, data=fields,
               expected_version=data.version, settings=settings,
               facts=extra_facts(session, incident))
    AFTER.get(name, _nothing)(session, incident, fields, principal)
    if photos:
        _store_photos(session, incident, name, photos, principal, settings)
    return incident


def _checked_photos(name: str, data: ActionIn, settings: Settings) -> list:
    if not data.photos:
        return []
    if name not in PHOTO_KINDS:
        raise InvalidInput(f"the move {name} takes no photos (only handle: 处理后)",
                           code="photos_not_for_move")
    return check_photos(data.photos, settings=settings)


def _store_photos(session: Session, incident: Incident, move: str, photos: list,
                  principal: Principal, settings: Settings) -> None:
    kind = PHOTO_KINDS[move]
    stored = store_photos(session, incident_id=incident.id, photos=photos, kind=kind,
                          user_id=principal.user_id, settings=settings)
    timeline.add(session, Subject("incident", incident.id), actor=principal.username,
                 action="photos", data={"kind": kind, "photos": [p.id for p in stored]})


def _nothing(session, incident, fields, principal) -> None:
    pass


# What each move needs checked in the database before the runner decides it ...

def _check_dispatch(session: Session, incident: Incident, fields: dict,
                    principal: Principal) -> None:
    if fields.get("handler_unit_id") is None:
        return  # the workflow's guard says what is missing
    try:
        unit = get_unit(session, unit_id=fields["handler_unit_id"])
    except NotFound:
        raise InvalidInput(f"no unit {fields['handler_unit_id']}", code="unit_unknown") from None
    if not covers(session, unit.id, incident.grid_code):
        raise InvalidInput(f"unit {unit.name} does not cover grid {incident.grid_code}: "
                           "dispatch to a unit whose territory contains the incident",
                           code="dispatch_unit_outside")
    if fields.get("handler_user_id") is not None:
        _check_handler_user(session, fields["handler_user_id"], unit.id)


def _check_handler_user(session: Session, user_id: int, unit_id: int) -> None:
    """A named handler is an active member of the unit the task goes to."""
    if user_id not in members_of(session, unit_ids=[unit_id]):
        raise InvalidInput(f"user {user_id} cannot handle this incident: dispatch to an "
                           "active member of the handling unit", code="handler_not_member")


def _check_merge(session: Session, incident: Incident, fields: dict,
                 principal: Principal) -> None:
    into = fields.get("into")
    if into is None:
        return
    if into == incident.id:
        raise InvalidInput("merge needs `into`: the id of another open incident",
                           code="merge_target_required")
    target = get_incident(session, incident_id=into, scope=Scope.of(principal))
    if target.state in FINAL:
        raise Conflict(f"incident {target.id} is {target.state}: merge into an open one",
                       current_state=target.state, code="merge_target_final")


PREPARE = {"dispatch": _check_dispatch, "merge": _check_merge}


# ... and what it does after.

def _merged(session: Session, incident: Incident, fields: dict, principal: Principal) -> None:
    """并单: the target keeps every reporter and photo of the merged incident."""
    into = fields["into"]
    for reporter in session.scalars(select(IncidentReporter).where(
            IncidentReporter.incident_id == incident.id)).all():
        if not session.get(IncidentReporter, (into, reporter.user_id)):
            session.add(IncidentReporter(incident_id=into, user_id=reporter.user_id,
                                         reported_at=reporter.reported_at,
                                         via_incident_id=incident.id))
    merge_photos(session, from_id=incident.id, into_id=into)
    links.link(session, Subject("incident", incident.id), Subject("incident", into),
               kind="merged", actor=principal.username, note=fields.get("reason"))
    timeline.add(session, Subject("incident", into), actor=principal.username,
                 action="merged_in", note=fields.get("reason"), data={"from": incident.id})


AFTER = {"merge": _merged}
