"""The supervisor map's remaining journeys (issue 12 §6) in Chromium, no host but the app's:
a supervisor opens an incident from a console link (/map?incident=ID) and escalates it,
needing a reason (the field is required, a blank one is refused by the server in
Chinese), the success staying until dismissed; the county centre signs it from its map,
offered 签收 and no new hand-off. The filters change what is drawn (tiles, markers and
the queue), the search opens an incident, and the staff layer draws today's tracks.

The scene (tests/api/test_supervisor_map.py): three incidents in a grid of the demo
township, one held (signed for) by the township centre, one yellow, one red.
"""

import mapbox_vector_tile
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.test_supervisor_map import _last_handoff, _unit, scene  # noqa: F401
from tests.browser import close_tab, log_in, open_tab, wait_for_map_still


def _scene_incidents(engine, grid: str) -> dict[str, int]:
    """The scene's incidents by deadline colour."""
    with Session(engine) as session:
        rows = session.execute(text(
            "SELECT deadline, id FROM incident WHERE grid_code = :g "
            "AND description LIKE '%(地图测试)'"), {"g": grid}).all()
    return {row.deadline: row.id for row in rows}


@pytest.mark.browser
def test_a_supervisor_escalates_with_a_reason_and_the_county_signs(
        live_server, tab, chromium, settings, engine, scene):  # noqa: F811
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/map?incident={scene.queued}")  # the console's link
    log_in(page, "demo_supervisor", settings.demo_password)
    card = page.locator(f".gridgov-side .gridgov-incident-card[data-incident='{scene.queued}']")
    expect(card).to_be_visible()
    # The card: address, due time, the console's link; the map centred on the incident.
    expect(card.locator(f"a[href='/console?incident={scene.queued}']")).to_be_visible()
    expect(card.locator("dt", has_text="地址")).to_be_visible()
    expect(card.locator("dt", has_text="时限")).to_be_visible()
    expect(page.locator(".leaflet-popup .gridgov-incident-card")).to_be_visible()

    card.locator(".gridgov-escalate").click()
    form = card.locator(".gridgov-handoff-escalate")
    reason = form.locator("textarea[name=reason]")
    expect(reason).to_have_attribute("required", "")
    expect(form).to_contain_text("理由（必填）")
    # Blanks pass the browser's check, not the server's: 422 reason_required, in words.
    reason.fill("   ")
    with page.expect_response(f"**/api/v1/incidents/{scene.queued}/handoffs") as refused:
        form.locator(".gridgov-send").click()
    assert refused.value.status == 422 and refused.value.json()["code"] == "reason_required"
    expect(form.locator(".gridgov-form-error")).to_contain_text("请填写理由")
    reason.fill("涉及多个部门，需区县协调")
    with page.expect_response(f"**/api/v1/incidents/{scene.queued}/handoffs") as answer:
        form.locator(".gridgov-send").click()
    assert answer.value.status == 201
    status = card.locator(".gridgov-action-status")
    expect(status).to_contain_text("待签收")
    # The queue and markers are read again meanwhile; the message stays until dismissed.
    page.wait_for_load_state("networkidle")
    expect(status).to_contain_text("待签收")
    status.locator(".gridgov-dismiss").click()
    expect(status).to_have_text("")
    handoff = _last_handoff(engine, scene.queued)
    assert (handoff.kind, handoff.status, handoff.to_code, handoff.reason) == (
        "escalate", "pending", scene.county, "涉及多个部门，需区县协调")

    # The county centre: its map offers 签收 (its own to sign), not a new hand-off.
    county = open_tab(chromium, viewport={"width": 1280, "height": 900})
    try:
        other = county.page
        other.goto(f"{live_server.url}/map?incident={scene.queued}")
        log_in(other, "demo_county_dispatcher", settings.demo_password)
        theirs = other.locator(
            f".gridgov-side .gridgov-incident-card[data-incident='{scene.queued}']")
        expect(theirs.locator(".gridgov-sign")).to_be_visible()
        expect(theirs.locator(".gridgov-escalate, .gridgov-assign, .gridgov-refer")
               ).to_have_count(0)
        theirs.locator(".gridgov-sign").click()
        with other.expect_response("**/handoffs/*/sign") as signed:
            theirs.locator(".gridgov-move-form-body button[type=submit]").click()
        assert signed.value.status == 200
        expect(theirs.locator(".gridgov-action-status")).not_to_have_text("")
        expect(theirs.locator(".gridgov-sign")).to_have_count(0)
    finally:
        close_tab(county)
    assert _last_handoff(engine, scene.queued).status == "signed"


