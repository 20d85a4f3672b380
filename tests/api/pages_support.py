"""What the page tests share about the pages' ES modules (issue 12 §1): the module graph
a page's entry imports, followed through the served files, and the options its inline
`start(...)` call is given."""

import json
import re
from posixpath import dirname, join, normpath

from tests.browser import log_in

# `import … from "x"`, `import "x"`, `export … from "x"` and `import("x")` with a literal.
_IMPORT = re.compile(r"""(?:^|;|\n)\s*(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']"""
                     r"""|(?:^|\n)\s*import\s*["']([^"']+)["']"""
                     r"""|\bimport\(\s*["']([^"']+)["']\s*\)""")


def imports_of(source: str, url: str) -> list[str]:
    """The modules `source` (served at `url`) imports, as absolute paths."""
    found = []
    for groups in _IMPORT.findall(source):
        target = next(g for g in groups if g)
        if target.startswith("/"):
            found.append(target)
        else:
            found.append(normpath(join(dirname(url), target)))
    return found


def module_graph(client, entries) -> list[str]:
    """Every module reachable from `entries` (absolute paths), each fetched once: each
    must be served (200, as JavaScript)."""
    seen: list[str] = []
    todo = list(entries)
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        assert "javascript" in response.headers["content-type"], url
        seen.append(url)
        todo += imports_of(response.text, url)
    return seen


def start_call(html: str) -> tuple[str, dict]:
    """The page's entry module and the options of its inline start(...) (api/pages.py
    BASE_PAGE)."""
    match = re.search(r'<script type="module">import \{start\} from "([^"]+)"; '
                      r"start\((.*?)\);</script>", html, re.S)
    assert match, "no start call"
    return match.group(1), json.loads(match.group(2))


REFRESH = "/api/v1/auth/refresh"


def before_login(tab) -> list[str]:
    """The paths of the API calls a tab made (before logging in: the one try of the refresh
    cookie shared by the tabs, session.js `resumeOrAsk`)."""
    from urllib.parse import urlsplit

    return [urlsplit(url).path for url in tab.api_calls()]


def open_and_log_in(tab, url: str, username: str, password: str) -> None:
    """Open `url` in the tab and log in through the page's form, checking first that the
    page's only API call before the login was the one try of the refresh cookie a login in
    another tab would have left (session.js), refused here."""
    from playwright.sync_api import expect

    tab.page.goto(url)
    expect(tab.page.locator(".gridgov-login form")).to_be_visible()
    assert before_login(tab) == [REFRESH]
    log_in(tab.page, username, password)
