"""Routes: applications (受理 → 办结) and 一件事一次办 bundles."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from convenience.services import (
    applications,
    bundles,
    desks,
    keyed,
)
from convenience.services.routes.deps import (
    APPLICATION_MOVES,
    Actor,
    Limit,
    Manager,
    Offset,
    Reader,
    _body,
    _settings,
)
from convenience.services.schemas import (
    ActionIn,
    ApplicationIn,
    BundleIn,
    BundleTypeIn,
    MaterialsIn,
)
from core.attachments import service as attachments
from core.deps import SessionDep

router = APIRouter()


# --- applications ------------------------------------------------------------------------

@router.post("/applications", status_code=201)
def take_application(data: ApplicationIn, principal: Actor, session: SessionDep,
                     request: Request, response: Response,
                     idempotency_key: Annotated[str | None, Header(
                         alias="Idempotency-Key", max_length=128)] = None) -> dict:
    """受理 at a window, a station, online or by proxy (帮代办: `consent` recorded first);
    `missing` materials on a written promise (容缺); `commitment` (告知承诺); `refuse`
    for 不予受理 with its reason. With an Idempotency-Key (the field app's queue) a replay
    answers with the first application (`Idempotent-Replayed`)."""
    if idempotency_key is not None:
        application, replayed = keyed.take(session, principal=principal, data=data,
                                           key=idempotency_key, settings=_settings(request))
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
    else:
        body = data.model_dump(exclude={"materials"})
        application = applications.intake(session, principal=principal, data=body,
                                          files=data.materials, settings=_settings(request))
    out = applications.application_dict(session, application)
    out["notice"] = getattr(application, "_notice", None)
    return out


@router.get("/applications")
def list_applications(principal: Reader, session: SessionDep,
                      state: Annotated[str | None, Query(max_length=16)] = None,
                      queue: Literal["decide", "hand_out", "proxy"] | None = None,
                      limit: Limit = 50, offset: Offset = 0) -> list:
    """`queue=decide`: the back office's; `hand_out`: decided, to hand out at my window;
    `proxy`: a proxy agent's own."""
    return applications.queue(session, principal=principal, state=state, mine=queue,
                              limit=limit, offset=offset)


@router.get("/applications/{application_id}")
def get_application(application_id: int, principal: Reader, session: SessionDep) -> dict:
    return applications.application_dict(
        session, applications.load(session, application_id, principal))


@router.post("/applications/{application_id}/actions/{name}")
def act_on_application(application_id: int, name: APPLICATION_MOVES, data: ActionIn,
                       principal: Actor, session: SessionDep, request: Request) -> dict:
    application = applications.load(session, application_id, principal)
    applications.act(session, application, name, principal=principal, data=_body(data),
                     settings=_settings(request))
    return applications.application_dict(session, application)


@router.post("/applications/{application_id}/materials", status_code=201)
def add_materials(application_id: int, data: MaterialsIn, principal: Actor,
                  session: SessionDep, request: Request) -> list:
    application = applications.load(session, application_id, principal)
    from convenience.services.workflows import proxy_has_consent
    from core.workflow.kernel import Actor as KernelActor
    from core.workflow.runner import facts_of

    proxy_has_consent(facts_of(application), KernelActor.of(principal, today=date.today()), {})
    stored = attachments.attach(session, applications.subject(application), data.materials,
                                kind="material", uploaded_by=principal.user_id,
                                settings=_settings(request))
    return [{"id": a.id, "sha256": a.sha256, "content_type": a.content_type,
             "bytes": a.bytes} for a in stored]


# --- bundles -----------------------------------------------------------------------------

@router.get("/bundle-types")
def list_bundle_types(principal: Reader, session: SessionDep) -> list:
    from sqlalchemy import select

    from convenience.services.models import BundleType

    return [{"code": b.code, "name": b.name, "item_ids": list(b.item_ids),
             "promised_days": b.promised_days, "citation": b.citation}
            for b in session.scalars(select(BundleType).where(BundleType.is_active)
                                     .order_by(BundleType.code))]


@router.post("/bundle-types", status_code=201)
def create_bundle_type(data: BundleTypeIn, principal: Manager, session: SessionDep) -> dict:
    kind = bundles.create_type(session, data.model_dump())
    return {"code": kind.code, "name": kind.name, "item_ids": list(kind.item_ids),
            "promised_days": kind.promised_days}


@router.post("/bundles", status_code=201)
def open_bundle(data: BundleIn, principal: Actor, session: SessionDep, request: Request
                ) -> dict:
    """一件事一次办: one form fans out to every item of the bundle."""
    bundle = bundles.open_bundle(session, principal=principal,
                                 data=data.model_dump(exclude={"materials"}),
                                 files=data.materials, settings=_settings(request))
    return bundles.bundle_dict(session, bundle)


@router.get("/bundles/{bundle_id}")
def get_bundle(bundle_id: int, principal: Reader, session: SessionDep) -> dict:
    from convenience.services.models import Bundle

    return bundles.bundle_dict(session, desks.load_scoped(session, Bundle, bundle_id,
                                                          principal))
