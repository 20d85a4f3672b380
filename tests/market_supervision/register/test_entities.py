"""The entity register (issue 14 §1): codes checked per GB 32100 at the entity level, the
API's 201/422/409, legacy pilot codes flagged, the risk class internal (never in an
export, a public page, or to a reader without market:risk-read)."""

import pytest
from sqlalchemy import func, select, text

from core.uscc import ALPHABET
from market_supervision.register import entities
from market_supervision.register.models import Entity
from tests.conftest import bearer
from tests.factories import point_in

SAMPLE = "91350100M000100Y43"  # GB 32100's own sample


def _body(session, register, uscc=SAMPLE, **extra) -> dict:
    grid = session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                               "AND code LIKE :t || '%'"), {"t": register.township})
    lon, lat = point_in(session, grid)
    return {"uscc": uscc, "name": "福州测试食品有限公司", "type": "company",
            "address": "测试路 1 号", "location": {"type": "Point", "coordinates": [lon, lat]},
            "industry": "H62", **extra}


def _headers(settings, register, role="market_inspector"):
    return bearer(settings, role=role, scope_code=register.county)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Entity))


def test_the_standards_sample_is_registered(client, session, settings, register):
    answer = client.post("/api/v1/market/entities", json=_body(session, register),
                         headers=_headers(settings, register))
    assert answer.status_code == 201, answer.text
    entity = answer.json()
    assert entity["uscc"] == SAMPLE and not entity["legacy_code"]
    assert entity["area_code"].startswith(register.township)
    assert entity["location"]["type"] == "Point"
    assert answer.headers["Location"] == f"/api/v1/market/entities/{entity['id']}"


def test_every_single_character_change_of_the_sample_is_refused_with_its_check():
    refused = 0
    for position in range(18):
        for char in ALPHABET:
            if char == SAMPLE[position]:
                continue
            changed = SAMPLE[:position] + char + SAMPLE[position + 1:]
            with pytest.raises(entities.UsccInvalid) as error:
                entities.accept_code(changed, legacy=False)
            if position == 17:  # a changed check character: the right one is named
                assert "'3'" in error.value.detail
                assert error.value.extra["expected_check"] == "3"
            refused += 1
    assert refused == 18 * 30


def test_a_bad_code_is_a_422_naming_the_expected_check_character(client, session, settings,
                                                                 register):
    before = _count(session)
    answer = client.post("/api/v1/market/entities", json=_body(session, register,
                                                               uscc=SAMPLE[:17] + "4"),
                         headers=_headers(settings, register))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "uscc_invalid"
    assert problem["expected_check"] == "3" and "'3'" in problem["detail"]
    assert _count(session) == before


def test_a_legacy_pilot_code_is_kept_and_flagged(client, session, settings, register):
    bad = SAMPLE[:17] + "4"
    answer = client.post("/api/v1/market/entities",
                         json=_body(session, register, uscc=bad, legacy_code=True),
                         headers=_headers(settings, register))
    assert answer.status_code == 201, answer.text
    assert answer.json()["legacy_code"] is True
    flagged = client.get("/api/v1/market/entities", params={"flagged": "true"},
                         headers=_headers(settings, register)).json()
    assert [e["uscc"] for e in flagged["items"]] == [bad]


def test_a_code_registered_twice_is_a_409(client, session, settings, register):
    headers = _headers(settings, register)
    assert client.post("/api/v1/market/entities", json=_body(session, register),
                       headers=headers).status_code == 201
    again = client.post("/api/v1/market/entities", json=_body(session, register),
                        headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "entity_exists"


def test_a_location_outside_the_territory_is_refused(client, session, settings, register):
    body = _body(session, register)
    body["location"]["coordinates"] = [116.39, 39.91]  # Beijing
    answer = client.post("/api/v1/market/entities", json=body,
                         headers=_headers(settings, register))
    assert answer.status_code == 422 and answer.json()["code"] == "location_outside_scope"


def test_the_risk_class_is_for_staff_only(client, session, settings, register):
    entity_id = register.entity_ids[0]
    staff = client.get(f"/api/v1/market/entities/{entity_id}",
                       headers=_headers(settings, register)).json()
    assert staff["risk_class"] in "ABCD"
    township = client.get(f"/api/v1/market/entities/{entity_id}",
                          headers=_headers(settings, register, role="township_staff"))
    assert township.status_code == 200 and township.json().get("risk_class") is None


def test_no_export_carries_the_risk_class(client, session, settings, register):
    for fmt in ("csv", "xlsx"):
        answer = client.get("/api/v1/market/entities/export", params={"format": fmt},
                            headers=_headers(settings, register))
        assert answer.status_code == 200
        if fmt == "csv":
            content = answer.content.decode("utf-8-sig")
            assert "风险" not in content and "risk" not in content.lower()
            assert "测试主体1" in content
        else:
            from io import BytesIO

            from openpyxl import load_workbook

            sheet = load_workbook(BytesIO(answer.content), read_only=True).worksheets[0]
            header = next(sheet.iter_rows(values_only=True))
            assert not any("风险" in str(cell) for cell in header)


def test_the_monthly_risk_class_becomes_the_current_one(session, register):
    from datetime import date

    admin = register.manager
    entity_id = register.entity_ids[0]
    entities.set_risk_class(session, principal=admin, entity_id=entity_id,
                            month=date(2020, 1, 5), risk_class="D")
    assert session.get(Entity, entity_id).risk_class == "A"  # an old month changes nothing
    entities.set_risk_class(session, principal=admin, entity_id=entity_id,
                            month=date(2099, 12, 1), risk_class="C")
    assert session.get(Entity, entity_id).risk_class == "C"
