"""The supervisor map (issue 12 §6) in Chromium, no host but the app's: the registered
vector-tile layers drawn from their tiles (no incident as GeoJSON at a county's zoom),
area names as labels, the staff layer; a township escalates from the card, which offers
exactly the moves allowed now (no new hand-off while one is pending)."""

import pytest

from tests.api.test_supervisor_map import scene  # noqa: F401  (a fixture of that module)
from tests.browser import log_in


def _tile_answers(page) -> list[tuple[str, int]]:
    answers: list[tuple[str, int]] = []
    page.on("response", lambda response: "/tiles/" in response.url
            and answers.append((response.url, response.status)))
    return answers


@pytest.mark.browser
def test_a_city_map_draws_the_tiles_and_the_area_names(live_server, tab, settings):
    from playwright.sync_api import expect

    page = tab.page
    answers = _tile_answers(page)
    page.goto(f"{live_server.url}/map/430200")
    log_in(page, "demo_admin", settings.demo_password)
    page.wait_for_selector("body[data-tile-layers]", state="attached")
    # The districts' names on the map, at the city's zoom.
    expect(page.locator(".gridgov-area-label").first).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.gridgov-area-label').length >= 5")
    page.wait_for_function("() => document.querySelectorAll("
                           "'.leaflet-tile-container canvas, canvas.leaflet-tile').length > 0")
    page.wait_for_load_state("networkidle")
    incidents = [(url, status) for url, status in answers if "/tiles/incidents/" in url]
    assert incidents and all(status == 200 for _, status in incidents), incidents
    assert all("state=reported" in url and "state=closed" not in url for url, _ in incidents)
    # A city's incidents come as tiles, not as GeoJSON.
    assert tab.api_calls("/api/v1/layers/incidents/features") == []

    # The staff layer, from the layer control: the workers' positions as tiles.
    with page.expect_response(lambda response: "/tiles/staff/" in response.url) as staff:
        page.locator(".leaflet-control-layers label", has_text="网格员位置").locator(
            "input").check()
    assert staff.value.status == 200


@pytest.mark.browser
def test_the_card_offers_exactly_the_moves_allowed_now(
        live_server, tab, settings, engine, scene):  # noqa: F811
    from playwright.sync_api import expect

    page = tab.page
    page.goto(f"{live_server.url}/map/{scene.grid}")
    log_in(page, "demo_township_staff", settings.demo_password)
    side = page.locator(".gridgov-side")
    item = side.locator(f".gridgov-queue li[data-incident='{scene.queued}']")
    item.locator("button").click()
    card = side.locator(f".gridgov-incident-card[data-incident='{scene.queued}']")
    # Held and signed by the township: no 签收 to offer, the hand-offs are.
    expect(card.locator(".gridgov-escalate")).to_be_visible()
    expect(card.locator(".gridgov-sign")).to_have_count(0)
    card.locator(".gridgov-escalate").click()
    card.locator("textarea[name=reason]").fill("需区县协调")
    with page.expect_response(f"**/api/v1/incidents/{scene.queued}/handoffs") as answer:
        card.locator(".gridgov-send").click()
    assert answer.value.status == 201
    expect(card.locator(".gridgov-action-status")).to_contain_text("待签收")
    expect(card.locator(".gridgov-escalate")).to_have_count(0)  # one pending at a time
