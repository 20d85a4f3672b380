"""/api/v1/auth: login, tokens, refresh rotation, logout, throttling and /me.

Every refusal of a credential is the same answer, so it tells an attacker nothing: one 401
(and one detail) for any forged, expired or misused access token, one 401 for a wrong
password, an unknown user name and a disabled account alike. The refresh token travels in
JSON, or for the pages as an HttpOnly cookie. Throttling and rate limits:
tests/api/test_login_throttle.py; revocation and the account cache:
tests/api/test_account_checks.py.

Throttling runs on the real Redis, which other test runs share: each test fails logins
only under user names and client addresses of its own (`throttled` clears their counters
before and after). Most tests use the rolled-back `session` (through the `app` fixture);
`committed_client` serves requests on the app's own sessions, to show what a refusal
commits (`RecordedRefusal.keep_writes`), and cleans up after itself.
"""

import base64
import json
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from api.app import create_app
from core.scope import EVERYWHERE
from core.users.enums import ROLE_PERMISSIONS, Role
from core.users.models import RefreshToken
from core.users.service import create_user
from tests.api.auth_support import PASSWORD, PROBLEM, WRONG, bearer_of, login, tag
from tests.conftest import bearer

TOKEN_REFUSED = "the token is invalid or has expired"  # generic on purpose


# --- login ------------------------------------------------------------------------------

def test_login_gives_an_access_and_a_refresh_token(client_at, member, settings):
    client = client_at()
    response = login(client, member.username, PASSWORD)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == settings.access_token_minutes * 60
    claims = jwt.decode(pair["access_token"], settings.secret_key, algorithms=["HS256"])
    assert (claims["sub"], claims["name"], claims["role"], claims["scope"], claims["typ"]) == (
        str(member.id), member.username, "township_staff", "430202001", "access")
    assert claims["exp"] - claims["iat"] == settings.access_token_minutes * 60
    assert "." not in pair["refresh_token"]  # opaque, not a JWT: nothing to read or forge
    me = client.get("/api/v1/auth/me", headers=bearer_of(pair["access_token"]))
    assert me.status_code == 200 and me.json()["user"]["id"] == member.id


def test_wrong_password_unknown_user_and_disabled_account_look_the_same(
        client_at, member, session, throttled):
    ghost = f"ghost_{tag()}"
    throttled(users=[ghost])
    disabled = create_user(session, actor="test", scope=EVERYWHERE, username=f"off_{tag()}",
                           password=PASSWORD, role=Role.village_staff,
                           scope_code="430202001001")
    disabled.is_active = False
    session.flush()
    throttled(users=[disabled.username])
    client = client_at()
    answers = [login(client, member.username, WRONG), login(client, ghost, WRONG),
               login(client, disabled.username, PASSWORD)]
    assert {answer.status_code for answer in answers} == {401}
    assert answers[0].json()["detail"] == "wrong user name or password"
    for answer in answers[1:]:
        assert answer.json() == answers[0].json()
        assert dict(answer.headers) == dict(answers[0].headers)


def test_login_needs_both_fields(client_at):
    response = client_at().post("/api/v1/auth/token", data={"username": "demo_admin"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


# --- access tokens ----------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(value: dict) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _sign(claims: dict, key: str, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():  # PyJWT warns of a key shorter than HS512 wants
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm=algorithm)


def _without(claims: dict, name: str) -> dict:
    return {k: v for k, v in claims.items() if k != name}


def _flip_in_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2  # not the last character, whose low bits may be padding
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{header}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1:]}"


def _raised_payload(token: str, claims: dict) -> str:
    """The same header and signature over claims promoted to a city admin."""
    header, _, signature = token.split(".")
    return f"{header}.{_part({**claims, 'role': 'admin', 'scope': '430200'})}.{signature}"


def _unsigned(claims: dict, alg: str, signature: str = "") -> str:
    return f"{_part({'alg': alg, 'typ': 'JWT'})}.{_part(claims)}.{signature}"


WRONG_KEY = "another-secret-that-is-long-enough-for-hs256-0123456789"

