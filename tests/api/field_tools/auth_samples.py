"""The authorization matrix's samples for the field app's routes (api/field_tools.py),
merged by tests/api/test_authorization.py like a platform's: the caller's own tools and
memberships, and his own position, so there is no one else's to ask for (as /auth/me).
No new permission: the routes need `account:own`, which every role holds."""

from core.users.enums import ROLE_PERMISSIONS


def _call(*args, **kwargs):
    from tests.api.test_authorization import Call  # imported late (that module imports us)

    return Call(*args, **kwargs)


def _my_tools(ctx, inside: bool):
    if not inside:
        return None  # the caller's own tools: nobody else's can be asked for

    def check(body):
        assert body["role"] == str(ctx.actor.role)
        granted = ROLE_PERMISSIONS[ctx.actor.role]
        assert all(tool["module"].startswith("/static/") for tool in body["tools"])
        # The report form only for the grid's staff (and never an officer or inspector).
        if "incidents:report" not in granted or str(ctx.actor.role) in (
                "enforcement_officer", "market_inspector", "service_clerk", "proxy_agent"):
            assert "grid.report" not in {tool["key"] for tool in body["tools"]}
    return _call("GET", "/api/v1/field/tools", check=check)


def _my_position(ctx, inside: bool):
    from datetime import UTC, datetime

    if not inside:
        return None  # one's own fix: there is no one else's to send
    lon, lat = ctx.actor.inside_point
    return _call("POST", "/api/v1/field/position",
                 json={"lon": lon, "lat": lat, "accuracy_m": 9.5,
                       "recorded_at": datetime.now(UTC).isoformat()})


AUTH_SAMPLES = {("GET", "/api/v1/field/tools"): ("SOMEONE_ELSES", _my_tools),
                ("POST", "/api/v1/field/position"): ("SOMEONE_ELSES", _my_position)}
