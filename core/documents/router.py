"""Routes of 文书: the public verification page and its JSON twin (no login), a
document's JSON and PDF (scoped), the kinds the platforms can issue, and the units'
numbering rules (admins).

The app includes `routers()` and adds PUBLIC_PATHS to its own (api/app.py).
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.deps import Requires, SessionDep
from core.documents import numbering, service
from core.documents.models import ANY_KIND, NumberingRule
from core.documents.page import not_found_page, verification_page
from core.documents.permissions import DocumentPermission
from core.documents.schemas import (
    DocumentOut,
    FieldOut,
    KindOut,
    NumberingIn,
    NumberingOut,
    VerificationOut,
)
from core.documents.templates import registered, template_of
from core.errors import NotFound
from core.scope import Scope
from core.security import Principal
from core.users.enums import SEES_PERSONAL_DATA

PUBLIC_PATHS = frozenset({"/verify/{token}", "/api/v1/verify/{token}"})

public_router = APIRouter(tags=["documents"])
router = APIRouter(prefix="/api/v1", tags=["documents"])

Reader = Annotated[Principal, Depends(Requires(DocumentPermission.documents_read))]
Manager = Annotated[Principal, Depends(Requires(DocumentPermission.numbering_manage))]
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$",
                            description="the verification code in the document's QR code")]
Sha256 = Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$",
                                     description="a file's SHA-256, to compare")]
DocumentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
UnitId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Kind = Annotated[str, Path(pattern=r"^([a-z][a-z0-9_]{1,47}|\*)$",
                           description="a template's kind, or * for every kind")]


def routers() -> tuple[APIRouter, ...]:
    return (public_router, router)


# --- public ------------------------------------------------------------------------------

@public_router.get("/verify/{token}", response_class=HTMLResponse,
                   responses={404: {"description": "未找到该文书",
                                    "content": {"text/html": {}}}})
def verification(session: SessionDep, token: Token, sha256: Sha256 = None) -> HTMLResponse:
    """文书核验: the QR code's page. Number, unit, date, kind, the original's SHA-256 and
    whether it is in force; with `sha256`, whether a file is the original. No login, no
    personal data."""
    try:
        view = service.public_view(session, token)
    except NotFound:
        return HTMLResponse(not_found_page(), status_code=404)
    return HTMLResponse(verification_page(view, asked=sha256),
                        headers={"Cache-Control": "no-store"})


@public_router.get("/api/v1/verify/{token}", response_model=VerificationOut)
def verification_json(session: SessionDep, token: Token, sha256: Sha256 = None):
    """The verification page's facts as JSON (for apps); `matches` when `sha256` is given."""
    view = service.public_view(session, token)
    return VerificationOut(**view.as_dict(),
                           matches=view.matches(sha256) if sha256 else None)


# --- staff -------------------------------------------------------------------------------

@router.get("/document-kinds", response_model=list[KindOut])
def list_kinds(reader: Reader):
    """The kinds of 文书 a platform can issue, with their fields (forms are built from it)."""
    return [KindOut(kind=t.kind, title=t.title, label=t.label or t.title, category=t.category,
                    fields=[FieldOut(key=f.key, label=f.label, type=f.type,
                                     required=f.required, choices=list(f.choices))
                            for f in t.fields])
            for t in sorted(registered().values(), key=lambda t: t.kind)]


def _scoped(session, reader: Principal, document_id: int):
    return service.get_scoped(session, document_id, scope=Scope.of(reader),
                              unit_ids=reader.unit_ids)


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(session: SessionDep, reader: Reader, document_id: DocumentId,
                 request: Request):
    """One document of the reader's territory (another's is 404)."""
    document = _scoped(session, reader, document_id)
    body = service.shown_body(document, sees_personal_data=reader.role in SEES_PERSONAL_DATA)
    return DocumentOut.of(document, body=body, verify_url=service.verify_url(
        document.verify_token, request.app.state.settings))


@router.get("/documents/{document_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "the PDF (a draft's: a preview marked 草稿)"}})
def get_document_pdf(session: SessionDep, reader: Reader, document_id: DocumentId,
                     request: Request) -> Response:
    """The PDF: a locked document's stored original (its SHA-256 in ETag), or a draft's
    preview."""
    document = _scoped(session, reader, document_id)
    pdf = service.pdf_of(session, document, settings=request.app.state.settings)
    name = f"{document.number or document.title + '（草稿）'}.pdf"
    headers = {"Content-Disposition": f"inline; filename=\"document-{document.id}.pdf\"; "
                                      f"filename*=UTF-8''{quote(name, safe='')}",
               "Cache-Control": "private, no-store"}
    if document.sha256:
        headers["ETag"] = f'"{document.sha256}"'
    return Response(pdf, media_type="application/pdf", headers=headers)


# --- numbering rules (admins) -----------------------------------------------------------

def _rule_out(rule: NumberingRule) -> NumberingOut:
    from datetime import date

    kind = rule.kind if rule.kind != ANY_KIND else None
    example_kind = kind or next(iter(sorted(registered())))
    return NumberingOut(unit_id=rule.unit_id, kind=rule.kind, agency=rule.agency,
                        category=rule.category, pattern=rule.pattern, digits=rule.digits,
                        example=numbering.format_number(rule, kind=example_kind,
                                                        year=date.today().year, serial=1))


@router.get("/units/{unit_id}/document-numbering", response_model=list[NumberingOut])
def list_numbering(session: SessionDep, manager: Manager, unit_id: UnitId):
    """A unit's numbering rules (机关代字, 类别字)."""
    from core.units.reading import managed_unit

    managed_unit(session, scope=Scope.of(manager), unit_id=unit_id)
    rules = session.scalars(select(NumberingRule).where(NumberingRule.unit_id == unit_id)
                            .order_by(NumberingRule.kind))
    return [_rule_out(rule) for rule in rules]


@router.put("/units/{unit_id}/document-numbering/{kind}", response_model=NumberingOut)
def put_numbering(session: SessionDep, manager: Manager, unit_id: UnitId, kind: Kind,
                  body: NumberingIn):
    """Set a unit's rule for a kind (`*`: its 机关代字 for every kind without its own)."""
    from core.units.reading import managed_unit

    managed_unit(session, scope=Scope.of(manager), unit_id=unit_id)
    if kind != ANY_KIND:
        template_of(kind)  # 404 document_kind_unknown
    rule = numbering.set_rule(session, unit_id=unit_id, kind=kind, agency=body.agency,
                              category=body.category, pattern=body.pattern,
                              digits=body.digits, actor=manager.username)
    return _rule_out(rule)
