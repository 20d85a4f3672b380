"""Real accounts for the benchmarks: whom their HTTP clients and in-process calls act for.

    from bench.accounts import widest_admin

    admin = widest_admin(url)           # made and committed on first use, reused after
    headers = admin.bearer()            # {"Authorization": "Bearer …"}
    scope = admin.scope                 # what the server makes of the same account

Every request checks the account behind its token (core/deps.py `Requires`,
core/users/cache.py): the account must exist in the server's database and be active, and
the token must carry its token epoch; role, scope and memberships are read from the
account, never from the token. So a benchmark's token names an account of its own bench
database, made here with the project's functions (core/users/service.py `create_user`,
core/units/admin.py `create_unit`, core/units/memberships.py `add_member`), committed
before the server starts, and the token is minted by core/security.py
`create_access_token` with the account's epoch now, as a login issues it
(core/users/tokens.py), without the password and the login throttle, which no benchmark
times. The account has no usable password.

`widest_admin`: an admin whose territory is every city of the database. With one city (the
demo city) that is the account's own scope area. A province has no area above its
fourteen cities (areas start at the city level), so there the account's scope is the
first city and a membership of a unit whose jurisdiction is every city adds the others
(core/scope.py: the scope is then one code range per city).
"""

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db import make_engine
from core.scope import EVERYWHERE, Scope
from core.security import Principal, create_access_token
from core.settings import get_settings
from core.units.admin import create_unit
from core.units.enums import Position, UnitKind
from core.units.memberships import add_member
from core.units.models import Membership, Unit
from core.units.service import jurisdiction_of
from core.users.cache import SessionAccounts
from core.users.enums import Role
from core.users.models import User
from core.users.service import create_user

ADMIN = "bench_admin"
ALL_CITIES_UNIT = "bench-all-cities"
ACTOR = "bench"
NO_PASSWORD = "!"  # not an argon2 hash: no password verifies against it


@dataclass(frozen=True)
class Account:
    principal: Principal  # as the server builds it: role, scope area, memberships now
    epoch: int  # the account's token epoch: a token of another one is refused

    @property
    def scope(self) -> Scope:
        return Scope.of(self.principal)

    def bearer(self, *, minutes: int = 240) -> dict[str, str]:
        """An Authorization header, signed with the settings' secret (the server's)."""
        token = create_access_token(self.principal, secret=get_settings().secret_key,
                                    minutes=minutes, epoch=self.epoch)
        return {"Authorization": f"Bearer {token}"}


def widest_admin(url: str, *, username: str = ADMIN) -> Account:
    """The admin of every city of the database at `url`, made when missing."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as session:
            cities = list(session.scalars(text(
                "SELECT code FROM area WHERE level = 'city' ORDER BY code")))
            if not cities:
                raise RuntimeError(f"{engine.url.database} has no city: no admin to make")
            user = _admin(session, username, scope_code=cities[0])
            if len(cities) > 1:
                _member_of_all(session, user, cities)
            session.commit()
            state = SessionAccounts(session).load(user.id)
            return Account(state.principal, state.token_epoch)
    finally:
        engine.dispose()


def _admin(session: Session, username: str, *, scope_code: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return create_user(session, actor=ACTOR, scope=EVERYWHERE, username=username,
                           password="", password_hash=NO_PASSWORD, role=Role.admin,
                           scope_code=scope_code, full_name="基准测试")
    if not user.is_active or user.role != Role.admin or user.scope_code != scope_code:
        # Someone changed it: a benchmark does not quietly measure another territory.
        raise RuntimeError(f"the account {username} is not an active admin of {scope_code} "
                           f"(role {user.role}, scope {user.scope_code}, active "
                           f"{user.is_active}): fix or delete it")
    return user


def _member_of_all(session: Session, user: User, cities: list[str]) -> None:
    """`user` the head of a unit whose jurisdiction is every city (made when missing)."""
    unit = session.scalar(select(Unit).where(Unit.code == ALL_CITIES_UNIT))
    if unit is None:
        unit = create_unit(session, actor=ACTOR, scope=EVERYWHERE, code=ALL_CITIES_UNIT,
                           name="基准测试 全部城市", kind=UnitKind.department, platform="grid",
                           seat_code=cities[0], area_codes=cities)
    elif not unit.is_active or jurisdiction_of(session, unit_id=unit.id) != cities:
        raise RuntimeError(f"the unit {ALL_CITIES_UNIT} is not an active unit of every city: "
                           "fix or delete it")
    held = session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.unit_id == unit.id,
        Membership.position == Position.head, Membership.is_active))
    if held is None:
        add_member(session, actor=ACTOR, scope=EVERYWHERE, unit_id=unit.id, user_id=user.id,
                   position=Position.head)
