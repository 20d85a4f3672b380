"""The grid worker's field app (/field): a public PWA shell with local assets, its manifest
and service worker; in Chromium on a phone-sized screen, a report made offline that
arrives exactly once, the shell and "my grids" offline, my tasks with before and after
photos, and a patrol recorded through an outage.

Every browser test runs in a tab that fails on a page error or on any request to a host
but the app's (tests/browser.py close_tab). Screenshots go to the artefacts folder.
"""

import base64
import io
import json
import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.pages_support import module_graph, open_and_log_in, start_call
from tests.api.test_map_page import _absolute_urls, _asset_urls, _page
from tests.browser import close_tab, open_phone_at
from tests.grid.patrols.conftest import forget_patrols, walker_of

MARK = "field-app-test"


# The running app, from the page's own module (nothing is hung on `window`).
APP = "(await import('/static/field/field.js')).running.app"


# --- the shell as HTTP -------------------------------------------------------------------

def test_the_shell_is_public_and_holds_no_data(anonymous, demo_city):
    areas, _ = demo_city
    html = _page(anonymous, "/field")
    assert '<html lang="zh-CN">' in html and "<title>网格员</title>" in html
    assert "4302" not in html and not [a.name for a in areas[:20] if a.name in html]
    assert _absolute_urls(html) == set()
    urls = _asset_urls(html)
    assert "/field/manifest.webmanifest" in urls
    entry, _ = start_call(html)
    assert entry == "/static/field/field.js"
    for url in urls:
        assert url.startswith(("/static/", "/field/")), url
        assert anonymous.get(url).status_code == 200, url
    assert anonymous.get("/api/v1/patrols").status_code == 401


def test_the_manifest_makes_it_installable(anonymous):
    response = anonymous.get("/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] and manifest["short_name"] == "网格员"
    assert (manifest["start_url"], manifest["display"]) == ("/field", "standalone")
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = anonymous.get(src)
        assert icon.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(icon.content)) as image:
            assert f"{image.width}x{image.height}" == size


def test_the_service_worker_may_control_the_page(anonymous):
    response = anonymous.get("/field/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    # Its default scope would be /field/, which misses the page /field itself.
    assert response.headers["service-worker-allowed"] == "/field"
    assert response.headers["cache-control"] == "no-cache"
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", response.text).group(1))
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', response.text)
    assert {"/field", "/static/i18n.js", "/static/session.js",
            "/static/vendor/leaflet/leaflet.js", "/static/field/field.js"} <= set(shell)
    for url in shell:
        assert anonymous.get(url).status_code == 200, url
    # Every module the page imports is precached: the app opens offline.
    assert set(module_graph(anonymous, ["/static/field/field.js"])) <= set(shell)


# --- in the browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def worker(engine, settings, demo_city):
    """The demo grid worker (a point inside his grid, his grid count); what the tests
    commit for him is removed afterwards."""
    with Session(engine) as session:
        walker = walker_of(session, settings, "demo_grid_worker")
        grids = session.scalar(text("SELECT count(*) FROM grid_assignment WHERE worker_id = :w"),
                               {"w": walker.worker_id})
        forget_patrols(session, walker.worker_id)
        session.commit()
    yield walker, grids
    with Session(engine) as session:
        marked = "SELECT id FROM incident WHERE description LIKE :mark"
        for table in ("handoff", "timeline_event", "case_clock", "attachment"):
            session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'incident' "
                                 f"AND subject_id IN ({marked})"), {"mark": f"{MARK}%"})
        session.execute(text(f"DELETE FROM incident_reporter WHERE incident_id IN ({marked})"),
                        {"mark": f"{MARK}%"})
        session.execute(text(f"DELETE FROM incident WHERE id IN ({marked})"),
                        {"mark": f"{MARK}%"})
        forget_patrols(session, walker.worker_id)
        session.commit()


