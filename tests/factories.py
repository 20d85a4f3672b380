"""The objects tests build by hand, made one way: accounts, incidents (reported through the
service, so every row a real report writes is there), photos, notifications, patrols.

Each takes the session to write in (the test's rolled-back one, or a committed one) and
returns what a test asserts on. Defaults are the demo city's: call them from tests that use
the `demo_city` fixture.
"""

import base64
import io
import secrets
import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.scope import EVERYWHERE
from core.security import Principal
from core.settings import Settings
from core.users.enums import Role

# A hash no password matches: an account that cannot log in, made without argon2's cost.
NO_PASSWORD = "!"


def unique(prefix: str) -> str:
    """A name no other test (or concurrent run on the shared Redis) uses."""
    return f"{prefix}_{secrets.token_hex(4)}"


def make_user(session: Session, *, role: Role | str = Role.village_staff,
              scope_code: str = "430202", username: str | None = None,
              password: str | None = None, password_hash: str | None = None,
              actor: str = "test", **fields):
    """An account through core.users.service (checked and audited like any other). Without
    `password` or `password_hash` it cannot log in and costs no hashing."""
    from core.users.service import create_user

    if password is None and password_hash is None:
        password_hash = NO_PASSWORD
    return create_user(session, actor=actor, scope=EVERYWHERE,
                       username=username or unique(str(Role(role))), password=password or "",
                       password_hash=password_hash, role=role, scope_code=scope_code,
                       **fields)


def principal_of(session: Session, username: str) -> Principal:
    """The Principal of an existing account (e.g. `demo_admin`)."""
    row = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                               "WHERE username = :u"), {"u": username}).one()
    return Principal(row.id, row.username, Role(row.role), row.scope_code)


def png_base64(colour=(0, 128, 0), size=(8, 8)) -> str:
    """A small PNG as the API takes photos (base64)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def point_in(session: Session, code: str) -> tuple[float, float]:
    """A point inside an area (its point on surface)."""
    row = session.execute(text(
        "SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_PointOnSurface(geom) AS p "
        "FROM area WHERE code = :c) s"), {"c": code}).one()
    return row.x, row.y


def a_minor_category(session: Session) -> str:
    """The first 小类 code."""
    return session.scalar(text("SELECT min(code) FROM category WHERE level = 'minor'"))


def make_incident(session: Session, settings: Settings, *, grid_code: str,
                  state: str = "reported", photo: bool = False, category: str | None = None,
                  description: str = "test", reporter: str = "demo_admin",
                  **extra_columns) -> int:
    """An incident reported in a grid through the service (timeline, audit and outbox rows
    included) by `reporter`, then put in `state` (and any other column) directly: tests of
    authorization or listing need an incident in a state, not the way there."""
    from grid.incidents import service
    from grid.incidents.schemas import ReportIn

    lon, lat = point_in(session, grid_code)
    data = ReportIn(location={"type": "Point", "coordinates": [lon, lat]},
                    category=category or a_minor_category(session), description=description,
                    photos=[{"content_type": "image/png", "data": png_base64()}] if photo else [])
    incident = service.report(session, principal=principal_of(session, reporter), data=data,
                              idempotency_key=str(uuid.uuid4()), settings=settings).incident
    columns = {"state": state, **extra_columns}
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    session.execute(text(f"UPDATE incident SET {assignments} WHERE id = :id"),
                    {**columns, "id": incident.id})
    session.expire_all()
    return incident.id


def make_notification(session: Session, user_id: int, *, topic: str = "test") -> int:
    """A delivered notification in a user's inbox."""
    outbox = session.scalar(text("INSERT INTO outbox_message (topic, payload, delivered_at) "
                                 "VALUES (:topic, '{}', now()) RETURNING id"), {"topic": topic})
    return session.scalar(text(
        "INSERT INTO notification (user_id, outbox_id, topic, title, body) "
        "VALUES (:user, :outbox, :topic, :topic, '') RETURNING id"),
        {"user": user_id, "outbox": outbox, "topic": topic})


def make_patrol(session: Session, worker_id: int, *, started_ago: str = "1 hour") -> int:
    """An open patrol of a grid worker, without points."""
    return session.scalar(text(
        "INSERT INTO patrol (worker_id, client_key, started_at, distance_m) "
        "VALUES (:w, 'test-' || gen_random_uuid(), now() - CAST(:ago AS interval), 0) "
        "RETURNING id"), {"w": worker_id, "ago": started_ago})


def delete_incidents(connection, ids) -> None:
    """Committed incidents a test made, gone with the kernel's rows about them (clocks,
    timeline, hand-offs, links, attachments name their subject without a foreign key)."""
    ids = list(ids)
    for table in ("case_clock", "timeline_event", "handoff", "attachment"):
        connection.execute(text(f"DELETE FROM {table} WHERE subject_type = 'incident' "
                                f"AND subject_id = ANY(:ids)"), {"ids": ids})
    connection.execute(text("DELETE FROM case_link WHERE (a_type = 'incident' AND "
                            "a_id = ANY(:ids)) OR (b_type = 'incident' AND b_id = ANY(:ids))"),
                       {"ids": ids})
    connection.execute(text("DELETE FROM incident WHERE id = ANY(:ids)"), {"ids": ids})
