"""处理反馈 with its after photos (处理后) and a note, in one move: the photos are checked
before the move and stored with it, so a bad photo refuses the move and writes nothing."""

from sqlalchemy import text

from tests.grid.incidents.conftest import act, png_base64, report, report_body


def _handling(client, people, place, minor, units) -> dict:
    """An incident dispatched to the village centre and accepted: ready to be handled."""
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    for action, fields in (("file", {}), ("dispatch", {"handler_unit_id": units["village_centre"]}),
                           ("accept", {})):
        response = act(client, village, incident, action, **fields)
        assert response.status_code == 200, response.text
    return response.json()


def _photo(colour) -> dict:
    return {"content_type": "image/png", "data": png_base64(colour)}


def test_handle_stores_after_photos_and_the_note(client, session, people, place, minor, units):
    village = people["village_staff"]
    incident = _handling(client, people, place, minor, units)
    done = act(client, village, incident, "handle", incident["version"],
               reason="已清运垃圾并冲洗路面", photos=[_photo((30, 160, 60)), _photo((30, 60, 160))])
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "handled"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=village.headers).json()
    after = [p for p in detail["photos"] if p["kind"] == "after"]
    assert len(after) == 2 and all(p["content_type"] == "image/png" for p in after)
    handled = [e for e in detail["timeline"] if e["action"] == "handle"]
    assert [e["note"] for e in handled] == ["已清运垃圾并冲洗路面"]
    # The timeline names the photos by id; their bytes stay in the attachment store.
    [photos_event] = [e for e in detail["timeline"] if e["action"] == "photos"]
    assert photos_event["data"] == {"kind": "after", "photos": [p["id"] for p in after]}
    assert "data" not in str(handled[0]["data"] or {})
    stored = session.scalar(text("SELECT count(*) FROM attachment WHERE subject_type = "
                                 "'incident' AND subject_id = :id AND kind = 'after' "
                                 "AND uploaded_by = :u"),
                            {"id": incident["id"], "u": village.principal.user_id})
    assert stored == 2


def test_a_bad_photo_refuses_the_move_and_writes_nothing(client, session, people, place,
                                                         minor, units):
    village = people["village_staff"]
    incident = _handling(client, people, place, minor, units)
    refused = act(client, village, incident, "handle", incident["version"], reason="已处理",
                  photos=[_photo((1, 2, 3)), {"content_type": "image/png", "data": "bm90IGEgcG5n"}])
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=village.headers).json()
    assert (detail["state"], detail["version"]) == ("handling", incident["version"])
    assert [p for p in detail["photos"] if p["kind"] == "after"] == []


def test_only_handle_takes_photos(client, people, place, minor):
    village = people["village_staff"]
    incident = report(client, place.worker, report_body(place, minor)).json()
    refused = act(client, village, incident, "file", incident["version"],
                  photos=[_photo((5, 5, 5))])
    assert refused.status_code == 422
    assert refused.json()["code"] == "photos_not_for_move"
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=village.headers).json()
    assert detail["state"] == "reported"


def test_handle_without_photos_still_works(client, people, place, minor, units):
    village = people["village_staff"]
    incident = _handling(client, people, place, minor, units)
    done = act(client, village, incident, "handle", incident["version"])
    assert done.status_code == 200 and done.json()["state"] == "handled"
