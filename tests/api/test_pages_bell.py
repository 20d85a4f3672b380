"""The bell (issue 12 §4): the unread count and list on every page, updated live (polling),
each notification opening its subject; and nobody is told of his own move (the outbox
leaves the move's actor out of the audience, core/workflow/outbox.py `recipients`)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.workflow.outbox import recipients
from tests.browser import log_in


def _user_id(session: Session, username: str) -> int:
    return session.scalar(text("SELECT id FROM app_user WHERE username = :u"), {"u": username})


def test_the_actor_is_not_told_of_his_own_move(session, demo_city):
    me, other = (_user_id(session, name) for name in ("demo_township_staff",
                                                      "demo_county_dispatcher"))
    payload = {"user_ids": [me, other], "actor": "demo_township_staff"}
    assert recipients(session, payload) == [other]
    assert recipients(session, {"user_ids": [me, other]}) == sorted([me, other])


@pytest.fixture
def inbox(engine, demo_city) -> Iterator:
    """Puts committed notifications in a demo user's inbox; removes them afterwards."""
    made: list[int] = []

    def put(username: str, title: str, subject_id: int | None = None) -> int:
        with Session(engine) as session:
            outbox = session.scalar(text(
                "INSERT INTO outbox_message (topic, payload, delivered_at) "
                "VALUES ('test.bell', '{}', now()) RETURNING id"))
            made.append(outbox)
            session.execute(text(
                "INSERT INTO notification (user_id, outbox_id, topic, title, body, "
                "subject_type, subject_id) VALUES (:user, :outbox, 'test.bell', :title, '', "
                "'incident', :subject)"),
                {"user": _user_id(session, username), "outbox": outbox, "title": title,
                 "subject": str(subject_id) if subject_id else None})
            session.commit()
        return outbox

    yield put
    with Session(engine) as session:
        session.execute(text("DELETE FROM outbox_message WHERE id = ANY(:ids)"), {"ids": made})
        session.commit()


def _read_all(engine, username: str) -> None:
    with Session(engine) as session:
        session.execute(text("UPDATE notification SET read_at = now() WHERE read_at IS NULL "
                             "AND user_id = (SELECT id FROM app_user WHERE username = :u)"),
                        {"u": username})
        session.commit()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/console", "/kpis", "/map"])
def test_the_bell_shows_a_new_notification_within_seconds_and_opens_it(
        live_server, tab, settings, engine, inbox, path):
    from playwright.sync_api import expect

    user = "demo_township_staff"
    _read_all(engine, user)
    incident = _any_incident(engine)
    page = tab.page
    page.goto(f"{live_server.url}{path}")
    log_in(page, user, settings.demo_password)
    bell = page.locator(".gridgov-bell")
    expect(bell).to_be_visible()
    expect(page.locator(".gridgov-bell-count")).to_be_hidden()  # nothing unread

    # Delivered while the page is open: the bell shows it at its next poll (10 s).
    inbox(user, f"待签收 事件 #{incident}（上报）：测试", incident)
    expect(page.locator(".gridgov-bell-count")).to_have_text("1")
    bell.click()
    item = page.locator(".gridgov-bell-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"待签收 事件 #{incident}（上报）")
    item.click()
    page.wait_for_url(f"**/console?incident={incident}")
    with Session(engine) as session:
        unread = session.scalar(text(
            "SELECT count(*) FROM notification n JOIN app_user u ON u.id = n.user_id "
            "WHERE u.username = :u AND n.read_at IS NULL"), {"u": user})
    assert unread == 0  # opened: read


def _any_incident(engine) -> int:
    with Session(engine) as session:
        return session.scalar(text("SELECT min(id) FROM incident")) or 1
