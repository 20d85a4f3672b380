"""The map's layer control in the page's language (issue 12 §3): the level layers, the
registered vector-tile layers (the layer registry's `title_zh` and English `title`) and
today's patrol tracks are titled in Chinese, in English after the switch, and in Chinese
again; which layers are on does not change. A layer's English title is data the registry
checks."""

import json
import re
from dataclasses import replace

import httpx
import pytest

from geo.layers import registry
from geo.maps import LAYER_NAMES_EN
from grid.layers import INCIDENTS
from tests.api.test_map_page import _page
from tests.browser import log_in


def test_the_shell_gives_each_level_layer_both_titles(anonymous):
    html = _page(anonymous)
    for name in LAYER_NAMES_EN.values():
        assert json.dumps(name) in html, name


def test_a_layer_whose_english_title_is_chinese_is_refused_at_start_up():
    for title, title_zh in (("事件", "事件"), ("Incidents", "")):
        with pytest.raises(registry.LayerConflict, match="title"):
            registry.register(replace(INCIDENTS, name="titles_test", title=title,
                                      title_zh=title_zh))
    assert all(layer.name != "titles_test" for layer in registry.all())


def _labels(page) -> list[str]:
    return [text.strip() for text in page.locator(
        ".leaflet-control-layers-overlays label").all_text_contents()]


def _wait_for(overlays, titles: set[str]) -> None:
    from playwright.sync_api import expect

    for title in titles:
        expect(overlays.filter(has_text=re.compile(f"^\\s*{re.escape(title)}\\s*$"))
               ).to_have_count(1)


@pytest.mark.browser
def test_the_layer_control_follows_the_language(live_server, tab, settings, demo_city):
    page = tab.page
    page.goto(f"{live_server.url}/map")
    log_in(page, "demo_county_dispatcher", settings.demo_password)
    page.wait_for_selector("body[data-tile-layers]", state="attached")
    overlays = page.locator(".leaflet-control-layers-overlays label")
    titled = {"乡镇（街道）", "村（社区）", "网格", "事件", "网格员位置", "今日巡查轨迹"}
    _wait_for(overlays, titled)  # the level layers come with the area, the others sooner
    page.wait_for_load_state("networkidle")  # and every platform's part has added its own
    chinese = _labels(page)
    checked = overlays.locator("input").evaluate_all("(inputs) => inputs.map((i) => i.checked)")

    page.locator("[data-i18n-switch]").click()
    _wait_for(overlays, {"Townships and streets", "Villages and communities", "Grids",
                         "Incidents", "Grid workers' latest positions",
                         "Today's patrol tracks"})
    english = _labels(page)
    assert len(english) == len(chinese) and not titled & set(english)
    # Every registered layer in English (the registry's `title`).
    token = page.evaluate("sessionStorage.getItem('gridgov.accessToken')")
    registered = httpx.get(f"{live_server.url}/api/v1/layers",
                           headers={"Authorization": f"Bearer {token}"}).json()
    drawn = [layer for layer in registered if layer["geometry_type"] == "Point"]
    assert drawn and [layer["title"] for layer in drawn if layer["title"] not in english] == []
    # The same layers, in the same order, the same ones switched on.
    assert overlays.locator("input").evaluate_all(
        "(inputs) => inputs.map((i) => i.checked)") == checked

    page.locator("[data-i18n-switch]").click()
    _wait_for(overlays, titled)
    assert _labels(page) == chinese
    assert not tab.errors
