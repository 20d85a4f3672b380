"""The enforcement cases' routes: thin, the rules are in service.py, flows.py, matters.py."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse

from core.deps import Requires, SessionDep
from core.errors import InvalidInput
from core.scope import Scope
from core.security import Principal
from core.workflow.kernel import Workflow
from enforcement.cases import (
    appeals,
    evidence,
    flows,
    lists,
    matters,
    records,
    rules,
    service,
    writings,
)
from enforcement.cases.models import DeclaredConflict
from enforcement.cases.permissions import CasePermission
from enforcement.cases.schemas import (
    ActionIn,
    CaseIn,
    ConflictIn,
    EvidenceIn,
    MatterIn,
    RuleIn,
    WorkbookIn,
)
from enforcement.cases.schemas_appeals import AppealIn, AppealOutcomeIn
from enforcement.cases.workflow import CASE_WORKFLOW, LABELS, STEPS

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"])

Reader = Annotated[Principal, Depends(Requires(CasePermission.cases_read))]
Opener = Annotated[Principal, Depends(Requires(CasePermission.cases_open))]
Actor = Annotated[Principal, Depends(Requires(CasePermission.cases_act))]
MatterReader = Annotated[Principal, Depends(Requires(CasePermission.matters_read))]
Manager = Annotated[Principal, Depends(Requires(CasePermission.matters_manage))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
StateName = Literal[tuple(LABELS)]  # type: ignore[valid-type]
StepName = Literal[tuple(sorted(set(STEPS.values())))]  # type: ignore[valid-type]
Id = Annotated[int, Query(ge=1, le=2**62)]


@router.post("/cases", status_code=201)
def open_case(data: CaseIn, principal: Opener, session: SessionDep, request: Request,
              response: Response,
              idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                            max_length=64)] = None) -> dict:
    """线索登记 (`procedure: ordinary`: the 核查 clock starts) or 当场处罚 (`simple`: a
    warning or a fine within 行政处罚法第五十一条's ceilings; above them 422
    `simple_limit_exceeded` naming the limit)."""
    case, replayed = service.open_case(session, principal=principal, data=data,
                                       settings=request.app.state.settings,
                                       idempotency_key=idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/enforcement/cases/{case.id}"
    return service.case_detail(session, case, principal, settings=request.app.state.settings)


@router.get("/cases")
def list_cases(principal: Reader, session: SessionDep,
               incident: Annotated[int | None, Query(ge=1, le=2**62,
                                                     description="linked to this incident")] = None,
               linked_type: Annotated[str | None, Query(max_length=32)] = None,
               linked_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
               state: Annotated[list[StateName] | None, Query()] = None,
               step: StepName | None = None,
               clock: Literal["green", "yellow", "red"] | None = None,
               procedure: Literal["ordinary", "simple"] | None = None,
               mine: bool = False,
               sort: Literal["new", "deadline", "id", "state", "due", "opened_at"] = "new",
               order: Literal["asc", "desc"] | None = None,
               with_facets: Annotated[bool, Query(alias="facets")] = False,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> dict:
    """The dispatcher's queue: cases of the caller's territory, by state, step and the step
    clock's colour (`clock=red`: overdue); `incident=ID` those opened from that incident
    (or `linked_type`+`linked_id` for any subject); `mine=true` the caller's units' own
    and those their teams were sent to (派遣);
    `sort=deadline` red first, then yellow, soonest due first; `facets=true` adds the
    counts by step and by clock colour. `sort=id|state|due|opened_at` with `order=asc|desc`
    sorts by that column (the console's headers)."""
    if incident is not None:
        linked_type, linked_id = "incident", incident
    filters = lists.CaseFilter(states=tuple(state or ()), step=step, clock=clock,
                               procedure=procedure, linked_type=linked_type,
                               linked_id=linked_id, mine=mine)
    total, rows = lists.list_cases(session, principal=principal, filters=filters,
                                   limit=limit, offset=offset, sort=sort, order=order)
    answer = {"total": total, "items": [service.case_out(c) for c in rows]}
    if with_facets:
        answer |= lists.facets(session, principal=principal, filters=filters)
    return answer


@router.get("/cases/{case_id}")
def get_case(case_id: Annotated[int, Path(ge=1, le=2**62)], principal: Reader,
             session: SessionDep, request: Request) -> dict:
    """One case with its `clocks` (name, due, colour, citation), parties, evidence,
    documents, links, timeline and the moves the caller may make now."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    return service.case_detail(session, case, principal, settings=request.app.state.settings)


@router.post("/cases/{case_id}/actions/{name}")
def act(case_id: Annotated[int, Path(ge=1, le=2**62)],
        name: Annotated[str, Path(max_length=48)], data: ActionIn,
        principal: Actor, session: SessionDep, request: Request) -> dict:
    """One move of the procedure with `{"version": N, ...}`: 409 `stale_version` when the
    case moved on, 409 `move_not_allowed_now` naming what is allowed, 403 for a position
    or a 执法证 the move needs, 422/409 with a stable code for a guard of the law."""
    case = flows.act(session, case_id=case_id, name=name, data=data, principal=principal,
                     settings=request.app.state.settings)
    return service.case_out(case)


@router.post("/cases/{case_id}/appeals", status_code=201)
def file_appeal(case_id: Annotated[int, Path(ge=1, le=2**62)], data: AppealIn,
                principal: Actor, session: SessionDep, request: Request) -> dict:
    """行政复议 or 行政诉讼 against the decision, as filed (`in_time` against the 60-day /
    6-month clock); 409 `appeal_pending` while another awaits its outcome."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    row = appeals.file(session, case, data, principal=principal,
                       settings=request.app.state.settings)
    return appeals.appeal_dict(row)


