"""An application taken from the field app's offline queue (convenience/static/field/
proxy.js: 帮代办 on a resident's doorstep, sent when the network returns) carries the
phone's Idempotency-Key: a replay answers with the application first taken and takes
nothing twice; the same key with another body is the client's bug (422); two copies
racing each other meet at the unique index uq_svc_application_key (the intake unit and
the key, migration 0026) and the loser answers with the winner's application."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from convenience.services import applications
from convenience.services.models import Application
from convenience.services.schemas import ApplicationIn
from core.security import Principal
from core.settings import Settings
from core.workflow import idempotency

CONSTRAINT = "uq_svc_application_key"


def take(session: Session, *, principal: Principal, data: ApplicationIn, key: str,
         settings: Settings) -> tuple[Application, bool]:
    """(the application, whether it was a replay)."""
    key = idempotency.checked_key(key)
    digest = idempotency.fingerprint(data)
    if (first := _first(session, principal, data, key, digest)) is not None:
        return first, True
    body = data.model_dump(exclude={"materials"}) | {"idempotency_key": key,
                                                      "request_hash": digest}
    savepoint = session.begin_nested()
    try:
        application = applications.intake(session, principal=principal, data=body,
                                          files=data.materials, settings=settings)
    except IntegrityError as exc:
        savepoint.rollback()
        if CONSTRAINT not in str(exc.orig):
            raise
        return _first(session, principal, data, key, digest), True
    savepoint.commit()
    return application, False


def _first(session: Session, principal: Principal, data: ApplicationIn, key: str,
           digest: str) -> Application | None:
    row = idempotency.replayed(session, Application, submitter_column="intake_unit_id",
                               submitter=data.intake_unit_id, key=key, request_hash=digest)
    # Only the caller's own (a proxy agent sees his applications only): else 404.
    return None if row is None else applications.load(session, row.id, principal)
