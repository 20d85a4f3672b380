"""The field app's day-to-day gaps (issue 12 §7), in Chromium on a phone-sized screen: a
report the server refused is corrected (point, text and photo kept) and sent; a point
outside the worker's grids is flagged before anything is saved; 处理完成 with a note and an
after photo, from a task card that shows the deadline, the address and a way there; GPS
errors in words; the patrol's time kept after it stopped.

The tabs fail on a page error or on any request to a host but the app's (tests/browser.py).
"""

import base64
import io
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.api.test_field_app import APP, MARK, _incidents, _open_app, phone, worker  # noqa: F401
from tests.browser import close_tab, open_phone_at


def _png(colour=(200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _point_in_another_grid(engine, walker) -> tuple[float, float]:
    """A point in a grid of the city that is not the worker's: the server refuses it."""
    with engine.connect() as connection:
        return tuple(connection.execute(text("""
            SELECT ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))
            FROM area a WHERE a.level = 'grid' AND a.code NOT IN (
                SELECT g.code FROM area g JOIN grid_assignment ga ON ga.grid_id = g.id
                WHERE ga.worker_id = :w)
            ORDER BY a.code LIMIT 1"""), {"w": walker.worker_id}).one())


def _posts(page) -> list[str]:
    """The Idempotency-Keys of the report POSTs the page makes."""
    keys: list[str] = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and urlsplit(r.url).path == "/api/v1/incidents" else None)
    return keys


@pytest.mark.browser
def test_a_refused_report_is_corrected_and_sent(live_server, phone, settings, engine,  # noqa: F811
                                                worker, artefacts):  # noqa: F811
    from playwright.sync_api import expect

    walker, _ = worker
    page = phone.page
    posted = _posts(page)
    _open_app(phone, live_server, settings)
    # A report queued with a point the server refuses (made before the grids were on the
    # phone, say): it comes back failed, in words.
    lon, lat = _point_in_another_grid(engine, walker)
    description = f"{MARK} 井盖缺失 {uuid.uuid4().hex[:8]}"
    body = {"location": {"type": "Point", "coordinates": [lon, lat]}, "category": "S0102",
            "description": description, "urgency": "urgent", "address": "",
            "accuracy_m": None, "photos": [{"content_type": "image/png", "data": _png()}]}
    record = page.evaluate(f"""async (body) => {APP}.outbox.add(body,
        {{category: "路灯", description: body.description, photos: 1}})""", body)
    key = record["key"]
    failed = page.locator(f".field-outbox li[data-key='{key}']")
    page.get_by_role("button", name="待发送").click()
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed).to_contain_text("发送失败：该位置不在您负责的网格内")
    page.screenshot(path=str(artefacts / "1-refused.png"))

    failed.get_by_role("button", name="修改").click()
    form = page.locator(".field-report")
    expect(form.locator(".field-editing")).to_contain_text("正在修改被退回的上报")
    expect(form.locator("textarea[name=description]")).to_have_value(description)
    expect(form.locator("select[name=category]")).to_have_value("S0102")
    expect(form.locator("select[name=urgency]")).to_have_value("urgent")
    expect(form.locator(".field-photo-previews img")).to_have_count(1)
    expect(form.locator(".field-position-text")).to_contain_text(f"{lat:.6f}")
    flag = form.locator(".field-place-flag")
    expect(flag).to_have_attribute("data-outside", "true")
    expect(flag).to_contain_text("不在您负责的网格内")
    page.screenshot(path=str(artefacts / "2-correcting.png"))
    # Still outside: not sent again as it is.
    sent_before = len(posted)
    form.get_by_role("button", name="重新提交").click()
    expect(form.locator(".field-report-error")).to_contain_text("不在您负责的网格内")
    assert len(posted) == sent_before

    # Corrected to where he stands (the GPS fix, inside his grid): the address follows.
    form.get_by_role("button", name="使用定位位置").click()
    expect(flag).to_have_attribute("data-outside", "false")
    expect(flag).to_contain_text("所在网格")
    expect(form.locator("input[name=address]")).not_to_have_value("")
    address = form.locator("input[name=address]").input_value()
    form.get_by_role("button", name="重新提交").click()

    sent = page.locator(f".field-sent li[data-key='{key}']")
    expect(sent).to_be_visible()
    expect(page.locator(".field-outbox li")).to_have_count(0)
    [incident] = _incidents(engine, description)
    assert (incident.idempotency_key, incident.grid_code, incident.photos) == (
        key, walker.grid_code, 1)
    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT urgency, address, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incident "
            "WHERE id = :id"), {"id": incident.id}).one()
    assert (stored.urgency, stored.address) == ("urgent", address)
    assert (stored.lon, stored.lat) == pytest.approx((walker.lon, walker.lat))
    expect(sent).to_contain_text(f"事件 #{incident.id}")
    page.screenshot(path=str(artefacts / "3-sent.png"))


@pytest.fixture
def far_phone(chromium, worker):  # noqa: F811
    """The worker's phone, its GPS far outside the city (Beijing)."""
    opened = open_phone_at(chromium, lon=116.4, lat=39.9, accuracy=10)
    yield opened
    close_tab(opened)


