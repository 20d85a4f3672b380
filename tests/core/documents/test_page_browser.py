"""The verification page in Chromium on a phone's screen: the QR code's page of a real
(committed) document says it is in force; choosing the original PDF confirms it, a
changed copy is refused; the page's own SHA-256 (for plain-HTTP intranets without Web
Crypto) agrees with Python's; nothing is fetched from another host (tests/browser.py)."""

import hashlib
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.documents import issue, lock, purge
from core.workflow.clocks import Subject
from tests.browser import close_tab, open_tab
from tests.core.documents.conftest import PENALTY, make_unit

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(settings, demo_city):
    """The app with the document routes, served by uvicorn (its own committed sessions)."""
    import socket

    import uvicorn

    from api.app import create_app
    from core.documents.router import routers

    app = create_app(settings)
    if "/verify/{token}" not in {getattr(r, "path", None) for r in app.routes}:
        for router in routers():
            app.include_router(router)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    served = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a bound, not a pace
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    served.should_exit = True
    thread.join(timeout=10)
    listener.close()
    app.state.engine.dispose()


@pytest.fixture
def document(engine, demo_city):
    with Session(engine) as session:
        unit = make_unit(session)
        draft = issue(session, subject=Subject("browser_case", 1), kind="penalty_decision",
                      unit_id=unit, fields=PENALTY, actor="officer")
        locked = lock(session, draft, "head")
        found = (locked.verify_token, bytes(locked.pdf), locked.number)
        session.commit()
    yield found
    with Session(engine) as session:
        purge(session, subject_type="browser_case", subject_ids=[1])
        session.execute(text("DELETE FROM unit WHERE id = :u"), {"u": unit})
        session.commit()


def test_the_page_checks_a_chosen_file_on_a_phone(chromium, server, document, artefacts):
    token, pdf, number = document
    opened = open_tab(chromium, viewport=PHONE, is_mobile=True)
    try:
        page = opened.page
        page.goto(f"{server}/verify/{token}")
        assert page.locator(".badge").inner_text() == "有效"
        assert number in page.content()
        page.screenshot(path=artefacts / "verify-phone.png", full_page=True)

        with page.expect_navigation():
            page.set_input_files("#file", files=[{"name": "决定书.pdf",
                                                  "mimeType": "application/pdf",
                                                  "buffer": pdf}])
        assert "✓ 一致" in page.locator(".verdict").inner_text()
        assert f"sha256={hashlib.sha256(pdf).hexdigest()}" in page.url

        with page.expect_navigation():
            page.set_input_files("#file", files=[{"name": "改过的.pdf",
                                                  "mimeType": "application/pdf",
                                                  "buffer": pdf + b"%"}])
        assert "✗ 不一致" in page.locator(".verdict").inner_text()
        page.screenshot(path=artefacts / "verify-phone-refused.png", full_page=True)

        for sample in (b"", b"abc", pdf[:1000], pdf):
            assert page.evaluate("bytes => sha256(new Uint8Array(bytes).buffer)",
                                 list(sample)) == hashlib.sha256(sample).hexdigest()
    finally:
        close_tab(opened)
