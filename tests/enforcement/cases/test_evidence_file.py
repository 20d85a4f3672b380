"""A case's evidence files, opened from the console (GET …/evidence/{id}/file): the bytes
recorded, for the case's own evidence only; a text (a 笔录) has no file."""

import hashlib

from tests.enforcement.cases.test_api import BASE, _body, as_
from tests.factories import png_base64


def test_the_file_of_a_piece_of_evidence_is_served_and_named_in_the_detail(
        session, settings, desk, anonymous):
    client = as_(anonymous, settings, desk, "officer_a")
    case = client.post(BASE, json=_body(session, desk)).json()
    other = client.post(BASE, json=_body(session, desk)).json()
    data = png_base64((10, 200, 30))
    photo = client.post(f"{BASE}/{case['id']}/evidence", json={
        "kind": "audiovisual", "title": "现场照片",
        "file": {"content_type": "image/png", "data": data}}).json()
    record = client.post(f"{BASE}/{case['id']}/evidence", json={
        "kind": "inspection_record", "title": "现场检查笔录", "content": "当事人在人行道摆摊。"}
    ).json()
    url = f"{BASE}/{case['id']}/evidence/{photo['id']}/file"
    assert (photo["url"], record["url"]) == (url, None)
    detail = client.get(f"{BASE}/{case['id']}").json()
    assert [e["url"] for e in detail["evidence"]] == [url, None]
    served = client.get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert hashlib.sha256(served.content).hexdigest() == photo["sha256"]
    for wrong in (f"{BASE}/{case['id']}/evidence/{record['id']}/file",  # a text, no file
                  f"{BASE}/{other['id']}/evidence/{photo['id']}/file"):  # another case's
        refused = client.get(wrong)
        assert refused.status_code == 404, wrong
        assert refused.json()["code"] == "evidence_not_found"
