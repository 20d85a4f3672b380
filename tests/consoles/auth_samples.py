"""The authorization matrix's sample for the consoles' list (api/console.py
GET /api/v1/consoles), merged by tests/api/test_authorization.py. Every account may ask
which consoles it may use; the answer depends on role and memberships, not on a place."""

from typing import Any


def _call(*args: Any, **kwargs: Any):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _consoles(ctx, inside: bool):
    if not inside:
        return None  # one answer for every scope

    def check(body):
        assert all(one["url"].startswith("/console") for one in body)
    return _call("GET", "/api/v1/consoles", check=check)


AUTH_SAMPLES = {("GET", "/api/v1/consoles"): ("NOT_TERRITORIAL", _consoles)}
