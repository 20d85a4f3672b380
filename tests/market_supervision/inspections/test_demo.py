"""The demo: a drawn task's inspections, each taken by the live moves (flows.act → the
kernel's runner → the pure decide) to a fate, every state of the workflow among them."""

from datetime import date, timedelta

from sqlalchemy import func, select, text

from market_supervision.inspections import demo
from market_supervision.inspections.models import Inspection
from market_supervision.inspections.vocabulary import STATES
from market_supervision.register.models import DrawTarget, DrawTargetInspector, Entity


def _more_targets(session, market, count: int) -> None:
    """The fixture's draw gets `count` more targets near the first, same inspectors."""
    pairs = session.scalars(select(DrawTargetInspector).where(
        DrawTargetInspector.target_id == market.target.id)).all()
    lon, lat = market.point
    for n in range(1, count + 1):
        entity = Entity(uscc=f"9143020{n:04d}DEMO{n:03d}"[:18], name=f"演示商户{n}",
                        type="individual", address=f"演示街{n}号",
                        location=f"SRID=4326;POINT({lon + n * 1e-4} {lat})",
                        area_code=market.grid, industry="F5211", legacy_code=True)
        session.add(entity)
        session.flush()
        target = DrawTarget(draw_id=market.draw.id, entity_id=entity.id, ordinal=n,
                            uscc=entity.uscc, stratum="B", score=f"{n:064x}")
        session.add(target)
        session.flush()
        session.add_all(DrawTargetInspector(target_id=target.id, membership_id=p.membership_id,
                                            user_id=p.user_id, ordinal=p.ordinal, name=p.name,
                                            credential_number=p.credential_number)
                        for p in pairs)
    session.flush()


def test_the_demo_reaches_every_state_through_the_live_moves(session, settings, market):
    market.task.starts_on = date.today() - timedelta(days=200)
    _more_targets(session, market, 24)
    seen = []
    opened = demo.load_demo(session, city_code=market.township[:4] + "00", seed=7,
                            settings=settings, stage=lambda *a: seen.append(a))
    assert opened == 25 and seen[-1] == ("inspections", 25, 25)
    states = dict(session.execute(select(Inspection.state, func.count()).group_by(
        Inspection.state).where(Inspection.task_id == market.task.id)).all())
    assert set(states) == set(STATES), states
    # Every move was the runner's: each inspection's timeline holds its moves in order.
    published = session.scalar(select(Inspection).where(Inspection.task_id == market.task.id,
                                                        Inspection.state == "withdrawn"))
    actions = session.scalars(text(
        "SELECT action FROM timeline_event WHERE subject_type = 'market_inspection' "
        "AND subject_id = :id ORDER BY at, id"), {"id": published.id}).all()
    assert actions == ["open", "record", "confirm", "approve", "publish", "overturn",
                       "withdraw"]
    assert session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.kind == "reinspection", Inspection.task_id == market.task.id)) >= 1
    demo.remove_demo(session, city_code=market.township[:4] + "00")
    assert session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.task_id == market.task.id)) == 0
