"""现场笔录 signed on the phone (enforcement/cases/records.py): created once on a replayed
Idempotency-Key (one evidence piece, one numbered document); its PDF, read back with a PDF
reader, holds the record's Chinese text and the signatures as images; a refusal to sign
without the party's signature needs a witness (422)."""

import io

from pypdf import PdfReader
from sqlalchemy import text

from core.documents.models import Document
from tests.enforcement.cases.test_api import BASE, _body, as_
from tests.factories import png_base64

SIGN = "data:image/png;base64,"


def _record(**extra) -> dict:
    return {"record": "当事人在人民路人行道上摆摊经营水果，占用人行道约六平方米。",
            "recorded_at": "2026-12-01T10:30:00+08:00", "place": "人民路18号门前",
            "lon": 113.15, "lat": 27.83,
            "party_signature": SIGN + png_base64((10, 10, 10)),
            "officer_signature": SIGN + png_base64((0, 0, 120)), **extra}


def _counts(session, case_id: int) -> tuple:
    return session.execute(text(
        "SELECT (SELECT count(*) FROM enforcement_evidence WHERE case_id = :c), "
        "(SELECT count(*) FROM document WHERE subject_type = 'enforcement_case' "
        " AND subject_id = :c AND kind = 'enf_site_record')"), {"c": case_id}).one()


def test_a_record_is_created_once_and_its_pdf_holds_the_text(session, settings, desk,
                                                             anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    url = f"{BASE}/{case['id']}/records"
    before = _counts(session, case["id"])
    first = client.post(url, json=_record(), headers={"Idempotency-Key": "rec-1"})
    assert first.status_code == 201, first.text
    again = client.post(url, json=_record(), headers={"Idempotency-Key": "rec-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _counts(session, case["id"]) == (before[0] + 1, before[1] + 1)

    made = first.json()
    assert made["evidence"]["kind"] == "inspection_record"
    assert made["document"]["state"] == "locked"
    assert made["document"]["number"].startswith("测综执现笔字")
    document = session.get(Document, made["document"]["id"])
    reader = PdfReader(io.BytesIO(document.pdf))
    content = "".join(page.extract_text() for page in reader.pages)
    assert "现场笔录" in content and "占用人行道约六平方米" in content
    assert "人民路18号门前" in content and "行政处罚法第五十五条" in content
    images = [image for page in reader.pages for image in page.images]
    assert len(images) >= 2  # the party's and the officer's signatures (and the QR code)

    other = client.post(url, json=_record(place="别处"), headers={"Idempotency-Key": "rec-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    pdf = client.get(made["document"]["pdf_url"])
    assert pdf.status_code == 200 and pdf.content == document.pdf


def test_a_refusal_needs_a_witness(session, settings, desk, anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    url = f"{BASE}/{case['id']}/records"
    before = _counts(session, case["id"])
    unsigned = client.post(url, json=_record(party_signature=None),
                           headers={"Idempotency-Key": "r1"})
    assert unsigned.status_code == 422
    assert unsigned.json()["code"] == "party_signature_missing"
    no_witness = client.post(url, json=_record(party_signature=None, refused=True,
                                               refusal="当事人拒绝签名"),
                             headers={"Idempotency-Key": "r2"})
    assert no_witness.status_code == 422
    assert no_witness.json()["code"] == "refusal_needs_witness"
    assert _counts(session, case["id"]) == before

    witnessed = client.post(url, json=_record(
        party_signature=None, refused=True, refusal="当事人拒绝签名", witness_name="李四",
        witness_signature=SIGN + png_base64((5, 90, 5))), headers={"Idempotency-Key": "r3"})
    assert witnessed.status_code == 201, witnessed.text
    document = session.get(Document, witnessed.json()["document"]["id"])
    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.pdf)).pages)
    assert "当事人拒绝签名" in content and "李四" in content


def test_a_record_needs_its_key_and_a_real_signature(session, settings, desk, anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    url = f"{BASE}/{case['id']}/records"
    before = _counts(session, case["id"])
    keyless = client.post(url, json=_record())
    assert keyless.status_code == 422 and keyless.json()["code"] == "idempotency_key_missing"
    forged = client.post(url, json=_record(officer_signature="data:image/png;base64,AAAA"),
                         headers={"Idempotency-Key": "r4"})
    assert forged.status_code == 422
    assert forged.json()["code"] == "signature_invalid"
    assert forged.json()["fields"] == ["officer_signature"]
    assert _counts(session, case["id"]) == before
