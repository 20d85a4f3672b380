"""Chinese throughout (issue 12 §3): the main pages, walked in Chinese mode by the roles that
use them, show no English word outside an allowed list (codes, numbers, units, the
language switch and the names of the map's own software), in their text and in the
labels a screen reader reads (title, aria-label, placeholder)."""

import re

import pytest

from tests.browser import log_in

# The words a Chinese page may show: the switch to English (its own name), units,
# abbreviations and file formats read as such in Chinese, and the map library's credit.
# A national standard's number (GB/T 30428.2, a category's 依据标准) is a code too.
ALLOWED = {"English", "km", "GPS", "Leaflet", "KPI", "ID", "Excel", "CSV", "PDF", "GB"}
# A token with a digit or an underscore is a code or an identifier (B0301, a user name).
TOKEN = re.compile(r"[A-Za-z0-9_'’.-]*[A-Za-z][A-Za-z0-9_'’.-]*")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")

VISIBLE_TEXT = """() => {
    const texts = [document.title, document.body.innerText];
    for (const node of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
        if (node.closest("[hidden]") || node.closest(".gridgov-login")) continue;
        for (const name of ["title", "aria-label", "placeholder"]) {
            if (node.getAttribute(name)) texts.push(node.getAttribute(name));
        }
    }
    return texts.join("\\n");
}"""

PAGES = [
    ("/console", "demo_village_staff", "body[data-queue-loaded]"),
    ("/map", "demo_township_staff", ".leaflet-children-pane path"),
    ("/kpis", "demo_township_staff", "body[data-loaded]"),
    ("/field", "demo_grid_worker", "body[data-ready='true']"),
    # The KPI rankings and the administration page (issue 12 §5, §8).
    ("/kpis?view=workers", "demo_township_staff", "body[data-view=workers]"),
    ("/admin", "demo_admin", "body[data-admin-ready='true']"),
    ("/admin?tab=units", "demo_admin", "body[data-admin-ready='true']"),
    ("/admin?tab=categories", "demo_admin", "body[data-admin-ready='true']"),
]


def english_words(text: str) -> list[str]:
    words = set()
    for token in TOKEN.findall(text):
        if re.search(r"[\d_]", token):
            continue
        words.update(word for word in WORD.findall(token) if word not in ALLOWED)
    return sorted(words)


def assert_no_english(page) -> None:
    """Once the page is idle, it shows no English word outside ALLOWED, its bell's list of
    notices open too (each unexpected word reported with the lines it stands in)."""
    page.wait_for_load_state("networkidle")
    page.locator(".gridgov-bell").click()  # its list too
    shown = page.evaluate(VISIBLE_TEXT)
    found = english_words(shown)
    assert found == [], [line for line in shown.splitlines()
                         if any(word in line for word in found)]


def test_the_check_finds_english():
    assert english_words("村社区 villages · 12 km · B03 市容环境 demo_village_staff") == [
        "villages"]


@pytest.mark.browser
@pytest.mark.parametrize("path, username, ready", PAGES)
def test_a_page_in_chinese_mode_shows_no_english(live_server, tab, settings, path, username,
                                                 ready):
    page = tab.page
    page.goto(f"{live_server.url}{path}")
    log_in(page, username, settings.demo_password)
    page.wait_for_selector(ready, state="attached")
    assert_no_english(page)
