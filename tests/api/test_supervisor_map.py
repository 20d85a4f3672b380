"""The supervisor map in a browser: a township supervisor (demo_township_staff, who holds
the township centre's queue) sees the choropleth of his villages, drills down to a grid,
finds an incident of his queue there, escalates it to the county centre from the map and
sees it leave the queue; the markers are coloured by deadline, the heatmap toggles, a
refused second hand-off shows the problem in words, and the English switch changes the
labels. From the same card he refers an incident to a unit picked from those that cover
it (the township's 综合行政执法队).

The incidents are made through the live server's API (committed, like a real day's work)
and deleted when the test ends.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import log_in, wait_for_map_still
from tests.factories import delete_incidents
from tests.grid.incidents.conftest import new_key, person_of, place_in_village

RED, YELLOW, GREEN = "rgb(214, 40, 40)", "rgb(233, 176, 0)", "rgb(43, 147, 72)"


@dataclass(frozen=True)
class Scene:
    township: str
    village: str
    grid: str
    county: str
    queued: int  # in the township's queue, signed for, no hand-off pending
    points: list[tuple[float, float]]  # inside the grid, apart from one another


def _spread_points(session, grid: str) -> list[tuple[float, float]]:
    """A point in each third (west to east) of the grid: apart enough not to cluster at
    the zoom the grid is seen at."""
    rows = session.execute(text("""
        WITH g AS (SELECT geom, ST_XMin(geom) AS x0, ST_XMax(geom) AS x1, ST_YMin(geom) AS y0,
                          ST_YMax(geom) AS y1 FROM area WHERE code = :code)
        SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM g, generate_series(0, 2) AS i,
             LATERAL ST_PointOnSurface(ST_Intersection(g.geom, ST_MakeEnvelope(
                 x0 + i * (x1 - x0) / 3, y0, x0 + (i + 1) * (x1 - x0) / 3, y1, 4326))) AS p
        ORDER BY i"""), {"code": grid}).all()
    return [(row.lon, row.lat) for row in rows]


@pytest.fixture
def scene(live_server, engine, settings, demo_city) -> Iterator[Scene]:
    """Three incidents reported by the grid worker of the first grid of the township's
    first village, one yellow and one red; the green one escalated by the village to the
    township, which signed for it."""
    with Session(engine) as session:
        staff = person_of(session, settings, "demo_township_staff")
        village_staff = person_of(session, settings, "demo_village_staff")
        township = staff.principal.scope_code
        village = village_staff.principal.scope_code
        assert village.startswith(township)  # the demo's first village of his township
        place = place_in_village(session, settings, village)
        points = _spread_points(session, place.grid_code)
        category = session.scalar(text("SELECT code FROM category WHERE level = 'minor' "
                                       "AND active ORDER BY code LIMIT 1"))
    api = f"{live_server.url}/api/v1"
    made: list[int] = []
    try:
        for (lon, lat), text_ in zip(points, ("占道经营 (地图测试)", "井盖缺失 (地图测试)",
                                              "垃圾堆积 (地图测试)"), strict=True):
            response = httpx.post(f"{api}/incidents", json={
                "location": {"type": "Point", "coordinates": [lon, lat]},
                "category": category, "description": text_},
                headers={**place.worker.headers, "Idempotency-Key": new_key()})
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
        queued = made[0]
        escalated = httpx.post(f"{api}/incidents/{queued}/handoffs", json={
            "kind": "escalate", "version": 1, "reason": "村里处理不了"},
            headers=village_staff.headers)
        assert escalated.status_code == 201, escalated.text
        signed = httpx.post(f"{api}/incidents/{queued}/handoffs/{escalated.json()['id']}/sign",
                            headers=staff.headers)
        assert signed.status_code == 200, signed.text
        with Session(engine) as session:
            session.execute(text("UPDATE incident SET deadline = CASE id WHEN :y THEN 'yellow' "
                                 "ELSE 'red' END WHERE id IN (:y, :r)"),
                            {"y": made[1], "r": made[2]})
            session.commit()
        yield Scene(township, village, place.grid_code, township[:6], queued, points)
    finally:
        with Session(engine) as session:
            delete_incidents(session, made)
            session.commit()


def _click_inside(page, points: list[tuple[float, float]], pane: str) -> None:
    """A real click on the first of the points whose top element lies in the pane (a
    marker or a panel may cover some)."""
    for lon, lat in points:
        x, y, target = page.evaluate("""([lon, lat]) => {
            const container = document.querySelector(".folium-map");
            const point = window[container.id].latLngToContainerPoint([lat, lon]);
            const box = container.getBoundingClientRect();
            const [x, y] = [box.left + point.x, box.top + point.y];
            const top = document.elementFromPoint(x, y);
            return [x, y, top && top.closest(".leaflet-pane")?.className];
        }""", [lon, lat])
        if target and f"leaflet-{pane}-pane" in target:
            page.mouse.click(x, y)
            return
    raise AssertionError(f"no point of {points} is clear on the {pane} pane")


def _grid_points(engine, grid: str) -> list[tuple[float, float]]:
    with Session(engine) as session:
        rows = session.execute(text(
            "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM area, "
            "LATERAL (SELECT (ST_Dump(ST_GeneratePoints(geom, 12, 7))).geom AS p) s "
            "WHERE code = :code"), {"code": grid}).all()
    return [(row.lon, row.lat) for row in rows]


def _unit(engine, kind: str, seat: str):
    """The active unit of that kind seated at the area: (id, name)."""
    with Session(engine) as session:
        return session.execute(text("SELECT id, name FROM unit WHERE kind = :k AND "
                                    "seat_code = :s AND is_active"),
                               {"k": kind, "s": seat}).one()


def _last_handoff(engine, incident_id: int):
    with Session(engine) as session:
        return session.execute(text(
            "SELECT kind, status, from_code, to_code, to_unit_id, to_platform, reason, "
            "created_by FROM handoff WHERE subject_type = 'incident' AND subject_id = :id "
            "ORDER BY id DESC LIMIT 1"), {"id": incident_id}).one()


def _colour(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("(node) => getComputedStyle(node).backgroundColor")


@pytest.mark.browser
def test_a_township_supervisor_escalates_an_incident_to_the_county(
        live_server, tab, settings, engine, scene, artefacts: Path):
    from playwright.sync_api import expect

    with Session(engine) as session:
        villages = session.scalars(text(
            "SELECT c.code FROM area c JOIN area p ON p.id = c.parent_id WHERE p.code = :t"),
            {"t": scene.township}).all()
        county_name = session.scalar(text("SELECT name FROM area WHERE code = :c"),
                                     {"c": scene.county})
        grid_name = session.scalar(text("SELECT name FROM area WHERE code = :c"),
                                   {"c": scene.grid})
    page = tab.page
    page.goto(f"{live_server.url}/map")
    log_in(page, "demo_township_staff", settings.demo_password)

    # The choropleth: every village of his township coloured by its counts, a legend.
    side = page.locator(".gridgov-side")
    expect(side).to_be_visible()
    expect(page.locator(".leaflet-children-pane path[data-overdue]")).to_have_count(len(villages))
    expect(page.locator(".gridgov-legend li").first).to_be_visible()
    expect(side.locator(".gridgov-count-open")).not_to_have_text("0")
    expect(side.locator(".gridgov-side-kpis dd").first).to_be_visible()
    expect(page.locator(".gridgov-breadcrumb li")).to_have_count(1)
    fills = page.locator(".leaflet-children-pane path[data-overdue]").evaluate_all(
        "(paths) => paths.map((p) => [p.dataset.overdue, p.getAttribute('fill')])")
    by_count = {}
    for overdue, fill in fills:
        by_count.setdefault(overdue, set()).add(fill)
    assert all(len(colours) == 1 for colours in by_count.values()), by_count  # one per count
    wait_for_map_still(page)
    page.screenshot(path=str(artefacts / "1-township.png"))
    # By open incidents instead: another scale, back again.
    legend = page.locator(".gridgov-legend")
    page.locator(".gridgov-measure input[value=open]").check()
    expect(legend).to_have_attribute("data-measure", "open")
    assert page.locator(".gridgov-legend .gridgov-swatch").nth(1).evaluate(
        "(node) => getComputedStyle(node).backgroundColor") == "rgb(198, 219, 239)"
    page.locator(".gridgov-measure input[value=overdue]").check()
    expect(legend).to_have_attribute("data-measure", "overdue")

    # Drill down: the village, then the grid.
    grid_points = _grid_points(engine, scene.grid)
    _click_inside(page, grid_points, "children")
    expect(page.locator(".gridgov-breadcrumb li")).to_have_count(2)
    expect(page.locator(".gridgov-info")).to_contain_text(scene.village)
    wait_for_map_still(page)  # the zoom to the village, before clicking at a position
    _click_inside(page, grid_points, "children")
    expect(page.locator(".gridgov-breadcrumb li")).to_have_count(3)
    expect(page.locator(".gridgov-breadcrumb")).to_contain_text(grid_name)
    expect(side.locator("h2")).to_have_text(grid_name)

    # Markers coloured by deadline (a cluster takes its worst member's colour).
    expect(page.locator(".gridgov-deadline-red.gridgov-incident, "
                        ".gridgov-deadline-red.gridgov-cluster").first).to_be_visible()
    expect(page.locator(".gridgov-incident.gridgov-deadline-yellow, "
                        ".gridgov-cluster.gridgov-deadline-yellow").first).to_be_attached()
    assert _colour(page, ".gridgov-incident.gridgov-deadline-red, "
                         ".gridgov-cluster.gridgov-deadline-red span") == RED
    asked = [url for url in tab.api_calls("/api/v1/layers/incidents/features")]
    assert asked and all("bbox=" in url and "state=" in url for url in asked), asked
    wait_for_map_still(page)
    page.screenshot(path=str(artefacts / "2-grid.png"))

    # The heatmap: on, a canvas over the map; off, gone.
    heat = page.locator(".gridgov-toggle-heat input")
    heat.check()
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(1)
    page.screenshot(path=str(artefacts / "3-heatmap.png"))
    heat.uncheck()
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(0)

    # His queue in this grid holds the incident: its card, and its marker on the map.
    item = side.locator(f".gridgov-queue li[data-incident='{scene.queued}']")
    expect(item).to_have_count(1)
    item.locator("button").click()
    card = side.locator(f".gridgov-incident-card[data-incident='{scene.queued}']")
    expect(card).to_be_visible()
    popup = page.locator(f".leaflet-popup .gridgov-incident-card[data-incident='{scene.queued}']")
    expect(popup).to_be_visible()
    assert _colour(page, ".leaflet-marker-pane .gridgov-incident.gridgov-deadline-green") == GREEN

    # Escalate from the map: to the county's centre; the queue lets go of it.
    county_centre, county_centre_name = _unit(engine, "centre", scene.county)
    assert county_name in county_centre_name
    card.locator(".gridgov-escalate").click()
    expect(card.locator(".gridgov-handoff-target")).to_have_text(
        f"上报至 {county_centre_name}")
    card.locator("textarea[name=reason]").fill("需区县协调处理")
    with page.expect_response(f"**/api/v1/incidents/{scene.queued}/handoffs") as answer:
        card.locator(".gridgov-send").click()
    assert answer.value.status == 201
    expect(card.locator(".gridgov-action-status")).to_contain_text(county_centre_name)
    expect(item).to_have_count(0)
    # The markers were read again (the heatmap, switched off, did not get in the way).
    expect(page.locator(".gridgov-markers-status")).to_contain_text("件事件")
    wait_for_map_still(page)
    page.screenshot(path=str(artefacts / "4-escalated.png"))
    handoff = _last_handoff(engine, scene.queued)
    assert tuple(handoff) == ("escalate", "pending", scene.township, scene.county,
                              county_centre, "grid", "需区县协调处理", "demo_township_staff")
    with Session(engine) as session:
        owner = session.execute(text("SELECT owner_code, owner_unit_id FROM incident "
                                     "WHERE id = :id"), {"id": scene.queued}).one()
    assert tuple(owner) == (scene.county, county_centre)

    # The card, drawn again, shows the county's centre holding it and the outcome until
    # dismissed; it offers no new hand-off while the county has not signed (the server
    # would refuse one: 409 handoff_pending), and the township none to sign (not its own).
    expect(card).to_contain_text(county_centre_name)
    expect(card.locator(".gridgov-action-status")).to_contain_text(county_centre_name)
    expect(card.locator(".gridgov-escalate, .gridgov-assign, .gridgov-refer")).to_have_count(0)
    card.locator(".gridgov-dismiss").click()
    expect(card.locator(".gridgov-action-status")).to_have_text("")

    # English: the labels change, the page says it is English.
    page.locator("[data-i18n-switch]").click()
    expect(page.locator(".gridgov-header h1")).to_have_text("Grid governance map")
    expect(side.locator(".gridgov-side-queue h3")).to_have_text("My unit's queue")
    expect(page.locator(".gridgov-toggle-heat")).to_have_text("Heatmap")
    expect(page.locator("[data-i18n-switch]")).to_have_text("中文")
    expect(page.locator(".gridgov-info dt").first).to_have_text("Level")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.screenshot(path=str(artefacts / "5-english.png"))


@pytest.mark.browser
def test_a_referral_from_the_map_card_to_a_unit(live_server, tab, settings, engine, scene,
                                                artefacts: Path):
    from playwright.sync_api import expect

    team, team_name = _unit(engine, "enforcement_team", scene.township)
    page = tab.page
    page.goto(f"{live_server.url}/map/{scene.grid}")
    log_in(page, "demo_township_staff", settings.demo_password)
    side = page.locator(".gridgov-side")
    item = side.locator(f".gridgov-queue li[data-incident='{scene.queued}']")
    expect(item).to_have_count(1)
    item.locator("button").click()
    card = side.locator(f".gridgov-incident-card[data-incident='{scene.queued}']")
    expect(card).to_be_visible()

    # 下派 offers the units seated below the holder whose territory contains the incident:
    # the village's centre and its 便民服务站.
    card.locator(".gridgov-assign").click()
    assign = card.locator(".gridgov-handoff-assign")
    expect(assign.locator(".gridgov-unit-picker")).to_have_attribute("data-units", "2")
    below = set(assign.locator("select[name=to_unit_id] option").evaluate_all(
        "(os) => os.map((o) => o.value)")) - {""}
    assert below == {str(_unit(engine, kind, scene.village)[0])
                     for kind in ("centre", "service_station")}
    assign.locator(".gridgov-cancel").click()
    expect(assign).to_have_count(0)

    # 转办: to a platform or department by default; "a unit" offers the units that cover
    # the incident (not the township centre holding it), and the filter finds the team.
    card.locator(".gridgov-refer").click()
    form = card.locator(".gridgov-handoff-refer")
    expect(form.locator(".gridgov-refer-unit")).to_be_hidden()
    form.locator("input[name=refer_by][value=unit]").check()
    expect(form.locator(".gridgov-refer-platform")).to_be_hidden()
    picker = form.locator(".gridgov-refer-unit .gridgov-unit-picker")
    expect(picker).to_have_attribute("data-units", re.compile(r"^[1-9]\d*$"))
    with Session(engine) as session:
        holder = session.scalar(text("SELECT owner_unit_id FROM incident WHERE id = :id"),
                                {"id": scene.queued})
    units = form.locator("select[name=to_unit_id]")
    offered = set(units.locator("option").evaluate_all("(os) => os.map((o) => o.value)"))
    assert str(team) in offered and str(holder) not in offered
    form.locator(".gridgov-unit-filter").fill(team_name)
    expect(units).to_have_value(str(team))
    form.locator("textarea[name=reason]").fill("占道经营，请执法队处理")
    page.screenshot(path=str(artefacts / "6-refer-form.png"))
    with page.expect_response(f"**/api/v1/incidents/{scene.queued}/handoffs") as answer:
        form.locator(".gridgov-send").click()
    assert answer.value.status == 201
    expect(card.locator(".gridgov-action-status")).to_contain_text(team_name)
    expect(item).to_have_count(0)  # the township centre holds it no more
    page.screenshot(path=str(artefacts / "7-referred.png"))

    handoff = _last_handoff(engine, scene.queued)
    assert tuple(handoff) == ("refer", "pending", scene.township, scene.township, team,
                              "enforcement", "占道经营，请执法队处理", "demo_township_staff")
    with Session(engine) as session:
        owner = session.execute(text("SELECT owner_unit_id, owner_platform FROM incident "
                                     "WHERE id = :id"), {"id": scene.queued}).one()
    assert tuple(owner) == (team, "enforcement")
