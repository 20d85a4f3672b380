"""The incident routes: thin, the rules are in service.py and flows.py."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field, TypeAdapter

from core.attachments.service import file_of
from core.deps import Requires, SessionDep, in_one_thread
from core.exports import LIST_FORMATS, MEDIA_TYPES, table_response
from core.scope import Scope
from core.security import Principal
from core.units.service import unit_names
from core.users.enums import Permission
from core.workflow.handoffs import handoff_dict
from grid.incidents import flows, handoffs, lists, service
from grid.incidents.enums import DeadlineColour, State
from grid.incidents.export import EXPORT_COLUMNS, export_rows
from grid.incidents.photos import check_photos, photo_dict, photo_of, store_photos
from grid.incidents.schemas import (
    ActionIn,
    AnswerIn,
    HandoffIn,
    HandoffOut,
    IncidentDetail,
    IncidentOut,
    IncidentPage,
    PhotoIn,
    PhotoOut,
    ReportIn,
)
from grid.permissions import GridPermission

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Reader = Annotated[Principal, Depends(Requires(GridPermission.incidents_read))]
# The report's rate limit is counted in the route's one thread (core/deps.py in_one_thread).
Reporter = Annotated[Principal, Depends(Requires(GridPermission.incidents_report,
                                                 count_in_thread=True))]
Actor = Annotated[Principal, Depends(Requires(GridPermission.incidents_act))]
HandsOff = Annotated[Principal, Depends(Requires(GridPermission.incidents_hand_off))]
Receiver = Annotated[Principal, Depends(Requires(Permission.hand_offs_receive))]


@router.post("", status_code=201, response_model=IncidentDetail)
async def report(data: ReportIn, principal: Reporter, request: Request,
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
                 ) -> Response:
    """上报: a point, a 小类, a description; the area chain and grid worker are resolved.

    Carry an `Idempotency-Key`: a replay returns the first result (with
    `Idempotent-Replayed: true`) and stores nothing new.
    """
    settings = request.app.state.settings

    def work(session) -> Response:
        done = service.report(session, principal=principal, data=data,
                              idempotency_key=idempotency_key, settings=settings)
        headers = {"Location": f"/api/v1/incidents/{done.incident_id}"}
        if done.replayed:
            headers["Idempotent-Replayed"] = "true"
        # A new report's body is built from what was written; a replay's is read back.
        body = done.body if done.body is not None else service.incident_detail(
            session, done.incident, principal)
        return Response(_DETAIL.dump_json(_DETAIL.validate_python(body)), status_code=201,
                        media_type="application/json", headers=headers)

    # The report, its body (checked and serialised against the response model, as FastAPI
    # would in one more hop) and the commit in one thread-pool hop (core/deps.py).
    return await in_one_thread(request, work)


_DETAIL = TypeAdapter(IncidentDetail)


def incident_filter(
    state: Annotated[list[State] | None, Query()] = None,
    deadline: DeadlineColour | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    area: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$")] = None,
    queue: Literal[lists.QUEUES] | None = None,
    since: datetime | None = None, until: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description=(
        "a 编号 (digits: that incident) or words of the description or address"))] = None,
    reporter: Annotated[str | None, Query(max_length=64, description=(
        "a reporter's name or user name, or a part of it"))] = None,
) -> lists.IncidentFilter:
    """The list's filters, shared by the list and its export."""
    return lists.IncidentFilter(states=tuple(state or ()), deadline=deadline,
                                category=category, area=area, queue=queue,
                                since=since, until=until, q=q or None,
                                reporter=reporter or None)


Filters = Annotated[lists.IncidentFilter, Depends(incident_filter)]
Sort = Annotated[Literal[lists.SORTS], Query(description=(
    "deadline: open first, then red, yellow, green, soonest due first; the others by that "
    "column"))]
Order = Annotated[Literal[lists.ORDERS] | None, Query(description=(
    "asc or desc; none: the sort's natural direction"))]
EXPORT_MAX_ROWS = 100_000


@router.get("", response_model=IncidentPage)
def list_incidents(
    principal: Reader, session: SessionDep, filters: Filters,
    sort: Sort = "reported", order: Order = None,
    facets: Annotated[bool, Query(description="also count by state and colour")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """Incidents of the caller's territory. `queue=mine` is the unit's queue, `sign` the
    hand-offs waiting for its signature; `q` searches by 编号 or words, `reporter` by who
    reported, `since`/`until` the report's date, `area` any area of the territory;
    `sort=deadline` puts open before finished, then red, then yellow, each soonest due
    first; `facets=true` adds the counts per state and deadline colour."""
    counts = lists.facets(session, principal=principal, filters=filters) if facets else None
    total, page = lists.list_incidents(session, principal=principal, filters=filters,
                                       limit=limit, offset=offset, sort=sort, order=order,
                                       total=counts.total if counts else None)
    answer = {"total": total, "items": service.incidents_out(session, page, principal)}
    if counts:
        answer |= {"by_state": counts.by_state, "by_deadline": counts.by_deadline}
    return answer


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {
    MEDIA_TYPES["xlsx"]: {}, MEDIA_TYPES["csv"]: {}}}})