@pytest.fixture
def phone(chromium, worker) -> Iterator:
    """A phone: 390×844, touch, GPS inside the worker's grid (±12 m), service workers on."""
    walker, _ = worker
    opened = open_phone_at(chromium, lon=walker.lon, lat=walker.lat, accuracy=12)
    yield opened
    close_tab(opened)


def _open_app(phone, live_server, settings) -> None:
    from playwright.sync_api import expect

    page = phone.page
    open_and_log_in(phone, f"{live_server.url}/field", "demo_grid_worker",
                    settings.demo_password)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    # The worker controls the page (clients.claim) once installed, and has been given
    # what the page fetched before.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "true")


def _photo(tmp_path) -> str:
    """A large, detailed JPEG (a phone camera's): the app must shrink it."""
    import numpy as np

    noise = np.random.default_rng(5).integers(0, 255, (2400, 3200, 3), dtype=np.uint8)
    path = tmp_path / "camera.jpg"
    Image.fromarray(noise).save(path, "JPEG", quality=98)
    return str(path)


def _incidents(engine, description: str) -> list:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT i.id, i.idempotency_key, i.grid_code, u.username, "
            "(SELECT count(*) FROM attachment p WHERE p.subject_type = 'incident' "
            "AND p.subject_id = i.id) AS photos "
            "FROM incident i JOIN app_user u ON u.id = i.reporter_id "
            "WHERE i.description = :d"), {"d": description}).all()


@pytest.mark.browser
def test_a_report_made_offline_arrives_exactly_once(live_server, phone, settings, engine,
                                                    worker, tmp_path, artefacts):
    from playwright.sync_api import expect

    walker, grids = worker
    page = phone.page
    posted = []
    page.on("request", lambda r: posted.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and urlsplit(r.url).path == "/api/v1/incidents" else None)
    _open_app(phone, live_server, settings)
    expect(page.locator("body")).to_have_attribute("data-grids", str(grids))
    expect(page.locator(".field-position-text")).to_contain_text("精度 ±12 米")
    page.screenshot(path=str(artefacts / "1-online.png"))

    phone.context.set_offline(True)
    expect(page.locator(".field-net")).to_have_text("离线")
    description = f"{MARK} 路灯损坏 {uuid.uuid4().hex[:8]}"
    page.select_option("select[name=major]", "S01")
    page.select_option("select[name=category]", "S0102")
    page.fill("textarea[name=description]", description)
    page.select_option("select[name=urgency]", "urgent")
    page.set_input_files("input[name=photos]", _photo(tmp_path))
    expect(page.locator(".field-photo-previews img")).to_have_count(1)
    page.get_by_role("button", name="提交上报").click()

    queued = page.locator(".field-outbox li")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text(description)
    expect(queued).to_contain_text("离线，联网后自动发送")
    expect(page.locator(".field-badge")).to_have_text("1")
    page.screenshot(path=str(artefacts / "2-queued-offline.png"))
    assert _incidents(engine, description) == []
    [record] = page.evaluate(f"async () => {APP}.outbox.pending()")
    key = record["key"]
    _check_queued_photo(record, settings)
    assert record["body"]["accuracy_m"] == 12
    assert record["body"]["location"]["coordinates"] == pytest.approx([walker.lon, walker.lat])

    phone.context.set_offline(False)  # the `online` event sends the queue
    sent = page.locator(f".field-sent li[data-key='{key}']")
    expect(sent).to_be_visible(timeout=20000)
    expect(page.locator(".field-outbox li")).to_have_count(0)
    expect(page.locator(".field-badge")).to_be_hidden()
    [incident] = _incidents(engine, description)
    assert (incident.idempotency_key, incident.username, incident.photos) == (
        key, "demo_grid_worker", 1)
    assert incident.grid_code == walker.grid_code
    expect(sent).to_contain_text(f"事件 #{incident.id}")
    page.screenshot(path=str(artefacts / "3-sent.png"))

    # The answer lost on the way back: the phone still holds the report and sends it
    # again with the same key. The server answers with the first incident; nothing new.
    page.evaluate(f"""async (record) => {{
                     const app = {APP};
                     await app.outbox.requeue(record);
                     await app.outbox.flush();
                  }}""", record)
    expect(page.locator(".field-outbox li")).to_have_count(0)
    again = [r for r in page.evaluate(f"async () => {APP}.outbox.sent()") if r["key"] == key]
    assert [(r["incident_id"], r["replayed"]) for r in again] == [(incident.id, True)]
    assert [row.id for row in _incidents(engine, description)] == [incident.id]
    assert set(posted) == {key} and len(posted) >= 2  # sent, resent (and the offline try)


