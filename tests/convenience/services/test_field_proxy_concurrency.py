"""Concurrent copies of one queued 帮代办 application (the phone resending while its first
request still runs) meet at the unique index uq_svc_application_key: against the live
server (its own sessions, committed data, requests really concurrent), eight copies under
one Idempotency-Key take one application with its attachments once, and every copy
answers with its number. The agent, his station and the item are committed under names
of their own."""

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.services import catalogue
from core.units.models import Membership, Unit
from tests.concurrency import assert_stored_once, post_copies
from tests.conftest import bearer
from tests.convenience.services.conftest import item_data
from tests.factories import make_user, png_base64

MARK = f"proxy-race-{uuid.uuid4().hex[:8]}"


def _agent_station_item(engine) -> tuple:
    with Session(engine) as session:
        village = session.scalar(text(
            "SELECT code FROM area WHERE level = 'village' ORDER BY code DESC LIMIT 1"))
        user = make_user(session, role="proxy_agent", scope_code=village, username=MARK)
        unit = Unit(code=MARK, name="并发测试便民服务站", kind="service_station",
                    platform="convenience", seat_code=village)
        session.add(unit)
        session.flush()
        session.add(Membership(user_id=user.id, unit_id=unit.id, position="proxy_agent"))
        item = catalogue.create_item(session, item_data(
            f"{uuid.uuid4().int % 10**7:07d}", f"并发代办测试事项{MARK[-8:]}"))
        session.commit()
        return user.id, unit.id, item.id


def test_concurrent_copies_take_one_application(live_server, settings, engine, demo_city):
    user_id, unit_id, item_id = _agent_station_item(engine)
    headers = bearer(settings, user_id=user_id, username=MARK) | {"Idempotency-Key": "race"}
    body = {"item_id": item_id, "intake_unit_id": unit_id, "channel": "proxy",
            "applicant_name": "赵六", "applicant_phone": "13800138000", "consent": True,
            "consent_note": "申请人书面授权代办",
            "materials": [{"content_type": "image/png", "data": png_base64((5, 5, 5))}]}
    assert_stored_once(post_copies(live_server.url, "/api/v1/convenience/applications", body,
                                   headers), field="number")
    with engine.connect() as connection:
        taken, files = connection.execute(text(
            "SELECT count(DISTINCT a.id), count(t.id) FROM svc_application a "
            "LEFT JOIN attachment t ON t.subject_type = 'svc_application' "
            " AND t.subject_id = a.id WHERE a.proxy_user_id = :u"), {"u": user_id}).one()
    assert (taken, files) == (1, 1)
