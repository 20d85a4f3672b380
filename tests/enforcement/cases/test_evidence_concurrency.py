"""Concurrent copies of one queued piece of evidence (a phone resending while its first
request is still running) meet at the unique index uq_enforcement_evidence_key: against
the live server (its own sessions, committed data, requests really concurrent), eight
copies under one Idempotency-Key record one piece with one attachment, and every copy
answers with it. Evidence is immutable (its trigger refuses DELETE), so the case stays,
under a title of its own."""

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.concurrency import assert_stored_once, post_copies
from tests.conftest import bearer
from tests.enforcement.cases.conftest import live_handler
from tests.factories import png_base64

BASE = "/api/v1/enforcement/cases"


def _open_case(engine) -> tuple[int, int, str]:
    """A demo 城管 handler's unit's open case, committed."""
    with Session(engine) as session:
        unit, seat, user, name = live_handler(session)
        case = session.scalar(text("""
            INSERT INTO enforcement_case (procedure, state, version, owner_unit_id,
                owner_code, owner_platform, area_code, source, title, opened_at)
            VALUES ('ordinary', 'investigating', 1, :unit, :seat, 'enforcement', :seat,
                    'patrol', :title, now()) RETURNING id"""),
            {"unit": unit, "seat": seat, "title": f"并发证据测试 {uuid.uuid4().hex[:8]}"})
        session.commit()
        return case, user, name


def test_concurrent_copies_of_one_piece_record_it_once(live_server, settings, engine,
                                                       demo_city):
    case, user, name = _open_case(engine)
    headers = bearer(settings, user_id=user, username=name) | {"Idempotency-Key": "ev-race"}
    piece = {"kind": "audiovisual", "title": "现场照片",
             "file": {"content_type": "image/png", "data": png_base64((90, 10, 200))}}
    assert_stored_once(post_copies(live_server.url, f"{BASE}/{case}/evidence", piece, headers))
    with engine.connect() as connection:
        pieces, files = connection.execute(text(
            "SELECT (SELECT count(*) FROM enforcement_evidence WHERE case_id = :c), "
            "(SELECT count(*) FROM attachment WHERE subject_type = 'enforcement_case' "
            " AND subject_id = :c)"), {"c": case}).one()
    assert (pieces, files) == (1, 1)
