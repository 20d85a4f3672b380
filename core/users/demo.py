"""Demo accounts: one per role, each scoped to a sensible area of the demo city."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import prefix_range, subtree_range
from core.scope import EVERYWHERE
from core.security import hash_password
from core.users.enums import Role
from core.users.models import User
from core.users.service import create_user

# Which level of the demo city each role works at (grid workers: see grid/demo.py).
ROLE_LEVEL = {
    Role.admin: "city", Role.supervisor: "township", Role.county_dispatcher: "county",
    Role.enforcement_officer: "county", Role.market_inspector: "county",
    Role.township_staff: "township", Role.service_clerk: "township",
    Role.village_staff: "village", Role.proxy_agent: "village",
}


# Each demo account's person (pages show people by name, not by user name).
ROLE_PERSON = {
    Role.admin: "周海峰", Role.supervisor: "李国栋", Role.county_dispatcher: "陈晓燕",
    Role.enforcement_officer: "刘志强", Role.market_inspector: "黄丽华",
    Role.township_staff: "王建军", Role.service_clerk: "赵敏",
    Role.village_staff: "孙德胜", Role.proxy_agent: "杨红梅",
}


def demo_prefix(session: Session, *, city_code: str) -> str:
    """`demo` for the first demo city loaded; `demo<city code>` for the others, since user
    names are unique across cities."""
    taken = session.execute(text("SELECT 1 FROM app_user WHERE username = 'demo_admin'"))
    return f"demo{city_code}" if taken.first() else "demo"


def demo_username(prefix: str, role: Role | str) -> str:
    return f"{prefix}_{role}"


def create_demo_accounts(
    session: Session, *, city_code: str, password: str, prefix: str
) -> list[User]:
    """`<prefix>_<role>` accounts, scoped to the first area of their level in the city."""
    password_hash = hash_password(password)
    first = _first_area_per_level(session, city_code)
    return [create_user(session, actor="demo", scope=EVERYWHERE,
                        username=demo_username(prefix, role), password="",
                        password_hash=password_hash, role=role, scope_code=first[level],
                        full_name=ROLE_PERSON[role])
            for role, level in ROLE_LEVEL.items()]


def remove_demo_accounts(session: Session, *, city_code: str) -> int:
    bounds = subtree_range(city_code)
    return session.execute(
        text("DELETE FROM app_user WHERE scope_code >= :low AND scope_code < :high "
             "AND (username ~ '^demo[0-9]*_' OR role = 'grid_worker')"), bounds).rowcount


def _first_area_per_level(session: Session, city_code: str) -> dict[str, str]:
    """The first county of the city, its first township, that township's first village."""
    first: dict[str, str] = {"city": city_code}
    prefix = city_code[:4]
    for level in ("county", "township", "village"):
        first[level] = session.execute(
            text("SELECT min(code) FROM area WHERE level = :level "
                 "AND code >= :low AND code < :high"),
            {"level": level, **prefix_range(prefix)}).scalar()
        prefix = first[level]
    return first