def export_incidents(principal: Reader, session: SessionDep, filters: Filters,
                     format: Literal[LIST_FORMATS] = "xlsx", sort: Sort = "deadline",
                     order: Order = None):
    """The same list as an Excel (xlsx) or CSV file: every incident the filters select
    (up to 100,000), with Chinese column headers."""
    rows = lists.iter_incidents(session, principal=principal, filters=filters, sort=sort,
                                order=order, limit=EXPORT_MAX_ROWS)
    return table_response(export_rows(session, rows), EXPORT_COLUMNS,
                          filename="事件列表", format=format)


@router.get("/{incident_id}", response_model=IncidentDetail)
def get_incident(incident_id: int, principal: Reader, session: SessionDep):
    """One incident with its timeline, hand-offs, photos and the caller's possible actions."""
    incident = service.get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    return service.incident_detail(session, incident, principal)


@router.post("/{incident_id}/actions/{action}", response_model=IncidentOut)
def act(incident_id: int, action: str, data: ActionIn, principal: Actor, session: SessionDep,
        request: Request):
    """One lifecycle move: file, dispatch, accept, return, handle, verify, rework, close,
    evaluate, suspend, resume, void, merge. 409 names the current state and what is allowed."""
    incident = flows.act(session, incident_id=incident_id, name=action, data=data,
                         principal=principal, settings=request.app.state.settings)
    return service.incident_out(session, incident, principal)


@router.post("/{incident_id}/handoffs", status_code=201, response_model=HandoffOut)
def hand_off(incident_id: int, data: HandoffIn, principal: HandsOff, session: SessionDep,
             request: Request):
    """流转: escalate one level up, assign down to a unit, or refer to a unit (or the most
    local unit of a platform or department) whose territory contains the incident."""
    handoff = handoffs.hand_off(session, incident_id=incident_id, data=data,
                                principal=principal, settings=request.app.state.settings)
    return _with_names(session, handoff)


@router.post("/{incident_id}/handoffs/{handoff_id}/sign", response_model=HandoffOut)
def sign_handoff(incident_id: int, handoff_id: int, principal: Receiver, session: SessionDep,
                 request: Request):
    """签收: the receiving unit takes the incident."""
    handoff = handoffs.answer_handoff(session, incident_id=incident_id, handoff_id=handoff_id,
                                      sign=True, reason=None, principal=principal,
                                      settings=request.app.state.settings)
    return _with_names(session, handoff)


@router.post("/{incident_id}/handoffs/{handoff_id}/return", response_model=HandoffOut)
def return_handoff(incident_id: int, handoff_id: int, data: AnswerIn, principal: Receiver,
                   session: SessionDep, request: Request):
    """退回: the receiving unit sends it back, with a reason."""
    handoff = handoffs.answer_handoff(session, incident_id=incident_id, handoff_id=handoff_id,
                                      sign=False, reason=data.reason, principal=principal,
                                      settings=request.app.state.settings)
    return _with_names(session, handoff)


def _with_names(session, handoff) -> dict:
    return handoff_dict(handoff, unit_names(session, (handoff.from_unit_id, handoff.to_unit_id)))


class PhotosIn(BaseModel):
    kind: Literal["report", "before", "after"]
    photos: list[PhotoIn] = Field(min_length=1)


@router.post("/{incident_id}/photos", status_code=201, response_model=list[PhotoOut])
def add_photos(incident_id: int, data: PhotosIn, principal: Actor, session: SessionDep,
               request: Request):
    """Before and after photos (处理前后), from the handler or the verifying grid worker."""
    settings = request.app.state.settings
    photos = check_photos(data.photos, settings=settings)
    incident = service.get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    stored = store_photos(session, incident_id=incident.id, photos=photos, kind=data.kind,
                          user_id=principal.user_id, settings=settings)
    service.add_event(session, incident, actor=principal.username, action="photos",
                      data={"kind": data.kind, "photos": [p.id for p in stored]})
    return [photo_dict(p) for p in stored]


@router.get("/{incident_id}/photos/{photo_id}")
def get_photo(incident_id: int, photo_id: int, principal: Reader, session: SessionDep,
              request: Request, thumbnail: bool = False):
    """The photo file (or its thumbnail, once the worker made it)."""
    incident = service.get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    path, media_type = file_of(photo_of(session, incident.id, photo_id), thumbnail=thumbnail,
                               media_dir=request.app.state.settings.media_dir)
    return FileResponse(path, media_type=media_type,
                        headers={"Cache-Control": "private, max-age=86400, immutable"})
