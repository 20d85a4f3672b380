"""System accounts: who is on record where the actor has no account of his own — the
resident who reports through Open311 or the 随手拍 page (市民随手拍) is the reporter of the
incident and the uploader of his photos. Inactive, with no usable password ("!"): nobody
logs in as one. Made on first use; concurrent first uses make one row.
"""

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.users.enums import Role
from core.users.models import User

# 市民随手拍: residents' reports (Open311, the 随手拍 page), one account per deployment.
CITIZEN_REPORTS = ("citizen_reports", "市民随手拍")


def system_account(session: Session, *, username: str, full_name: str) -> int:
    """The account's id, made on first use: a village desk's role (it reports as a centre's
    desk would), scoped to the city, inactive."""
    found = session.scalar(select(User.id).where(User.username == username))
    if found is not None:
        return found
    city = session.scalar(text("SELECT code FROM area WHERE level = 'city' ORDER BY code "
                               "LIMIT 1"))
    if city is None:
        raise InvalidInput("no jurisdiction is loaded to take reports",
                           code="jurisdiction_missing")
    session.execute(insert(User).values(
        username=username, password_hash="!", full_name=full_name,
        role=str(Role.village_staff), scope_code=city, is_active=False)
        .on_conflict_do_nothing(index_elements=["username"]))
    return session.scalar(select(User.id).where(User.username == username))


def citizen_reports_account(session: Session) -> int:
    username, full_name = CITIZEN_REPORTS
    return system_account(session, username=username, full_name=full_name)
