"""One front end for the platforms (issue 12 §1): the pages' scripts are native ES modules
that import what they use — no object hung on `window`, no script order kept in Python —
and the pages not drawn by folium share one base template."""

import re

import pytest

from api.pages import STATIC_DIR
from tests.api.pages_support import module_graph, start_call

OWN_SCRIPTS = [path for path in STATIC_DIR.rglob("*.js") if "vendor" not in path.parts
               and path.name != "sw.js"]  # the service worker is a classic worker script


@pytest.mark.parametrize("path", OWN_SCRIPTS, ids=lambda path: str(path.relative_to(STATIC_DIR)))
def test_a_page_script_is_a_module_with_no_globals(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\bwindow\.\w+\s*=[^=]", source), "an object hung on window"
    assert not re.search(r"\bgridgov[A-Z]\w*\b", source), "a global of the old scripts"
    assert not source.lstrip().startswith("(function"), "a classic script's wrapper"
    assert re.search(r"^(import|export) ", source, re.M), "neither imports nor exports"


def test_every_module_the_pages_use_is_served_and_imports_resolve(anonymous):
    entries = [start_call(anonymous.get(page).text)[0] for page in ("/console", "/kpis",
                                                                    "/field")]
    modules = set(module_graph(anonymous, [*entries, "/static/map.js"]))
    # The parts written once, shared by every page that needs them.
    assert {"/static/i18n.js", "/static/session.js", "/static/bell.js", "/static/moves.js",
            "/static/handoff.js", "/static/units.js", "/static/workflow.js"} <= modules


@pytest.mark.parametrize("page", ["/console", "/kpis", "/field", "/admin"])
def test_the_pages_share_one_base_template(anonymous, page):
    html = anonymous.get(page).text
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert html.count("<script type=\"module\">") == 1
    assert '<body class="gridgov-logged-out">' in html


def test_the_map_page_has_the_favicon_too(anonymous):
    assert '<link rel="icon" href="/static/favicon.svg"' in anonymous.get("/map").text
    assert anonymous.get("/static/favicon.svg").headers["content-type"].startswith(
        "image/svg+xml")
