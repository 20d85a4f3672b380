"""Browser-test parts shared by the page tests: Debian's Chromium driven by Playwright,
a tab that fails its test on a page error or on any request to a host but the app's,
logging in through the shared form, and a folder where screenshots are kept.

The fixtures are imported into tests/conftest.py, so every test module has them.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
# No GPU, no sandbox (containers), and none of Chromium's own calls home: every request
# the browser makes is then one the page made.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Screenshots outlive the run here (CI keeps the folder); TEST_ARTEFACTS moves it.
ARTEFACTS = Path(os.environ.get("TEST_ARTEFACTS", ".state/test-artefacts"))


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A fresh browser context (its own storage) and what its page did."""

    page: object
    context: object = None
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def api_calls(self, prefix: str = "/api/v1/") -> list[str]:
        return [url for url in self.requested if urlsplit(url).path.startswith(prefix)]


def open_tab(browser, **context_options) -> Tab:
    """A new context and page, recording every request and page error."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    opened = Tab(page, context)
    page.on("request", lambda request: opened.requested.append(request.url))
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    return opened


def close_tab(opened: Tab) -> None:
    """Closes the tab, then fails on page errors or on requests to other hosts. An object
    URL (`blob:http://127.0.0.1:port/uuid`, e.g. a photo fetched with the token) counts
    as the origin that made it; a `data:` URL requests nothing."""
    opened.context.close()
    assert opened.errors == []
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in opened.requested
             if not url.startswith("data:")}
    assert hosts <= LOCAL_HOSTS, opened.requested


@pytest.fixture
def tab(chromium) -> Iterator[Tab]:
    opened = open_tab(chromium, viewport={"width": 1280, "height": 900})
    yield opened
    close_tab(opened)


@pytest.fixture
def artefacts(request) -> Path:
    """This test's folder for screenshots, kept after the run."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, username: str, password: str) -> None:
    form = page.locator(".gridgov-login form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()
