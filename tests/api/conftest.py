"""Fixtures of the auth tests (test_auth*.py, test_login_throttle.py): throttled names and
addresses cleaned up, clients from addresses of their own, a member with a password."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core.scope import EVERYWHERE
from core.throttle import Keys
from core.users.enums import Role
from core.users.models import User
from core.users.service import create_user
from tests.api.auth_support import PASSWORD, THROTTLE_PREFIX, tag


@pytest.fixture
def throttled(settings) -> Iterator[Callable[..., None]]:
    """Register the user names and client addresses a test fails logins with: their
    counters are cleared now and when the test ends."""
    client = redis.Redis.from_url(settings.redis_url)
    patterns: list[str] = []

    def clear() -> None:
        keys = [key for pattern in patterns for key in client.scan_iter(match=pattern)]
        if keys:
            client.delete(*keys)

    def register(*, users=(), addresses=()) -> None:
        patterns.extend([f"{Keys.name_prefix(name)}*" for name in users]
                        + [f"{THROTTLE_PREFIX}:addr:{address}" for address in addresses])
        clear()

    yield register
    clear()
    client.close()


@pytest.fixture
def client_at(app, throttled) -> Iterator[Callable[[str | None], TestClient]]:
    """TestClients coming from addresses of their own (a fresh one unless named).

    Not entered as context managers: the app's lifespan (its async read pool, for locate
    only) runs in one client's event loop at most, and these need none of it.
    """
    with ExitStack() as stack:
        def make(address: str | None = None) -> TestClient:
            address = address or f"test-{tag()}"
            throttled(addresses=[address])
            client = TestClient(app, raise_server_exceptions=False, client=(address, 50000))
            stack.callback(client.close)
            return client
        yield make


@pytest.fixture
def member(session: Session, demo_city, throttled) -> User:
    """A township account of the demo county with a known password, in the rolled-back
    transaction; its name is unique, since the throttle's Redis is shared."""
    user = create_user(session, actor="test", scope=EVERYWHERE, username=f"member_{tag()}",
                       password=PASSWORD, role=Role.township_staff, scope_code="430202001",
                       phone="13812345678", id_number="11010519491231002X")
    throttled(users=[user.username])
    return user
