"""Who may read 文书 (where is the scope's business: core/documents/service.py `visible`).

Platforms write documents through their own moves (a decision is locked by the case's
move, under the platform's permission); the kernel's routes only read, and manage the
units' numbering rules.
"""

from enum import StrEnum

from core.users.enums import Role, grant


class DocumentPermission(StrEnum):
    documents_read = "documents:read"  # a document of one's territory: its fields and PDF
    numbering_manage = "documents:numbering"  # a unit's 机关代字 and 类别字


# Staff who handle cases, inspections and applications, and those who supervise them;
# not a grid worker or a proxy agent (the parties' documents are not theirs to read).
READERS = frozenset({Role.village_staff, Role.township_staff, Role.county_dispatcher,
                     Role.enforcement_officer, Role.market_inspector, Role.service_clerk,
                     Role.supervisor, Role.admin})


def grant_all() -> None:
    """Idempotent: called when the router is built."""
    grant(DocumentPermission.documents_read, READERS)
    grant(DocumentPermission.numbering_manage, {Role.admin})


grant_all()