@router.post("/cases/{case_id}/appeals/{appeal_id}/outcome")
def record_appeal_outcome(case_id: Annotated[int, Path(ge=1, le=2**62)],
                          appeal_id: Annotated[int, Path(ge=1, le=2**62)],
                          data: AppealOutcomeIn, principal: Actor, session: SessionDep,
                          request: Request) -> dict:
    """The outcome (维持/变更/撤销/确认违法 …) with its date and document; a corrected
    decision that was published starts the 3-working-day withdrawal clock."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    row = appeals.record_outcome(session, case, appeal_id, data, principal=principal,
                                 settings=request.app.state.settings)
    return appeals.appeal_dict(row)


@router.post("/cases/{case_id}/documents", status_code=201)
def issue_document(case_id: Annotated[int, Path(ge=1, le=2**62)], data: writings.WritingIn,
                   principal: Actor, session: SessionDep, request: Request) -> dict:
    """A 文书 issued on demand (询问通知书, 询问笔录, 责令改正通知书, 先行登记保存证据通知书,
    查封（扣押）决定书, 听证笔录) with its own `fields` and the case's `version`; numbered
    and locked when the unit has its 机关代字."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    document = writings.issue(session, case, data, principal=principal,
                              settings=request.app.state.settings)
    return {"id": document.id, "kind": document.kind, "title": document.title,
            "state": document.state, "number": document.number, "sha256": document.sha256}


@router.post("/cases/{case_id}/evidence", status_code=201)
def add_evidence(case_id: Annotated[int, Path(ge=1, le=2**62)], data: EvidenceIn,
                 principal: Actor, session: SessionDep, request: Request, response: Response,
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                               max_length=128)] = None) -> dict:
    """证据 of one of the eight kinds: a file (photo, video frame, PDF; SHA-256, GPS, time
    and device kept) or a text; immutable once recorded. With an Idempotency-Key (the
    field app's queue) a replay answers with the first piece (`Idempotent-Replayed`)."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    row, replayed = evidence.add(session, case, data, principal=principal,
                                 settings=request.app.state.settings,
                                 idempotency_key=idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return service.evidence_dict(row)


@router.post("/cases/{case_id}/records", status_code=201)
def create_record(case_id: Annotated[int, Path(ge=1, le=2**62)], data: records.RecordIn,
                  principal: Actor, session: SessionDep, request: Request, response: Response,
                  idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key",
                                                                max_length=128)] = None
                  ) -> dict:
    """现场笔录 signed on the phone (enforcement/cases/records.py): recorded once per
    Idempotency-Key (a replay answers the first, `Idempotent-Replayed`), locked into a
    numbered PDF with the signatures; a refusal to sign needs a witness (422
    `refusal_needs_witness`)."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    answer, replayed = records.create(session, case, data, principal=principal,
                                      settings=request.app.state.settings,
                                      idempotency_key=idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/cases/{case_id}/evidence/{evidence_id}/file")