def _check_queued_photo(record: dict, settings) -> None:
    """Shrunk on the phone: a JPEG under the server's limit, longest side 1,600 px."""
    [photo] = record["body"]["photos"]
    raw = base64.b64decode(photo["data"])
    assert photo["content_type"] == "image/jpeg" and len(raw) <= settings.photo_max_bytes
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "JPEG" and max(image.size) == 1600


@pytest.mark.browser
def test_the_shell_and_my_grids_open_offline(live_server, phone, settings, worker, artefacts):
    from playwright.sync_api import expect

    _, grids = worker
    page = phone.page
    _open_app(phone, live_server, settings)
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{live_server.url}/field"
    page.reload()  # now through the worker, which keeps the API's answers
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    phone.context.set_offline(True)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator(".gridgov-login")).to_be_hidden()  # the login survived (localStorage)
    expect(page.locator("body")).to_have_attribute("data-grids", str(grids))
    expect(page.locator(".field-message")).to_contain_text("离线数据")
    assert page.locator("#field-map path.leaflet-interactive").count() >= grids
    page.get_by_role("button", name="我的任务").click()
    expect(page.locator(".field-tasks-status")).to_contain_text("离线")
    page.screenshot(path=str(artefacts / "offline-shell.png"))
    phone.context.set_offline(False)

    # English on request; the page's language follows.
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.locator("[data-i18n-switch]").click()
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("[data-tab=tasks]")).to_have_text("My tasks")
    expect(page.locator("[data-panel=tasks] h2").first).to_have_text("To verify")
    expect(page.locator(".field-task-list[data-queue=verify] li").first).to_be_visible()
    page.locator("[data-i18n-switch]").click()


def _handled_incident(client: httpx.Client, walker, tmp_path, note: str) -> dict:
    """An incident in the worker's grid, reported with a photo, handled, with an after photo."""
    def png(colour):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    reported = client.post("/api/v1/incidents", headers={"Idempotency-Key": str(uuid.uuid4())},
                           json={"location": {"type": "Point",
                                              "coordinates": [walker.lon, walker.lat]},
                                 "category": "S0102", "description": f"{MARK} {note}",
                                 "photos": [{"content_type": "image/png",
                                             "data": png((200, 30, 30))}]})
    assert reported.status_code == 201, reported.text
    return reported.json() | {"after": png((30, 160, 60))}


