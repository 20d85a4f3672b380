"""The matters catalogue: discretion bands, flags, the xlsx round trip (export → import
gives the same catalogue), an import with faults refused whole with its problems by row,
and the provincial hearing threshold as an editable rule row with its citation."""

import io

import pytest
from openpyxl import load_workbook

from core.errors import InvalidInput
from enforcement.cases import matters, rules
from enforcement.cases.models import Matter
from tests.enforcement.cases.conftest import MATTER


def test_export_then_import_is_the_same_catalogue(session, desk):
    before = matters.list_matters(session, query="TEST-")[1]
    raw = matters.export_xlsx(session)
    book = load_workbook(io.BytesIO(raw))
    assert book.sheetnames == ["执法事项", "裁量基准"]
    headers = [c.value for c in book["执法事项"][1]]
    assert headers[:3] == ["事项编码", "事项名称", "实施部门"]
    # Change one fine and import: that matter changes, nothing else does.
    sheet = book["执法事项"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == MATTER:
            row[7].value = 30_000_000
    out = io.BytesIO()
    book.save(out)
    counts = matters.import_xlsx(session, out.getvalue())
    assert counts["matters"] >= 2
    after = {m["code"]: m for m in matters.list_matters(session, query="TEST-")[1]}
    assert after[MATTER]["fine_max_fen"] == 30_000_000
    assert after[MATTER]["bands"] == next(m for m in before if m["code"] == MATTER)["bands"]
    assert after[MATTER]["penalty_types"] == ["warning", "fine", "license_revoke"]


def test_a_faulty_workbook_is_refused_whole(session, desk):
    raw = matters.export_xlsx(session)
    book = load_workbook(io.BytesIO(raw))
    sheet = book["执法事项"]
    sheet.append(["NEW-001", "新事项", "no_such_department", "", "", "罚款", 100, 50])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInput) as error:
        matters.import_xlsx(session, out.getvalue())
    assert error.value.code == "import_rows_invalid"
    reasons = {(e["column"], e["code"]) for e in error.value.extra["errors"]}
    assert ("实施部门", "department_unknown") in reasons
    assert ("罚款上限（分）", "fine_range_inverted") in reasons
    assert all(e["row"] == sheet.max_row for e in error.value.extra["errors"])
    assert session.query(Matter).filter_by(code="NEW-001").first() is None
    with pytest.raises(InvalidInput) as unreadable:
        matters.import_xlsx(session, b"not a workbook")
    assert unreadable.value.code in ("import_unreadable", "import_header_missing",
                                     "import_rows_invalid")


def test_the_hearing_threshold_is_a_provincial_rule_with_its_citation(session, desk):
    row = rules.rule(session, "hearing_citizen_min")
    assert row.kind == "amount_fen" and "第六十三条" in row.citation
    rules.update_rule(session, key=row.key, value="500000", version=row.version)
    assert rules.fen_value(session, "hearing_citizen_min") == 500_000
    with pytest.raises(InvalidInput):
        rules.update_rule(session, key="verify", value="fifteen", version=1)


def test_band_of_a_fine(session, desk):
    matter = matters.get_matter(session, code=MATTER)
    assert matters.band_for(session, matter, 400_000) == "lighter"
    assert matters.band_for(session, matter, 600_000) is None


def test_matters_through_http(session, settings, desk, client):
    listed = client.get("/api/v1/enforcement/matters", params={"q": "TEST-CG"}).json()
    assert listed["items"][0]["bands"][0]["label"] == "从轻"
    exported = client.get("/api/v1/enforcement/matters.xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    import base64

    imported = client.post("/api/v1/enforcement/matters/import",
                           json={"data": base64.b64encode(exported.content).decode()})
    assert imported.status_code == 200, imported.text
    bad = client.post("/api/v1/enforcement/matters/import",
                      json={"data": base64.b64encode(b"junk").decode()})
    assert bad.status_code == 422
    rules_out = client.get("/api/v1/enforcement/rules").json()
    assert {r["key"] for r in rules_out} >= {"verify", "decision", "simple_citizen_max"}


def test_a_stale_edit_of_a_matter_is_refused(session, desk, client):
    got = client.get(f"/api/v1/enforcement/matters/{MATTER}").json()
    body = {k: got[k] for k in ("code", "name", "department_code", "penalty_types",
                                "fine_min_fen", "fine_max_fen")}
    first = client.put(f"/api/v1/enforcement/matters/{MATTER}",
                       json={**body, "name": "擅自占用城市道路（修订）", "version": got["version"]})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == got["version"] + 1
    stale = client.put(f"/api/v1/enforcement/matters/{MATTER}",
                       json={**body, "name": "另一修订", "version": got["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "matter_stale"
    assert client.get(f"/api/v1/enforcement/matters/{MATTER}").json()["name"] == \
        "擅自占用城市道路（修订）"
