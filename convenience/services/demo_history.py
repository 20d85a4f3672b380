"""The demo's recent history of applications, ratings and rectifications, made through
the live rules (the services' own moves), so the KPIs and the lists have something to
show. Called by demo.py."""

import random

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.errors import DomainError

LEVELS_DRAWN = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)


def history(session: Session, *, city_code: str, seed: int, count: int, settings=None) -> int:
    """`count` applications over the last 20 days at the city's halls and centres, taken,
    decided and handed out by the flows (so their clocks, timelines and refusals are the
    live ones): most finished, some late, some refused, some by proxy; ratings at 办结,
    the bad ones rectified or still open. The figures and the public pages have data."""
    from datetime import UTC, datetime, timedelta

    from convenience.services import applications as flows
    from convenience.services import ratings
    from convenience.services.common import SYSTEM
    from core.settings import get_settings

    settings = settings or get_settings()
    rng = random.Random(seed)
    windows = session.execute(text("""
        SELECT u.id, u.seat_code FROM unit u
        WHERE u.kind IN ('service_hall', 'service_centre') AND u.is_active
          AND u.seat_code >= :low AND u.seat_code < :high ORDER BY u.seat_code LIMIT 40"""),
        subtree_range(city_code)).all()
    if not windows:
        return 0
    agents = session.execute(text("""
        SELECT g.user_id, u.seat_code FROM svc_proxy_agent g JOIN unit u ON u.id = g.unit_id
        WHERE u.seat_code >= :low AND u.seat_code < :high ORDER BY g.user_id LIMIT 50"""),
        subtree_range(city_code)).all()
    by_level = {level: list(session.scalars(text(
        "SELECT item_id FROM svc_point_item pi JOIN unit u ON u.id = pi.unit_id "
        "WHERE u.id = :id ORDER BY item_id"), {"id": w.id})) for level, w in
        (("county", next((w for w in windows if len(w.seat_code) == 6), windows[0])),
         ("township", next((w for w in windows if len(w.seat_code) == 9), windows[0])))}
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    made = 0
    for _ in range(count):
        window = rng.choice(windows)
        items = by_level["county" if len(window.seat_code) == 6 else "township"]
        if not items:
            continue
        now = start + timedelta(days=rng.uniform(0, 19), hours=rng.uniform(0, 6))
        agent = rng.random() < .12 and agents and rng.choice(agents)
        data = {"item_id": rng.choice(items), "intake_unit_id": window.id,
                "channel": "proxy" if agent else rng.choice(("window", "window", "station",
                                                              "online")),
                "applicant_name": rng.choice(surnames) + rng.choice(given),
                "applicant_phone": f"13{rng.randrange(10**9):09d}",
                "visits": 1 if rng.random() < .85 else 2}
        if agent:
            data |= {"consent": True, "proxy_user_id": agent.user_id, "visits": 0}
        try:
            with session.begin_nested():
                made += _one(session, flows, ratings, SYSTEM, data, now=now, rng=rng,
                             settings=settings)
        except DomainError:
            continue  # an item this channel does not allow (online, proxy): skip it
    return made


def _one(session, flows, ratings, system, data: dict, *, now, rng, settings) -> int:
    from datetime import timedelta

    if data["channel"] == "online":
        from convenience.services.models import Item

        if not session.get(Item, data["item_id"]).online:
            data["channel"] = "window"
    if rng.random() < .04:
        data["refuse"] = {"kind": "not_accepted", "reason": "申请事项不属于本机关受理范围"}
        flows.intake(session, principal=system, data=data, settings=settings, now=now)
        return 1
    app = flows.intake(session, principal=system, data=data, settings=settings, now=now)

    def act(name: str, at, **extra) -> None:
        flows.act(session, app, name, principal=system, settings=settings, now=at,
                  data={"version": app.version, **extra})

    at = now + timedelta(hours=rng.uniform(1, 30))
    roll = rng.random()
    if roll < .05:
        act("return", at, reason="申请材料与申请事项不符")
        return 1
    if roll < .12:
        act("ask_supplement", at, reason="材料不齐，一次性告知补正")
        at += timedelta(hours=rng.uniform(2, 48))
        act("supplemented", at)
    else:
        act("review", at)
    if rng.random() < .15:
        return 1  # still under review
    due = app.due_at or at
    at = max(at, min(due - timedelta(hours=1), at + timedelta(days=rng.uniform(0, 6))))
    if rng.random() < .08:
        at = due + timedelta(hours=rng.uniform(1, 30))  # late
    if at > flows.runner.now_utc():
        return 1
    act("decide", at, result="approved")
    act("finish", at)
    if rng.random() < .7:
        level = rng.choice(LEVELS_DRAWN)
        ratings.rate(session, number=app.number, phone=app.applicant_phone, settings=settings,
                     now=at + timedelta(hours=2), actor="demo",
                     data={"stage": "finish", "level": level,
                           "channel": rng.choice(("device", "qr", "sms", "app")),
                           "comment": "" if level > 2 else "等候时间较长"})
        if level <= 2 and rng.random() < .6:
            ratings.rate(session, number=app.number, phone=app.applicant_phone,
                         settings=settings, now=at + timedelta(days=3), actor="demo",
                         data={"stage": "finish", "level": 4, "channel": "sms"})
    return 1