@pytest.mark.browser
def test_my_tasks_with_photos_verify_and_rework(live_server, phone, settings, engine, worker,
                                               tmp_path, artefacts):
    from playwright.sync_api import expect

    walker, _ = worker
    client = httpx.Client(base_url=live_server.url, headers=walker.person.headers, timeout=30)
    made = [_handled_incident(client, walker, tmp_path, note) for note in ("核查", "返工")]
    # Handled by the village's centre (the unit the task went to, named on the card).
    with Session(engine) as session:
        session.execute(text(
            "UPDATE incident SET state = 'handled', version = version + 1, handler_unit_id = "
            "(SELECT u.id FROM unit u WHERE u.kind = 'centre' AND u.is_active "
            " AND u.seat_code = left(incident.grid_code, 12)) WHERE id = ANY(:ids)"),
            {"ids": [m["id"] for m in made]})
        centre = session.scalar(text(
            "SELECT u.name FROM unit u JOIN incident i ON i.handler_unit_id = u.id "
            "WHERE i.id = :id"), {"id": made[0]["id"]})
        session.commit()
    assert centre
    for incident in made:
        after = client.post(f"/api/v1/incidents/{incident['id']}/photos",
                            json={"kind": "after", "photos": [{"content_type": "image/png",
                                                               "data": incident["after"]}]})
        assert after.status_code == 201, after.text

    page = phone.page
    _open_app(phone, live_server, settings)
    page.get_by_role("button", name="我的任务").click()
    to_verify, to_rework = (page.locator(f".field-task[data-incident='{m['id']}']")
                            for m in made)
    expect(to_verify).to_contain_text("核查")
    expect(to_verify.locator(".field-task-unit")).to_have_text(f"处置单位：{centre}")
    to_verify.locator(".field-task-photos-button").click()
    for kind in ("report", "after"):
        image = to_verify.locator(f"img[data-kind={kind}]")
        expect(image).to_have_count(1)
        page.wait_for_function("(img) => img.complete && img.naturalWidth === 64",
                               arg=image.element_handle())
    page.screenshot(path=str(artefacts / "tasks.png"), full_page=True)

    to_verify.get_by_role("button", name="核查通过").click()
    expect(page.locator(f".field-task[data-incident='{made[0]['id']}']")).to_have_count(0)
    to_rework.get_by_role("button", name="返工").click()
    to_rework.locator(".field-task-reason input").fill("垃圾仍未清理")
    to_rework.locator(".field-task-reason button[type=submit]").click()
    expect(page.locator(f".field-task[data-incident='{made[1]['id']}']")).to_have_count(0)
    with engine.connect() as connection:
        states = dict(connection.execute(
            text("SELECT id, state FROM incident WHERE id = ANY(:ids)"),
            {"ids": [m["id"] for m in made]}).all())
    assert states == {made[0]["id"]: "verified", made[1]["id"]: "rework"}


@pytest.mark.browser
def test_a_patrol_recorded_through_an_outage(live_server, phone, settings, engine, worker,
                                            artefacts):
    from playwright.sync_api import expect

    walker, _ = worker
    page = phone.page
    _open_app(phone, live_server, settings)
    page.get_by_role("button", name="巡查").click()
    page.get_by_role("button", name="开始巡查").click()
    expect(page.get_by_role("button", name="结束巡查")).to_be_visible()
    expect(page.locator(".field-patrol-points")).to_have_text("1")  # where he stands
    path = [(walker.lon + i * 0.0004, walker.lat) for i in range(6)]  # ~40 m steps east
    for i, (lon, lat) in enumerate(path[1:], start=1):
        if i == 2:
            phone.context.set_offline(True)  # the middle of the walk without a network
        if i == 4:
            phone.context.set_offline(False)
        phone.context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
        expect(page.locator(".field-patrol-points")).to_have_text(str(i + 1))
    page.get_by_role("button", name="结束巡查").click()
    # The patrol leaves the phone once its last fixes and its end have arrived: wait for
    # that, not for the counters (the status says 已上传 since the first batch, and the
    # unsent count reaches 0 before the end is sent).
    page.wait_for_function(
        f"async () => (await {APP}.store.all('patrols')).length === 0",
        polling=250)
    expect(page.locator(".field-patrol-unsent")).to_have_text("0")
    expect(page.locator(".field-patrol-status")).to_contain_text("已上传")
    page.screenshot(path=str(artefacts / "patrol.png"))
    with engine.connect() as connection:
        patrol = connection.execute(text(
            "SELECT p.ended_at, p.distance_m, count(pp.*) AS points FROM patrol p "
            "JOIN patrol_point pp ON pp.patrol_id = p.id WHERE p.worker_id = :w "
            "GROUP BY p.id ORDER BY p.id DESC LIMIT 1"), {"w": walker.worker_id}).one()
    from pyproj import Geod

    expected = Geod(ellps="WGS84").line_length(*zip(*path, strict=True))
    assert patrol.points >= len(path) and patrol.ended_at is not None
    assert patrol.distance_m == pytest.approx(expected, rel=0.02)
    assert page.evaluate(f"async () => {APP}.store.all('patrols')") == []  # all uploaded
