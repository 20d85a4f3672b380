"""文书 of any subject: numbered per unit, kind and year with no gap, rendered from
declarative templates to PDF with a CJK font and a QR code, locked (immutable, hashed),
served, revoked, and verifiable by anyone on a public page without personal data.

The platforms' API (each documented where it is defined):

    from core.documents import (issue, update_draft, discard, lock, serve, revoke,
                                get, get_scoped, of_subject, summaries, pdf_of, shown_body,
                                register_template, load_directory, template_of,
                                set_numbering_rule, render_pdf, Printable)

- core/documents/service.py    the writes and reads (flush, never commit; audited)
- core/documents/numbering.py  the units' numbering rules and the gap-free counters
- core/documents/templates.py  the template registry; templates/*.json the kernel's own
- core/documents/render.py     render_pdf (fpdf2), money in figures and 大写
- core/documents/fonts.py      the CJK font (DOCUMENT_FONT_PATH or a search), prepared once
- core/documents/router.py     /verify/{token} (public), /api/v1/documents/{id}[/pdf]
"""

from core.documents.numbering import set_rule as set_numbering_rule
from core.documents.render import Printable, render_pdf
from core.documents.service import (
    discard,
    get,
    get_scoped,
    issue,
    lock,
    of_subject,
    pdf_of,
    public_view,
    purge,
    revoke,
    serve,
    shown_body,
    summaries,
    update_draft,
    verify_url,
)
from core.documents.templates import load_directory, register_template, template_of

__all__ = ["Printable", "discard", "get", "get_scoped", "issue", "load_directory", "lock",
           "of_subject", "pdf_of", "public_view", "purge", "register_template", "render_pdf",
           "revoke", "serve", "set_numbering_rule", "shown_body", "summaries", "template_of",
           "update_draft", "verify_url"]
