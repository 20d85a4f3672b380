"""The 12345 work orders' map layer (tiles, GeoJSON) scoped like the lists, and the lists'
filters, sorting and export that the shared console configures."""

import csv
import io

from sqlalchemy import text

from convenience.open311.layers import WORK_ORDERS
from convenience.open311.models import number_of
from tests.geo.layers.conftest import features, render

URL = "/api/v1/convenience/workorders"


def _order(session, owner: str, spot=None, *, state="registered", deadline="green",
           description="矩阵工单", due="5 days", created="-1 hour") -> int:
    return session.scalar(text(f"""
        INSERT INTO work_order (channel, caller_phone, caller_name, description, state,
                                version, owner_code, owner_platform, created_by, created_at,
                                deadline, due_at, geom, address)
        VALUES ('phone', '13811112222', '王先生', :description, :state, 1, :owner,
                'convenience', 'test', now() + interval '{created}', :deadline,
                now() + interval '{due}',
                ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326),
                '建设路')
        RETURNING id"""), {"description": description, "state": state, "owner": owner,
                           "deadline": deadline, "lon": spot.lon if spot else None,
                           "lat": spot.lat if spot else None})


def test_the_layer_shows_the_territorys_located_orders(session, township, inside, outside):
    mine = _order(session, township.principal.scope_code, inside, deadline="red")
    unlocated = _order(session, township.principal.scope_code)
    # Held by another county's centre, though drawn next to ours: not ours to see.
    stranger = _order(session, outside.grid_code[:6], inside)
    found = features(render(session, WORK_ORDERS, township.scope, 16, inside.lon,
                            inside.lat), "work_orders")
    by_id = {f["properties"]["id"]: f["properties"] for f in found}
    assert mine in by_id and stranger not in by_id and unlocated not in by_id
    props = by_id[mine]
    assert (props["number"], props["state"], props["deadline"]) == (
        number_of(mine), "registered", "red")
    assert "13811112222" not in str(props) and "王先生" not in str(props)
    red = features(render(session, WORK_ORDERS, township.scope, 16, inside.lon, inside.lat,
                          filters=(("deadline", "green"),)), "work_orders")
    assert mine not in {f["properties"]["id"] for f in red}


def test_the_layer_as_geojson_for_the_township(anonymous, session, township, inside, outside):
    mine = _order(session, township.principal.scope_code, inside, state="dispatched")
    stranger = _order(session, outside.grid_code[:6], outside)
    found = anonymous.get("/api/v1/layers/work_orders/features",
                          params={"limit": 500, "state": "dispatched"},
                          headers=township.headers)
    assert found.status_code == 200, found.text
    ids = {f["id"] for f in found.json()["features"]}
    assert mine in ids and stranger not in ids


def test_the_list_filters_sorts_and_exports(anonymous, session, township):
    code = township.principal.scope_code
    old = _order(session, code, state="handling", deadline="red", description="路灯不亮",
                 due="-1 day", created="-3 days")
    new = _order(session, code, state="handling", description="噪音扰民", due="2 days")
    other = _order(session, code, state="registered", description="路灯闪烁")

    def ids(**params) -> list[int]:
        got = anonymous.get(URL, params=params, headers=township.headers)
        assert got.status_code == 200, got.text
        return [row["id"] for row in got.json() if row["id"] in (old, new, other)]

    assert ids(state="handling", sort="due_at") == [old, new]
    assert ids(state="handling", sort="-due_at") == [new, old]
    assert ids(q="路灯", sort="created_at") == [old, other]
    assert ids(q=number_of(new)) == [new]
    assert ids(deadline="red") == [old]
    assert ids(state="registered,handling", sort="-number") == [other, new, old]
    bad = anonymous.get(URL, params={"state": "nonsense"}, headers=township.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "state_unknown"
    assert anonymous.get(URL, params={"sort": "caller_phone"},
                         headers=township.headers).status_code == 422

    exported = anonymous.get(f"{URL}/export", params={"format": "csv", "q": "路灯",
                                                      "sort": "created_at"},
                             headers=township.headers)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    numbers = [row["工单编号"] for row in rows]
    assert numbers.index(number_of(old)) < numbers.index(number_of(other))
    assert number_of(new) not in numbers
    assert "13811112222" not in exported.text and "王先生" not in exported.text
    xlsx = anonymous.get(f"{URL}/export", headers=township.headers)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
