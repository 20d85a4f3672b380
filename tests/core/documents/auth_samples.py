"""The authorization matrix's sample requests for the kernel's document and import routes
(core/documents/router.py, core/imports.py), in the form of tests/api/samples_units.py,
which tests/api/test_authorization.py merges into its `SAMPLES` (with AUTH_POLICY, the
grants core/documents/permissions.py adds).

A document is seeded, through the service, for a unit seated at the actor's inside area or
at the nearest area outside: it is read by its unit's seat, so outside is 404.
"""

from itertools import count

from core.documents import issue, lock
from core.documents.permissions import DocumentPermission
from core.users.enums import Role
from core.workflow.clocks import Subject
from tests.core.documents.conftest import PENALTY, make_unit

_SERIAL = count(1)


def _call(*args, **kwargs):
    from tests.api.test_authorization import Call  # late: that module imports this

    return Call(*args, **kwargs)


def _unit(ctx, inside: bool) -> int:
    from tests.api.samples_units import _area

    return make_unit(ctx.session, name=f"矩阵文书单位{next(_SERIAL)}", area=_area(ctx, inside))


def _document(ctx, inside: bool) -> int:
    draft = issue(ctx.session, subject=Subject("matrix_case", next(_SERIAL)),
                  kind="penalty_decision", unit_id=_unit(ctx, inside), fields=PENALTY,
                  actor="matrix")
    return lock(ctx.session, draft, "matrix").id


def _kinds(ctx, inside: bool):
    if not inside:
        return None  # one list for every scope

    def check(body):
        assert "penalty_decision" in {kind["kind"] for kind in body}
    return _call("GET", "/api/v1/document-kinds", check=check)


def _get_document(ctx, inside: bool):
    document = _document(ctx, inside)

    def check(body):
        assert body["id"] == document and body["state"] == "locked"
    return _call("GET", f"/api/v1/documents/{document}", check=check)


def _get_pdf(ctx, inside: bool):
    return _call("GET", f"/api/v1/documents/{_document(ctx, inside)}/pdf")  # a PDF: no JSON


def _numbering(ctx, inside: bool):
    unit = _unit(ctx, inside)

    def check(body):
        assert [rule["kind"] for rule in body] == ["*"]
    return _call("GET", f"/api/v1/units/{unit}/document-numbering", check=check)


def _put_numbering(ctx, inside: bool):
    unit = _unit(ctx, inside)

    def check(body):
        assert (body["unit_id"], body["agency"]) == (unit, "矩阵代字")
    return _call("PUT", f"/api/v1/units/{unit}/document-numbering/penalty_decision",
                 json={"agency": "矩阵代字"}, check=check)


def _import_progress(ctx, inside: bool):
    from core.imports import ImportProgress

    if not inside:
        return None  # one's own imports only (an admin's: any); nothing lies outside
    store = ImportProgress.start(ctx.client.app.state.redis, owner=ctx.actor.user_id)

    def check(body):
        assert (body["id"], body["state"]) == (store.import_id, "queued")
    return _call("GET", f"/api/v1/imports/{store.import_id}", check=check)


AUTH_SAMPLES = {
    ("GET", "/api/v1/document-kinds"): ("NOT_TERRITORIAL", _kinds),
    ("GET", "/api/v1/documents/{document_id}"): ("NOT_FOUND", _get_document),
    ("GET", "/api/v1/documents/{document_id}/pdf"): ("NOT_FOUND", _get_pdf),
    ("GET", "/api/v1/units/{unit_id}/document-numbering"): ("NOT_FOUND", _numbering),
    ("PUT", "/api/v1/units/{unit_id}/document-numbering/{kind}"): ("NOT_FOUND",
                                                                   _put_numbering),
    ("GET", "/api/v1/imports/{import_id}"): ("NOT_TERRITORIAL", _import_progress),
}


_READERS = (Role.village_staff, Role.township_staff, Role.county_dispatcher,
            Role.enforcement_officer, Role.market_inspector, Role.service_clerk,
            Role.supervisor, Role.admin)
AUTH_POLICY = {
    **{role: {DocumentPermission.documents_read} for role in _READERS},
    Role.admin: {DocumentPermission.documents_read, DocumentPermission.numbering_manage},
}