def _counts(responses) -> dict[str, tuple[int, int]]:
    """Per tile (z/x/y): the clusters' total and overdue counts."""
    found = {}
    for response in responses:
        key = response.url.split("/tiles/incidents/")[1].split(".mvt")[0]
        body = response.body()
        layer = mapbox_vector_tile.decode(body).get("incidents") if body else None
        features = layer["features"] if layer else []
        found[key] = (sum(f["properties"].get("count", 1) for f in features),
                      sum(f["properties"].get("overdue", 0) for f in features))
    return found


@pytest.mark.browser
def test_the_filters_change_the_tiles_the_markers_and_the_queue(
        live_server, tab, settings, engine, scene):  # noqa: F811
    from playwright.sync_api import expect

    page = tab.page
    tiles = []
    page.on("response", lambda response: "/tiles/incidents/" in response.url
            and response.status == 200 and tiles.append(response))
    # The city: its incidents as clustered tiles.
    page.goto(f"{live_server.url}/map/{scene.county[:4]}00")
    log_in(page, "demo_admin", settings.demo_password)
    filters = page.locator(".gridgov-filters")
    expect(filters.locator("select[name=deadline]")).to_be_visible()
    expect(page.locator(".gridgov-area-label").first).to_be_visible()  # fitted to the city
    wait_for_map_still(page)
    drawn = page.locator("body[data-tiles-incidents]")
    expect(drawn).to_be_attached()
    before = _counts(tiles)
    assert before and all("category=" not in r.url for r in tiles)
    tiles.clear()
    # Only the overdue: each tile asked again, its clusters counting what were its overdue.
    filters.locator("select[name=deadline]").select_option("red")
    expect(page.locator("body[data-tiles-incidents*='deadline=red']")).to_be_attached()
    after = _counts(tiles)
    assert after and all("deadline=red" in r.url for r in tiles)
    shared = set(before) & set(after)
    assert shared and all(after[key][0] == before[key][1] for key in shared), (before, after)
    filters.locator("select[name=deadline]").select_option("")

    # The categories are told apart by code: a 大类 and its 小类, each with its code.
    options = filters.locator("select[name=category] option").evaluate_all(
        "(os) => os.map((o) => [o.value, o.textContent])")
    assert all(value in text for value, text in options if value)

    # At the grid, for the township: the markers and the queue follow the filters.
    mine = _scene_incidents(engine, scene.grid)
    page.goto(f"{live_server.url}/map/{scene.grid}")
    page.locator(".gridgov-account button", has_text="退出").click()
    log_in(page, "demo_township_staff", settings.demo_password)
    side = page.locator(".gridgov-side")
    item = side.locator(f".gridgov-queue li[data-incident='{scene.queued}']")
    marker = page.locator(f".leaflet-marker-pane [title^='#{mine['red']} ']")
    expect(marker).to_have_count(1)
    filters.locator("select[name=deadline]").select_option("red")
    expect(page.locator(".leaflet-marker-pane .gridgov-deadline-green")).to_have_count(0)
    expect(page.locator(".leaflet-marker-pane .gridgov-deadline-yellow")).to_have_count(0)
    expect(marker).to_have_count(1)
    expect(side.locator(".gridgov-queue li[data-incident]")).to_have_count(0)
    queues = [url for url in tab.requested if "/api/v1/incidents?" in url and "queue=mine" in url]
    assert "deadline=red" in queues[-1]
    # Another 大类 than the scene's: the red one goes too.
    with Session(engine) as session:
        theirs = session.scalar(text(
            "SELECT p.code FROM incident i JOIN category c ON c.id = i.category_id "
            "JOIN category p ON p.id = c.parent_id WHERE i.id = :i"), {"i": mine["red"]})
        other = session.scalar(text("SELECT min(code) FROM category WHERE level = 'major' "
                                    "AND code <> :c"), {"c": theirs})
    filters.locator("select[name=category]").select_option(other)
    expect(marker).to_have_count(0)
    filters.locator("select[name=category]").select_option(theirs)
    expect(marker).to_have_count(1)
    # No state ticked: nothing at all (not everything).
    filters.locator("select[name=deadline]").select_option("")
    expect(item).to_have_count(1)
    for box in filters.locator("input[name=state]").all():
        box.uncheck()
    expect(page.locator(".leaflet-marker-pane .gridgov-incident")).to_have_count(0)
    expect(item).to_have_count(0)
    filters.locator(".gridgov-filter-openStates").click()
    expect(item).to_have_count(1)


