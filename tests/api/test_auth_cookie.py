"""/api/v1/auth for the pages: the refresh token as an HttpOnly, SameSite=Strict cookie
for the auth path (asked for with `X-Refresh-Cookie: 1`), never in a body a script reads.

The fixtures are tests/api/conftest.py's: clients from addresses of their own, and a
township member with a known password, in the rolled-back `session`.
"""

from fastapi.testclient import TestClient

from core.users.models import User
from tests.api.auth_support import PASSWORD, bearer_of, login, tag
from tests.api.test_auth import refresh

COOKIE_MODE = {"X-Refresh-Cookie": "1"}


def cookie_login(client: TestClient, member: User):
    return client.post("/api/v1/auth/token", headers=COOKIE_MODE,
                       data={"username": member.username, "password": PASSWORD})


def cookie_attributes(header: str) -> dict[str, str]:
    name_value, *attributes = [part.strip() for part in header.split(";")]
    pairs = dict(part.partition("=")[::2] for part in attributes)
    return {"": name_value} | {key.lower(): value.lower() for key, value in pairs.items()}


def test_the_pages_get_the_refresh_token_as_an_httponly_cookie(client_at, member):
    response = cookie_login(client_at(), member)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and body["access_token"]  # nothing for a script
    assert response.headers["cache-control"] == "no-store"
    cookie = cookie_attributes(response.headers["set-cookie"])
    assert cookie[""].startswith("gridgov_refresh=")
    assert {"httponly", "path", "samesite", "max-age"} <= cookie.keys()
    assert (cookie["path"], cookie["samesite"]) == ("/api/v1/auth", "strict")
    assert "secure" not in cookie  # plain http here


def test_over_tls_the_cookie_is_secure(app, member):
    with TestClient(app, base_url="https://testserver", client=(f"test-{tag()}", 1)) as client:
        response = cookie_login(client, member)
    assert "secure" in cookie_attributes(response.headers["set-cookie"])


def test_a_cookie_refresh_rotates_the_cookie_and_needs_the_header(client_at, member):
    client = client_at()
    cookie_login(client, member)
    first = client.cookies.get("gridgov_refresh")
    # The cookie alone (what a cross-site form would send) is not enough.
    assert client.post("/api/v1/auth/refresh").status_code == 401
    rotated = client.post("/api/v1/auth/refresh", headers=COOKIE_MODE)
    assert rotated.status_code == 200, rotated.text
    assert "refresh_token" not in rotated.json()
    second = client.cookies.get("gridgov_refresh")
    assert second and second != first
    assert client.get("/api/v1/auth/me",
                      headers=bearer_of(rotated.json()["access_token"])).status_code == 200
    assert refresh(client, first).status_code == 401  # spent: a replay


def test_a_refresh_token_from_json_can_move_into_the_cookie(client_at, member):
    """What the pages do once with a refresh token an earlier version left in storage."""
    client = client_at()
    pair = login(client, member.username, PASSWORD).json()
    moved = client.post("/api/v1/auth/refresh", headers=COOKIE_MODE,
                        json={"refresh_token": pair["refresh_token"]})
    assert moved.status_code == 200 and "refresh_token" not in moved.json()
    assert client.cookies.get("gridgov_refresh")


def test_logout_drops_the_cookie(client_at, member):
    client = client_at()
    access = cookie_login(client, member).json()["access_token"]
    response = client.post("/api/v1/auth/logout", headers=bearer_of(access))
    assert response.status_code == 204
    cookie = cookie_attributes(response.headers["set-cookie"])
    assert cookie[""].startswith("gridgov_refresh=") and cookie["max-age"] == "0"
    assert client.post("/api/v1/auth/refresh", headers=COOKIE_MODE).status_code == 401