@pytest.mark.browser
def test_a_point_outside_is_flagged_before_it_is_saved(live_server, far_phone, settings,
                                                       artefacts):
    from playwright.sync_api import expect

    page = far_phone.page
    posted = _posts(page)
    _open_app(far_phone, live_server, settings)
    form = page.locator(".field-report")
    flag = form.locator(".field-place-flag")
    expect(flag).to_have_attribute("data-outside", "true")
    expect(flag).to_have_text("该位置不在您负责的网格内，无法上报。请在地图上点选您网格内的位置")
    page.select_option("select[name=major]", "S01")
    page.select_option("select[name=category]", "S0102")
    page.fill("textarea[name=description]", f"{MARK} 远处 {uuid.uuid4().hex[:8]}")
    form.get_by_role("button", name="提交上报").click()
    expect(form.locator(".field-report-error")).to_contain_text("不在您负责的网格内")
    page.screenshot(path=str(artefacts / "flagged.png"))
    assert page.evaluate(f"async () => ({APP}.outbox.pending())") == []
    assert posted == []
    # GPS errors in words, not "无法定位：2".
    words = page.evaluate("""async () => {
        const {gpsReason} = await import('/static/field/gps.js');
        return [1, 2, 3, 99].map((code) => gpsReason({code}));
    }""")
    assert words == ["未允许定位，请在浏览器设置中允许本应用使用位置",
                     "暂时无法获得定位信号，请到开阔处再试", "定位超时，请稍后再试", "定位失败"]


def _task_for(engine, client, walker) -> dict:
    """An incident in the worker's grid, dispatched to him and accepted (处理中)."""
    reported = client.post("/api/v1/incidents", headers={"Idempotency-Key": str(uuid.uuid4())},
                           json={"location": {"type": "Point",
                                              "coordinates": [walker.lon, walker.lat]},
                                 "category": "S0102", "address": "建设路 12 号门前",
                                 "description": f"{MARK} 处理 {uuid.uuid4().hex[:8]}"})
    assert reported.status_code == 201, reported.text
    incident = reported.json()
    with Session(engine) as session:
        session.execute(text(
            "UPDATE incident SET state = 'handling', version = version + 1, "
            "handler_user_id = :u, handler_unit_id = "
            "(SELECT u.id FROM unit u WHERE u.kind = 'centre' AND u.is_active "
            " AND u.seat_code = left(incident.grid_code, 12)) WHERE id = :id"),
            {"u": walker.person.principal.user_id, "id": incident["id"]})
        session.commit()
    return incident


@pytest.mark.browser
def test_handled_with_a_note_and_an_after_photo(live_server, phone, settings, engine,  # noqa: F811
                                               worker, tmp_path, artefacts):  # noqa: F811
    from playwright.sync_api import expect

    walker, _ = worker
    client = httpx.Client(base_url=live_server.url, headers=walker.person.headers, timeout=30)
    incident = _task_for(engine, client, walker)
    page = phone.page
    _open_app(phone, live_server, settings)
    page.get_by_role("button", name="我的任务").click()
    card = page.locator(f".field-task-list[data-queue=tasks] .field-task"
                        f"[data-incident='{incident['id']}']")
    expect(card.locator(".field-task-due")).to_contain_text("处理期限：")
    expect(card.locator(".field-task-place")).to_contain_text("地址：建设路 12 号门前")
    navigate = card.get_by_role("link", name="导航前往")
    href = navigate.get_attribute("href")
    assert href.startswith(f"geo:{walker.lat:.6f},{walker.lon:.6f}?q=")

    card.get_by_role("button", name="处理完成").click()
    handled = card.locator(".field-task-handled")
    handled.locator("textarea").fill("已更换灯泡，恢复照明")
    handled.get_by_role("button", name="处理完成").click()
    expect(handled).to_contain_text("请拍摄处理后照片")  # not without one
    after = tmp_path / "after.jpg"
    Image.new("RGB", (800, 600), (30, 160, 60)).save(after, "JPEG")
    handled.locator("input[type=file]").set_input_files(str(after))
    expect(handled.locator(".field-photo-previews img")).to_have_count(1)
    page.screenshot(path=str(artefacts / "handling.png"), full_page=True)
    handled.get_by_role("button", name="处理完成").click()
    expect(page.locator(f".field-task-list[data-queue=tasks] "
                        f".field-task[data-incident='{incident['id']}']")).to_have_count(0)
    with engine.connect() as connection:
        state = connection.scalar(text("SELECT state FROM incident WHERE id = :id"),
                                  {"id": incident["id"]})
        photos = connection.execute(text(
            "SELECT kind, content_type, uploaded_by FROM attachment WHERE subject_type = "
            "'incident' AND subject_id = :id AND kind = 'after'"), {"id": incident["id"]}).all()
        note = connection.scalar(text(
            "SELECT note FROM timeline_event WHERE subject_type = 'incident' "
            "AND subject_id = :id AND action = 'handle'"), {"id": incident["id"]})
    assert state == "handled" and note == "已更换灯泡，恢复照明"
    assert [(p.content_type, p.uploaded_by) for p in photos] == [
        ("image/jpeg", walker.person.principal.user_id)]


@pytest.mark.browser
def test_the_patrol_time_stays_after_stopping(live_server, phone, settings, worker):  # noqa: F811
    """Stopped, the patrol shows the time it took (its start to its end), not 0:00: with
    the page's clock driven by the test, a patrol of 2 min 5 s reads 2:05 and stays so."""
    from playwright.sync_api import expect

    page = phone.page
    _open_app(phone, live_server, settings)
    # The page's clock stands still but when the test moves it: the times are exact.
    page.clock.install()
    page.clock.pause_at(datetime.now(UTC) + timedelta(minutes=1))
    page.get_by_role("button", name="巡查").click()
    page.get_by_role("button", name="开始巡查").click()
    expect(page.get_by_role("button", name="结束巡查")).to_be_visible()
    page.clock.fast_forward(125_000)
    expect(page.locator(".field-patrol-duration")).to_have_text("2:05")
    page.get_by_role("button", name="结束巡查").click()
    expect(page.get_by_role("button", name="开始巡查")).to_be_visible()
    page.clock.fast_forward(60_000)
    expect(page.locator(".field-patrol-duration")).to_have_text("2:05")