@pytest.mark.browser
def test_the_search_opens_an_incident_by_its_number(live_server, tab, settings,
                                                    scene):  # noqa: F811
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/map")
    log_in(page, "demo_township_staff", settings.demo_password)
    search = page.locator(".gridgov-search")
    search.locator("input[name=q]").fill(str(scene.queued))
    search.locator("button[type=submit]").click()
    card = page.locator(f".gridgov-side .gridgov-incident-card[data-incident='{scene.queued}']")
    expect(card).to_be_visible()
    wait_for_map_still(page)
    lon, lat = scene.points[0]
    centre = page.evaluate("() => { const c = document.querySelector('.folium-map');"
                           " const m = window[c.id]; return [m.getCenter().lng, "
                           "m.getCenter().lat, m.getZoom()]; }")
    assert abs(centre[0] - lon) < 0.01 and abs(centre[1] - lat) < 0.01 and centre[2] >= 16
    search.locator("input[name=q]").fill("没有这种事件的地址")
    search.locator("button[type=submit]").click()
    expect(search.locator(".gridgov-search-results")).to_contain_text("未找到")


@pytest.fixture
def todays_track(engine, scene):  # noqa: F811
    """A patrol of the grid's worker, started today (just after midnight, Asia/Shanghai,
    whatever the hour now), through the scene's points; deleted afterwards."""
    with Session(engine) as session:
        worker = session.scalar(text(
            "SELECT ga.worker_id FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id "
            "WHERE a.code = :g ORDER BY ga.worker_id LIMIT 1"), {"g": scene.grid})
        patrol = session.scalar(text(
            "INSERT INTO patrol (worker_id, client_key, started_at, distance_m) VALUES "
            "(:w, 'map-track-' || gen_random_uuid(), (date_trunc('day', now() AT TIME ZONE "
            "'Asia/Shanghai') + interval '1 second') AT TIME ZONE 'Asia/Shanghai', 120) "
            "RETURNING id"), {"w": worker})
        for i, (lon, lat) in enumerate(scene.points):
            session.execute(text(
                "INSERT INTO patrol_point (patrol_id, recorded_at, geom) SELECT :p, "
                "started_at + make_interval(secs => :i * 10), "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) FROM patrol WHERE id = :p"),
                {"p": patrol, "i": i, "lon": lon, "lat": lat})
        session.commit()
    yield patrol
    with Session(engine) as session:
        session.execute(text("DELETE FROM patrol WHERE id = :p"), {"p": patrol})
        session.commit()


@pytest.mark.browser
def test_the_staff_layer_draws_todays_tracks(live_server, tab, settings, scene,  # noqa: F811
                                             todays_track):
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/map/{scene.grid}")
    log_in(page, "demo_township_staff", settings.demo_password)
    expect(page.locator(".gridgov-area-label-selected")).to_be_visible()  # the grid's name
    wait_for_map_still(page)
    toggle = page.locator(".leaflet-control-layers label", has_text="今日巡查轨迹")
    with page.expect_response(lambda r: "/api/v1/patrols/tracks" in r.url) as answer:
        toggle.locator("input").check()
    assert answer.value.status == 200
    assert todays_track in [f["id"] for f in answer.value.json()["features"]]
    expect(page.locator("path.gridgov-track").first).to_be_attached()
    assert int(page.locator("body").get_attribute("data-patrol-tracks")) >= 1
    toggle.locator("input").uncheck()
    expect(page.locator("path.gridgov-track")).to_have_count(0)


@pytest.mark.browser
def test_the_grids_are_named_at_street_zoom(live_server, tab, settings, engine,
                                            scene):  # noqa: F811
    """Without a basemap: the township's villages are named at its zoom, and from z14 the
    grids of the grid layer, once switched on, are named too (map-labels.js)."""
    from playwright.sync_api import expect

    with Session(engine) as session:
        grid_name = session.scalar(text("SELECT name FROM area WHERE code = :c"),
                                   {"c": scene.grid})
    page = tab.page
    page.goto(f"{live_server.url}/map")
    log_in(page, "demo_township_staff", settings.demo_password)
    expect(page.locator(".gridgov-area-label").first).to_be_visible()  # the villages
    assert page.locator(".gridgov-area-label-grid").count() == 0
    with page.expect_response(lambda r: "/descendants" in r.url and "level=grid" in r.url):
        page.get_by_role("checkbox", name="网格", exact=True).check()
    lon, lat = scene.points[0]
    page.evaluate("([lon, lat]) => { const c = document.querySelector('.folium-map');"
                  " window[c.id].setView([lat, lon], 16, {animate: false}); }", [lon, lat])
    expect(page.locator(".gridgov-area-label-grid", has_text=grid_name)).to_be_visible()
