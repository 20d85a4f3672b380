"""What the auth tests share: a member's password, logins, unique names (the throttle's
Redis is shared with other runs). The fixtures (`throttled`, `client_at`, `member`) are in
tests/api/conftest.py."""

import secrets

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
PASSWORD = "Field-Patrol-2026!"
WRONG = "Field-Patrol-2025?"
THROTTLE_PREFIX = "gridgov:login"


def tag() -> str:
    return secrets.token_hex(4)


def login(client: TestClient, username: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer_of(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
