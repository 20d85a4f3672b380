"""The demo accounts at an enforcement desk: the demo's 执法队员 and 调度员 (core/users/demo.py)
hold a position in one 综合行政执法队 of their county, which gets its share of the demo's
cases, so that their "本单位案件" queue (`mine`: the cases of the units where the caller
holds a position) is not empty when a visitor logs in.

The officer is a 承办人 with a valid 执法证 (行政处罚法第四十二条: only officers with a 执法证
may investigate), the dispatcher the team's 派遣员 (assign_officers is made by the unit's
派遣员 or 负责人, enforcement/cases/workflow.py DISPATCH).
"""

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range

# (account role, position, with a 执法证)
DESKS = (("enforcement_officer", "handler", True), ("county_dispatcher", "dispatcher", False))
SHARE = 10  # every tenth demo case goes to the demo accounts' team


def _account(session: Session, city_code: str, role: str):
    return session.execute(text(
        "SELECT id, scope_code FROM app_user WHERE role = :role "
        "AND username ~ ('^demo[0-9]*_' || :role || '$') "
        "AND scope_code >= :low AND scope_code < :high ORDER BY id LIMIT 1"),
        {"role": role, **subtree_range(city_code)}).first()


def _join(session: Session, user_id: int, team_id: int, position: str, credential: bool,
          today: date) -> None:
    """The position (once), with a 执法证 numbered from the county and the user's id,
    issued by the county's government, valid three years."""
    session.execute(text("""
        INSERT INTO membership (user_id, unit_id, position, credential_number,
                                credential_issuer, credential_expires_on)
        SELECT CAST(:user AS bigint), u.id, CAST(:position AS text),
               CASE WHEN :credential THEN c.code || lpad(CAST(:user AS text), 6, '0') END,
               CASE WHEN :credential THEN c.name || '人民政府' END,
               CASE WHEN :credential THEN CAST(:expires AS date) END
        FROM unit u JOIN area c ON c.code = substr(u.seat_code, 1, 6)
        WHERE u.id = :team AND NOT EXISTS (
            SELECT 1 FROM membership m WHERE m.user_id = CAST(:user AS bigint)
              AND m.unit_id = u.id AND m.position = CAST(:position AS text) AND m.is_active)"""),
        {"user": user_id, "team": team_id, "position": position, "credential": credential,
         "expires": today + timedelta(days=3 * 365)})


def seat_demo_accounts(session: Session, *, city_code: str, teams: list[dict],
                       today: date) -> dict | None:
    """The team of the demo officer's county (the first by code) with the demo desks in it,
    or None when the city has no demo officer or his county no team."""
    officer = _account(session, city_code, "enforcement_officer")
    if officer is None:
        return None
    desk = next((team for team in teams if team["township"].startswith(officer.scope_code)),
                None)
    if desk is None:
        return None
    for role, position, credential in DESKS:
        account = _account(session, city_code, role)
        if account is not None and desk["township"].startswith(account.scope_code):
            _join(session, account.id, desk["id"], position, credential, today)
    session.flush()
    return desk
