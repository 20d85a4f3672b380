"""The draws over HTTP and the command line (issue 14 §3), the public page (一公开, no
login, no risk class, every asset from the app), the entity layers (risk for staff only)."""

import re

from sqlalchemy import text
from typer.testing import CliRunner

from market_supervision.register import drawing
from tests.conftest import bearer


def _headers(settings, register, role="market_inspector"):
    return bearer(settings, role=role, scope_code=register.county)


def _post_draw(client, settings, register, **body):
    return client.post("/api/v1/market/draws", json={"task_id": register.task.id, **body},
                       headers=_headers(settings, register))


def test_post_draws_answers_the_issue_shape(client, settings, register):
    answer = _post_draw(client, settings, register)
    assert answer.status_code == 201, answer.text
    draw = answer.json()
    assert {"id", "seed", "candidates_hash", "targets"} <= set(draw)
    assert re.fullmatch(r"[0-9a-f]{64}", draw["seed"])
    target = draw["targets"][0]
    assert {"entity_id", "uscc", "inspectors"} <= set(target) and "stratum" not in target
    assert len(target["inspectors"]) >= 2
    assert {"name", "credential_number"} <= set(target["inspectors"][0])
    assert answer.headers["Location"] == f"/api/v1/market/draws/{draw['id']}"

    one = client.get(f"/api/v1/market/draws/{draw['id']}", headers=_headers(settings, register))
    assert one.status_code == 200 and one.json()["targets"] == draw["targets"]
    listed = client.get("/api/v1/market/draws", headers=_headers(settings, register)).json()
    assert draw["id"] in [d["id"] for d in listed["items"]]
    verified = client.get(f"/api/v1/market/draws/{draw['id']}/verify",
                          headers=_headers(settings, register))
    assert verified.json() == {"matches": True, "differences": []}


def test_verify_over_http_names_what_differs(client, session, settings, register):
    draw = _post_draw(client, settings, register).json()
    session.execute(text("UPDATE market_draw_target SET score = repeat('0', 64) "
                         "WHERE draw_id = :d AND ordinal = 1"), {"d": draw["id"]})
    verified = client.get(f"/api/v1/market/draws/{draw['id']}/verify",
                          headers=_headers(settings, register)).json()
    assert verified["matches"] is False and "分值不符" in verified["differences"][0]


def test_two_step_draw_with_a_public_random_source(client, settings, register):
    headers = _headers(settings, register)
    committed = client.post("/api/v1/market/draws/commitments", headers=headers, json={
        "task_id": register.task.id, "entropy_source": "上证指数 2026-12-08 收盘点位"})
    assert committed.status_code == 201
    draw = committed.json()
    assert draw["state"] == "committed" and draw["seed"] is None and draw["targets"] == []
    missing = client.post("/api/v1/market/draws", headers=headers, json={"draw_id": draw["id"]})
    assert missing.status_code == 422 and missing.json()["code"] == "public_entropy_required"
    drawn = client.post("/api/v1/market/draws", headers=headers,
                        json={"draw_id": draw["id"], "public_entropy": "3391.75"})
    assert drawn.status_code == 201 and drawn.json()["targets"]
    again = client.post("/api/v1/market/draws", headers=headers,
                        json={"draw_id": draw["id"], "public_entropy": "3391.75"})
    assert again.status_code == 409


def test_draws_are_scoped(client, settings, register):
    draw = _post_draw(client, settings, register).json()
    # An inspector of another county of the demo city, whichever the register's is.
    other = "430281" if register.county != "430281" else "430202"
    elsewhere = bearer(settings, role="market_inspector", scope_code=other)
    assert client.get(f"/api/v1/market/draws/{draw['id']}", headers=elsewhere).status_code == 404
    assert draw["id"] not in [d["id"] for d in client.get(
        "/api/v1/market/draws", headers=elsewhere).json()["items"]]


def test_a_grid_worker_may_not_draw(client, settings, register):
    answer = client.post("/api/v1/market/draws", json={"task_id": register.task.id},
                         headers=bearer(settings, role="grid_worker",
                                        scope_code=register.township))
    assert answer.status_code == 403


def test_the_public_page_needs_no_login_and_shows_no_risk_class(client, settings, register):
    draw = _post_draw(client, settings, register).json()
    anonymous = client
    anonymous.headers.pop("Authorization")  # from here on: a visitor without a login
    page = anonymous.get(f"/market/draws/{draw['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "双随机抽查结果公示" in html and draw["seed"] in html
    for target in draw["targets"]:
        assert target["uscc"] in html
        for inspector in target["inspectors"]:
            assert inspector["credential_number"] in html and inspector["name"] in html
    assert not re.search(r"[ABCD]类|风险等级|risk_class|stratum", html)
    assert "http://" not in html and "https://" not in html  # no CDN: every asset is ours
    for asset in re.findall(r'(?:href|src)="(/[^"]+)"', html):
        assert anonymous.get(asset).status_code == 200, asset
    inputs = anonymous.get(f"/market/draws/{draw['id']}/inputs.json")
    assert inputs.status_code == 200 and '"stratum"' not in inputs.text
    assert anonymous.get(f"/api/v1/market/draws/{draw['id']}").status_code == 401


def test_the_internal_inputs_are_for_staff(client, settings, register):
    draw = _post_draw(client, settings, register).json()
    staff = client.get(f"/api/v1/market/draws/{draw['id']}/inputs",
                       headers=_headers(settings, register))
    assert staff.status_code == 200 and '"stratum"' in staff.text
    township = client.get(f"/api/v1/market/draws/{draw['id']}/inputs",
                          headers=_headers(settings, register, role="township_staff"))
    assert township.status_code == 403


def test_the_command_line_verifies_a_draw(session, register, monkeypatch):
    from contextlib import contextmanager

    from market_supervision.register import cli

    draw = drawing.commit_and_draw(session, principal=register.manager,
                                   task_id=register.task.id)

    @contextmanager
    def the_test_session():  # the CLI's unit of work, on the test's rolled-back transaction
        yield session

    monkeypatch.setattr(cli, "session_scope", the_test_session)
    runner = CliRunner()
    ok = runner.invoke(cli.market, ["draw", "verify", str(draw.id)])
    assert ok.exit_code == 0 and "matches" in ok.output
    session.execute(text("UPDATE market_draw_target_inspector SET credential_number = 'X' "
                         "WHERE target_id IN (SELECT id FROM market_draw_target "
                         "WHERE draw_id = :d)"), {"d": draw.id})
    session.expire_all()
    bad = runner.invoke(cli.market, ["draw", "verify", str(draw.id), "--json"])
    assert bad.exit_code == 1 and '"matches": false' in bad.output
    missing = runner.invoke(cli.market, ["draw", "verify", "999999999"])
    assert missing.exit_code == 2


def test_the_entity_layer_shows_risk_to_staff_only(client, settings, register):
    staff = _headers(settings, register)
    features = client.get("/api/v1/layers/market_entities/features", headers=staff,
                          params={"limit": 5})
    assert features.status_code == 200, features.text
    props = features.json()["features"][0]["properties"]
    assert "last_result" in props and "risk_class" not in props
    risky = client.get("/api/v1/layers/market_entity_risk/features", headers=staff,
                       params={"limit": 5})
    assert risky.status_code == 200 and "risk_class" in risky.json()["features"][0]["properties"]
    township = _headers(settings, register, role="township_staff")
    assert client.get("/api/v1/layers/market_entity_risk/features",
                      headers=township).status_code == 403
    tile = client.get("/tiles/market_entities/14/13383/6922.mvt", headers=staff)
    assert tile.status_code in (200, 204)