def evidence_file(case_id: Annotated[int, Path(ge=1, le=2**62)],
                  evidence_id: Annotated[int, Path(ge=1, le=2**62)], principal: Reader,
                  session: SessionDep, request: Request, thumbnail: bool = False
                  ) -> FileResponse:
    """The file of a piece of evidence (its thumbnail once made): 404 outside the caller's
    territory, for evidence of another case and for a text (a 笔录's content) with no file."""
    case = service.get_case(session, case_id=case_id, scope=Scope.of(principal))
    path, media_type = evidence.file_of(session, case, evidence_id, thumbnail=thumbnail,
                                        media_dir=request.app.state.settings.media_dir)
    return FileResponse(path, media_type=media_type,
                        headers={"Cache-Control": "private, max-age=86400, immutable"})


@router.post("/conflicts", status_code=201)
def declare_conflict(data: ConflictIn, principal: Actor, session: SessionDep) -> dict:
    """An officer declares a conflict of interest with a party (its ID number or 统一社会信用
    代码): he is not assignable to that party's cases (行政处罚法第四十三条)."""
    key = data.party_key.strip().upper()
    found = session.query(DeclaredConflict).filter_by(user_id=principal.user_id,
                                                      party_key=key).one_or_none()
    if found is None:
        found = DeclaredConflict(user_id=principal.user_id, party_key=key, reason=data.reason)
        session.add(found)
        session.flush()
    return {"id": found.id, "user_id": found.user_id, "reason": found.reason}


@router.get("/workflow")
def workflow(principal: Reader) -> dict:
    """The procedure as data: states with labels and steps, moves with labels and roles."""
    described: Workflow = CASE_WORKFLOW
    return described.describe()


# --- matters and rules ---------------------------------------------------------------------

@router.get("/matters")
def list_matters(principal: MatterReader, session: SessionDep,
                 department: Annotated[str | None, Query(max_length=32)] = None,
                 q: Annotated[str | None, Query(max_length=50)] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100,
                 offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> dict:
    """执法事项 with their discretion bands (从轻/一般/从重)."""
    total, items = matters.list_matters(session, department=department, query=q,
                                        limit=limit, offset=offset)
    return {"total": total, "items": items}


@router.get("/matters.xlsx")
def export_matters(principal: MatterReader, session: SessionDep) -> Response:
    return Response(matters.export_xlsx(session), media_type=XLSX, headers={
        "Content-Disposition": 'attachment; filename="enforcement-matters.xlsx"'})


@router.post("/matters/import")
def import_matters(data: WorkbookIn, principal: Manager, session: SessionDep) -> dict:
    """The catalogue from an xlsx workbook as exported (sheets 执法事项 and 裁量基准),
    base64-encoded in `data`: all rows or none; 422 `matters_import_invalid` lists the
    problems by sheet and row."""
    from core.attachments.service import decode

    return matters.import_xlsx(session, decode(data.data, noun="workbook"))


@router.get("/matters/{code}")
def get_matter(code: Annotated[str, Path(max_length=40)], principal: MatterReader,
               session: SessionDep) -> dict:
    matter = matters.get_matter(session, code=code)
    return matters.matter_dict(matter, matters.bands_of(session, [matter.id]).get(matter.id, ()))


@router.put("/matters/{code}")
def put_matter(code: Annotated[str, Path(max_length=40)], data: MatterIn,
               principal: Manager, session: SessionDep) -> dict:
    if data.code != code:
        raise InvalidInput("the body's code differs from the path's", code="matter_code_mismatch")
    matter = matters.save_matter(session, data.model_dump(exclude={"version"}),
                                 version=data.version)
    return matters.matter_dict(matter, matters.bands_of(session, [matter.id]).get(matter.id, ()))


@router.get("/rules")
def list_rules(principal: MatterReader, session: SessionDep) -> list[dict]:
    """Every limit and threshold of the procedure, with its citation."""
    return [{"key": r.key, "label": r.label, "kind": r.kind, "value": r.value,
             "extension": r.extension, "extension_position": r.extension_position,
             "citation": r.citation, "version": r.version} for r in rules.all_rules(session)]


@router.patch("/rules/{key}")
def patch_rule(key: Annotated[str, Path(max_length=48)], data: RuleIn, principal: Manager,
               session: SessionDep) -> dict:
    row = rules.update_rule(session, key=key, value=data.value, version=data.version,
                            citation=data.citation)
    return {"key": row.key, "value": row.value, "citation": row.citation,
            "version": row.version}
