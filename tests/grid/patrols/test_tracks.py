"""A day's tracks for the map's staff layer (GET /api/v1/patrols/tracks): the patrols of
the territory that started on the day, as LineStrings in time order, in the view (bbox),
capped (truncated), refused outside the territory, and bad parameters as problems."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.grid.patrols.conftest import centre_headers, fixes, other_walker_of
from tests.grid.patrols.test_api import send, start

TRACKS = "/api/v1/patrols/tracks"


def walked(client, walker, at: datetime, count: int = 4) -> int:
    patrol = start(client, walker, started_at=at.isoformat())
    assert patrol.status_code == 201, patrol.text
    sent = send(client, walker, patrol.json()["id"], fixes(walker, count, start=at))
    assert sent.status_code == 200, sent.text
    return patrol.json()["id"]


def day_of(at: datetime, settings) -> str:
    return at.astimezone(ZoneInfo(settings.timezone)).date().isoformat()


def test_a_township_sees_the_days_tracks_of_its_workers(anonymous, session, settings,
                                                        walker):
    at = datetime.now(UTC) - timedelta(hours=2)
    here = walked(anonymous, walker, at)
    elsewhere_walker = other_walker_of(session, settings, walker, same_village=False)
    elsewhere = walked(anonymous, elsewhere_walker, at)
    headers = centre_headers(settings, role="township_staff", scope_code=walker.grid_code[:9])
    answer = anonymous.get(TRACKS, headers=headers, params={"day": day_of(at, settings)})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    by_id = {feature["id"]: feature for feature in body["features"]}
    assert here in by_id and body["truncated"] is False
    track = by_id[here]
    assert track["geometry"]["type"] == "LineString"
    sent = fixes(walker, 4, start=at)
    assert track["geometry"]["coordinates"] == [
        [round(p["lon"], 6), round(p["lat"], 6)] for p in sent]  # in time order
    assert track["properties"]["points"] == 4 and track["properties"]["distance_m"] > 0
    assert track["properties"]["worker_id"] == walker.worker_id
    assert track["properties"]["worker_name"]
    if not elsewhere_walker.grid_code.startswith(walker.grid_code[:9]):
        assert elsewhere not in by_id
    assert all(f["properties"]["staff_code"].startswith(walker.grid_code[:9])
               for f in body["features"])
    # Another day has none of them.
    before = (datetime.fromisoformat(day_of(at, settings)) - timedelta(days=1)).date()
    other_day = anonymous.get(TRACKS, headers=headers, params={"day": before.isoformat()})
    assert here not in {f["id"] for f in other_day.json()["features"]}


def test_the_view_and_the_cap(anonymous, settings, walker):
    at = datetime.now(UTC) - timedelta(hours=3)
    first, second = walked(anonymous, walker, at), walked(anonymous, walker,
                                                           at + timedelta(minutes=30))
    headers = centre_headers(settings, role="village_staff", scope_code=walker.grid_code[:12])
    day = day_of(at, settings)
    near = f"{walker.lon - 0.01},{walker.lat - 0.01},{walker.lon + 0.01},{walker.lat + 0.01}"
    far = f"{walker.lon + 1},{walker.lat + 1},{walker.lon + 1.1},{walker.lat + 1.1}"
    assert {first, second} <= {f["id"] for f in anonymous.get(
        TRACKS, headers=headers, params={"day": day, "bbox": near}).json()["features"]}
    assert anonymous.get(TRACKS, headers=headers,
                         params={"day": day, "bbox": far}).json()["features"] == []
    if day_of(at + timedelta(minutes=30), settings) == day:
        capped = anonymous.get(TRACKS, headers=headers, params={"day": day, "limit": 1}).json()
        assert capped["truncated"] is True and len(capped["features"]) == 1
        assert capped["features"][0]["id"] == second  # newest first


def test_bad_parameters_are_problems_and_others_are_refused(anonymous, settings, walker):
    headers = centre_headers(settings, role="township_staff", scope_code=walker.grid_code[:9])
    for params in ({"bbox": "1,2,3"}, {"bbox": "10,50,5,60"}, {"day": "yesterday"},
                   {"day": "9999-12-31"}, {"day": "0001-01-01"}, {"limit": 0},
                   {"limit": 5000}):
        answer = anonymous.get(TRACKS, headers=headers, params=params)
        assert 400 <= answer.status_code < 500, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"]
    admin = centre_headers(settings, role="admin", scope_code=walker.grid_code[:6])
    assert anonymous.get(TRACKS, headers=admin).status_code == 403
    assert anonymous.get(TRACKS).status_code == 401