# name -> (the real token, its claims, the right key, the refresh token) -> forged token
FORGERIES: dict[str, Callable[[str, dict, str, str], str]] = {
    "expired": lambda t, c, key, r: _sign(
        {**c, "iat": c["iat"] - 3600, "exp": c["iat"] - 1800}, key),
    "signature flipped": lambda t, c, key, r: _flip_in_signature(t),
    "payload raised to admin": lambda t, c, key, r: _raised_payload(t, c),
    "alg none (PyJWT)": lambda t, c, key, r: jwt.encode(
        {**c, "role": "admin"}, None, algorithm="none"),
    "alg None, hand-built": lambda t, c, key, r: _unsigned(c, "None"),
    "alg none, old signature kept": lambda t, c, key, r: _unsigned(c, "none", t.split(".")[2]),
    "signature removed": lambda t, c, key, r: t.rsplit(".", 1)[0] + ".",
    "signed with another key": lambda t, c, key, r: _sign(c, WRONG_KEY),
    "HS512 with the right key": lambda t, c, key, r: _sign(c, key, "HS512"),
    "refresh token as bearer": lambda t, c, key, r: r,
    "typ refresh": lambda t, c, key, r: _sign({**c, "typ": "refresh"}, key),
    "no exp": lambda t, c, key, r: _sign(_without(c, "exp"), key),
    "no iat": lambda t, c, key, r: _sign(_without(c, "iat"), key),
    "no sub": lambda t, c, key, r: _sign(_without(c, "sub"), key),
    "no typ": lambda t, c, key, r: _sign(_without(c, "typ"), key),
    "no role": lambda t, c, key, r: _sign(_without(c, "role"), key),
    "no name": lambda t, c, key, r: _sign(_without(c, "name"), key),
    "no scope": lambda t, c, key, r: _sign(_without(c, "scope"), key),
    "no epoch": lambda t, c, key, r: _sign(_without(c, "ep"), key),
    "a later epoch": lambda t, c, key, r: _sign({**c, "ep": c["ep"] + 1}, key),
    "unknown role": lambda t, c, key, r: _sign({**c, "role": "superuser"}, key),
    "sub not a number": lambda t, c, key, r: _sign({**c, "sub": "demo_admin"}, key),
    "garbage": lambda t, c, key, r: "not.a.token",
    "one segment": lambda t, c, key, r: "eyJhbGciOiJIUzI1NiJ9",
}


@pytest.fixture
def real_tokens(client_at, member, settings) -> tuple[str, dict, str]:
    pair = login(client_at(), member.username, PASSWORD).json()
    claims = jwt.decode(pair["access_token"], settings.secret_key, algorithms=["HS256"])
    return pair["access_token"], claims, pair["refresh_token"]


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_or_misused_access_token_gets_the_same_401(
        forgery, anonymous, real_tokens, settings):
    token, claims, refresh = real_tokens
    forged = FORGERIES[forgery](token, claims, settings.secret_key, refresh)
    assert forged != token
    for url in ("/api/v1/auth/me", "/api/v1/users", "/api/v1/areas/430202"):
        response = anonymous.get(url, headers=bearer_of(forged))
        assert response.status_code == 401, (url, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == "Bearer"
        body = response.json()
        assert body == {"type": "about:blank", "title": "Not authenticated", "status": 401,
                        "detail": TOKEN_REFUSED, "instance": url, "code": "not_authenticated"}


def test_the_real_token_passes_where_its_forgeries_fail(anonymous, real_tokens):
    assert anonymous.get("/api/v1/auth/me", headers=bearer_of(real_tokens[0])).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"},
                                     {"Authorization": "Basic ZGVtbzpkZW1v"},
                                     {"Authorization": ""}])
def test_no_bearer_token_is_401(anonymous, headers):
    response = anonymous.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_of_a_removed_account_is_refused(anonymous, session, settings, member):
    """A valid token outliving its account (removed since, or minted for no account): /me
    has nothing to show, and says so with the generic 401 (it was a 500 once)."""
    headers = bearer(settings, role="township_staff", scope_code="430202001",
                     user_id=member.id, username=member.username)
    session.delete(member)
    session.flush()
    response = anonymous.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == TOKEN_REFUSED


