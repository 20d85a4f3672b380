"""Chinese throughout (issue 12 §3) on the platforms' consoles: each walked in Chinese mode
by its platform's demo account, a subject open (fields, clocks, timeline, moves), shows no
English word outside the allowed list of tests/api/test_pages_chinese.py."""

import pytest

from tests.api.console_platforms_support import enforcement_clue, market_submitted, work_order
from tests.api.test_console_platforms_browser import open_console, open_subject, seeded
from tests.api.test_pages_chinese import assert_no_english

__all__ = ["seeded"]  # a fixture, imported for this module's tests

CONSOLES = [
    ("enforcement", "demo_enforcement_officer", enforcement_clue, "mine"),
    ("market", "demo_market_inspector", market_submitted, "review"),
    ("workorders", "demo_county_dispatcher", work_order, "territory"),
]


@pytest.mark.browser
@pytest.mark.parametrize("key, username, build, queue", CONSOLES,
                         ids=[key for key, *_ in CONSOLES])
def test_a_platform_console_in_chinese_mode_shows_no_english(live_server, tab, settings,
                                                             seeded, key, username, build,
                                                             queue):
    subject = seeded(build, username=username)
    page = tab.page
    open_console(page, live_server, settings, key, username)
    open_subject(page, queue, subject.id)
    assert_no_english(page)
