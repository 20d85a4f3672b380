"""Moves as the field app and the desk make them, through flows.act (the API's service)."""

from datetime import UTC, datetime, timedelta

from market_supervision.inspections import flows
from market_supervision.inspections.schemas import ActionIn
from tests.factories import png_base64, unique


def move(session, settings, inspection, name, principal, *, key=None, **fields):
    data = ActionIn.model_validate({"version": inspection.version, **fields})
    done = flows.act(session, inspection_id=inspection.id, name=name, data=data,
                     principal=principal, settings=settings,
                     idempotency_key=key or (unique("key") if name == "record" else None))
    session.flush()
    return done


def record_body(market, check_ids, *, fail=(), on_site=(), rectify_days=None,
                inspected_at=None, photo=True) -> dict:
    lines = []
    for check_id in check_ids:
        failed = check_id in fail or check_id in on_site
        line = {"check_id": check_id, "result": "fail" if failed else "pass"}
        if failed:
            line["note"] = "现场发现问题"
            if photo:
                line["photos"] = [{"content_type": "image/png", "data": png_base64(
                    (check_id % 255, 0, 0)), "lon": market.point[0], "lat": market.point[1]}]
        if check_id in on_site:
            line |= {"rectified_on_site": True, "rectify_note": "已当场清理"}
        lines.append(line)
    body = {"inspected_at": (inspected_at or datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "location": {"type": "Point", "coordinates": list(market.point)},
            "accuracy_m": 8.5, "checks": lines}
    if rectify_days:
        body["rectify_days"] = rectify_days
    return body