def test_a_token_of_a_disabled_account_is_refused_by_me(anonymous, session, settings, member):
    headers = bearer(settings, role="township_staff", scope_code="430202001",
                     user_id=member.id, username=member.username)
    member.is_active = False
    session.flush()
    response = anonymous.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == TOKEN_REFUSED


# --- refresh and logout -----------------------------------------------------------------

def refresh(client: TestClient, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_pair(client_at, member, settings):
    client = client_at()
    first = login(client, member.username, PASSWORD).json()
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = client.get("/api/v1/auth/me", headers=bearer_of(second["access_token"]))
    assert me.status_code == 200 and me.json()["user"]["id"] == member.id
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_a_replayed_refresh_token_revokes_its_whole_family(client_at, member):
    client = client_at()
    first = login(client, member.username, PASSWORD).json()["refresh_token"]
    second = refresh(client, first).json()["refresh_token"]
    other_login = login(client, member.username, PASSWORD).json()["refresh_token"]
    replay = refresh(client, first)
    assert replay.status_code == 401
    assert replay.json()["detail"] == "the refresh token is invalid or has expired"
    assert replay.headers["www-authenticate"] == "Bearer"
    # The thief's copy and the owner's newest token are both dead now...
    assert refresh(client, second).status_code == 401
    # ...and another login (another family) is untouched.
    assert refresh(client, other_login).status_code == 200


@pytest.mark.parametrize("token", ["never-issued-token-0123456789", "x" * 43])
def test_an_unknown_refresh_token_is_refused(anonymous, token, demo_city):
    response = refresh(anonymous, token)
    assert response.status_code == 401
    assert response.json()["detail"] == "the refresh token is invalid or has expired"


def test_an_expired_refresh_token_is_refused(client_at, member, session):
    client = client_at()
    token = login(client, member.username, PASSWORD).json()["refresh_token"]
    session.execute(update(RefreshToken).where(RefreshToken.user_id == member.id)
                    .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = refresh(client, token)
    assert response.status_code == 401
    assert response.json()["detail"] == "the refresh token is invalid or has expired"


def test_a_disabled_account_cannot_refresh(client_at, member, session):
    client = client_at()
    token = login(client, member.username, PASSWORD).json()["refresh_token"]
    member.is_active = False
    session.flush()
    assert refresh(client, token).status_code == 401


def test_logout_revokes_the_login(client_at, member):
    client = client_at()
    pair = login(client, member.username, PASSWORD).json()
    newer = refresh(client, pair["refresh_token"]).json()
    response = client.post("/api/v1/auth/logout", json={"refresh_token": newer["refresh_token"]},
                           headers=bearer_of(newer["access_token"]))
    assert response.status_code == 204 and response.content == b""
    assert refresh(client, newer["refresh_token"]).status_code == 401
    # Every token of the account, not only this login's: the access token too.
    me = client.get("/api/v1/auth/me", headers=bearer_of(newer["access_token"]))
    assert me.status_code == 401 and me.json()["detail"] == TOKEN_REFUSED


def test_logout_with_someone_elses_refresh_token_is_refused_and_revokes_nothing(
        client_at, member, settings):
    client = client_at()
    mine = login(client, member.username, PASSWORD).json()
    theirs = login(client, "demo_village_staff", settings.demo_password).json()
    response = client.post("/api/v1/auth/logout", json={"refresh_token": theirs["refresh_token"]},
                           headers=bearer_of(mine["access_token"]))
    assert response.status_code == 401
    assert refresh(client, theirs["refresh_token"]).status_code == 200


def test_the_account_decides_the_role_not_the_token(anonymous, settings, member):
    """A token minted with an admin's role for a township account acts as the account is:
    the role and the scope in a token are never believed."""
    headers = bearer(settings, role="admin", scope_code="430200", user_id=member.id,
                     username=member.username)
    assert anonymous.get("/api/v1/users", headers=headers).status_code == 403
    me = anonymous.get("/api/v1/auth/me", headers=headers).json()
    assert me["user"]["role"] == "township_staff"
    assert "users:manage" not in me["permissions"]


@pytest.fixture
def committed_client(settings, demo_city, throttled) -> Iterator[TestClient]:
    """The app on its own sessions: each request commits (or not) as in production.
    Uses a demo account; the refresh tokens it leaves are deleted afterwards (the audit
    events stay: the log is append-only, and the test database is dropped at the end)."""
    app = create_app(settings)
    address = f"test-{tag()}"
    throttled(users=["demo_service_clerk"], addresses=[address])
    try:
        with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as client:
            yield client
    finally:
        with app.state.engine.begin() as connection:
            connection.execute(text(
                "DELETE FROM refresh_token WHERE user_id = "
                "(SELECT id FROM app_user WHERE username = 'demo_service_clerk')"))
        app.state.engine.dispose()


def test_a_replay_revocation_is_committed_although_the_request_is_refused(
        committed_client, settings, engine):
    """The refused replay must still commit the family's revocation (keep_writes): else
    the request's rollback would undo it, and the thief's newest token would live on."""
    client = committed_client
    first = login(client, "demo_service_clerk", settings.demo_password).json()["refresh_token"]
    second = refresh(client, first).json()["refresh_token"]
    assert refresh(client, first).status_code == 401
    assert refresh(client, second).status_code == 401
    with engine.connect() as connection:
        live = connection.execute(text(
            "SELECT count(*) FROM refresh_token t JOIN app_user u ON u.id = t.user_id "
            "WHERE u.username = 'demo_service_clerk' AND t.revoked_at IS NULL")).scalar()
        replays = connection.execute(text(
            "SELECT count(*) FROM audit_event WHERE action = 'auth.refresh_reuse' "
            "AND subject_id = (SELECT id::text FROM app_user "
            "WHERE username = 'demo_service_clerk')")).scalar()
    assert live == 0
    assert replays >= 1


def test_a_failed_login_is_audited_although_the_request_is_refused(
        committed_client, settings, engine):
    def failures() -> int:
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM audit_event WHERE action = 'auth.login_failed' "
                "AND actor = 'demo_service_clerk'")).scalar()

    before = failures()
    assert login(committed_client, "demo_service_clerk", WRONG).status_code == 401
    assert failures() == before + 1


# --- who am I ---------------------------------------------------------------------------

def test_me_shows_the_account_its_scope_area_and_permissions(client_at, settings, engine,
                                                            demo_city):
    client = client_at()
    with engine.connect() as connection:
        worker = connection.execute(text(
            "SELECT u.id, u.scope_code, u.phone, a.name FROM app_user u "
            "JOIN area a ON a.code = u.scope_code WHERE u.username = 'demo_grid_worker'")).one()
    token = login(client, "demo_grid_worker", settings.demo_password).json()["access_token"]
    body = client.get("/api/v1/auth/me", headers=bearer_of(token)).json()
    assert body["user"]["id"] == worker.id and body["user"]["role"] == "grid_worker"
    assert body["user"]["phone"] == worker.phone  # one's own data, unmasked
    assert body["scope"] == {"code": worker.scope_code, "name": worker.name,
                             "level": "village"}
    # The role's whole table (the platforms add theirs, e.g. reading the service
    # catalogue), the grid's own grants among them.
    assert body["permissions"] == sorted(ROLE_PERMISSIONS[Role.grid_worker])
    assert {"account:own", "areas:read", "calendar:read", "incidents:act", "incidents:read",
            "incidents:report", "patrols:read", "patrols:record",
            "units:read"} <= set(body["permissions"])

    token = login(client, "demo_admin", settings.demo_password).json()["access_token"]
    body = client.get("/api/v1/auth/me", headers=bearer_of(token)).json()
    assert body["scope"]["code"] == "430200" and body["scope"]["level"] == "city"
    assert body["permissions"] == sorted(ROLE_PERMISSIONS[Role.admin])
    assert "users:manage" in body["permissions"]


def test_me_of_a_member_shows_its_own_personal_data(anonymous, settings, member):
    headers = bearer(settings, role="township_staff", scope_code="430202001",
                     user_id=member.id, username=member.username)
    user = anonymous.get("/api/v1/auth/me", headers=headers).json()["user"]
    assert user["phone"] == "13812345678" and user["id_number"] == "11010519491231002X"
