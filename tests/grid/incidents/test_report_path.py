"""The report path's cheap form (bench/README.md, intake): a new report is two statements
(the placing statement, then the incident with its kernel rows, core/workflow/rows.py
write_once) and writes the rows the ORM and the kernel's helpers would write; its rate
limit is counted in the route's one thread (core/deps.py in_one_thread)."""

from sqlalchemy import event, func, text

from core import audit
from core.ratelimit import Limits, RateLimiter
from core.workflow import outbox, timeline
from core.workflow.clocks import Subject
from grid.incidents import service
from grid.incidents.models import Incident
from grid.incidents.schemas import ReportIn
from tests.grid.incidents.conftest import new_key, report, report_body

# The columns a report sets; the others take the ORM's defaults (or NULL).
SET_BY_REPORT = ("category_id", "urgency", "source", "description", "address", "grid_id",
                 "grid_code", "responsible_worker_id", "reporter_id", "request_hash",
                 "state", "version", "reported_at", "owner_unit_id", "owner_code",
                 "duplicate_candidates", "step", "step_started_at", "step_due_at",
                 "step_warn_at", "deadline")


def _report(session, settings, place, minor, **extra):
    data = ReportIn.model_validate(report_body(place, minor, **extra))
    return service.report(session, principal=place.worker.principal, data=data,
                          idempotency_key=new_key(), settings=settings)


def _incident_row(session, incident_id: int) -> dict:
    return dict(session.execute(text(
        "SELECT *, ST_X(geom) AS lon, ST_Y(geom) AS lat, ST_SRID(geom) AS srid FROM incident "
        "WHERE id = :id"), {"id": incident_id}).mappings().one())


def test_a_new_report_is_two_statements(session, settings, place, minor, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    _report(session, settings, place, minor)  # the calendar's per-process cache is warm
    seen: list[str] = []
    event.listen(session.connection(), "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: seen.append(statement))
    done = _report(session, settings, place, minor)
    assert len(seen) == 2, seen
    assert seen[1].startswith('WITH h AS (INSERT INTO "incident"')
    assert done.body["id"] == done.incident_id and not done.replayed


def test_a_report_writes_the_rows_the_orm_and_the_kernel_would(session, settings, place,
                                                                minor, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    first = _report(session, settings, place, minor)
    done = _report(session, settings, place, minor, accuracy_m=7.5, address="路口东侧")
    row = _incident_row(session, done.incident_id)
    assert (row["lon"], row["lat"], row["srid"]) == (place.lon, place.lat, 4326)  # exact
    assert row["duplicate_candidates"][0] == first.incident_id  # the nearest, the newest
    # The same values through the ORM: every other column as the ORM's defaults give it.
    twin = Incident(**{column: row[column] for column in SET_BY_REPORT},
                    idempotency_key=new_key(),
                    geom=func.ST_SetSRID(func.ST_MakePoint(place.lon, place.lat), 4326))
    session.add(twin)
    session.flush()
    differ = {"id", "idempotency_key"}
    assert {k: v for k, v in _incident_row(session, twin.id).items() if k not in differ} == \
        {k: v for k, v in row.items() if k not in differ}
    assert (row["owner_platform"], row["ever_overdue"], row["rework_count"]) == ("grid",
                                                                                 False, 0)
    # The kernel's rows, each about this incident.
    clock = session.execute(text("SELECT * FROM case_clock WHERE subject_type = 'incident' "
                                 "AND subject_id = :id"), {"id": done.incident_id}).one()
    assert (clock.name, clock.started_at, clock.due_at, clock.warn_at, clock.stopped_at) == (
        "step", row["reported_at"], row["step_due_at"], row["step_warn_at"], None)
    assert session.execute(text("SELECT user_id, reported_at FROM incident_reporter WHERE "
                                "incident_id = :id"), {"id": done.incident_id}).one() == (
        place.worker.principal.user_id, row["reported_at"])
    assert timeline.events_of(session, Subject("incident", done.incident_id)) == [
        {"at": row["reported_at"], "actor": place.worker.principal.username,
         "action": "report", "from_state": None, "to_state": "reported", "note": None,
         "data": {"accuracy_m": 7.5, "duplicates": row["duplicate_candidates"]}}]
    notice = session.scalar(text("SELECT payload FROM outbox_message WHERE topic = "
                                 "'incident.reported' AND payload->>'subject_id' = :id"),
                            {"id": str(done.incident_id)})
    assert f"#{done.incident_id}" in notice["title"]
    assert notice["audience"]["unit_ids"] == [row["owner_unit_id"]]
    stored = session.execute(text("SELECT * FROM audit_event WHERE action = 'incident.report' "
                                  "AND subject_id = :id"), {"id": str(done.incident_id)}).one()
    assert stored.after == {"state": "reported", "grid": row["grid_code"],
                            "category": minor, "urgency": "normal"}
    assert stored.content_hash == audit.content_hash(
        id=stored.id, at=stored.at, actor=stored.actor, action=stored.action,
        subject_type=stored.subject_type, subject_id=stored.subject_id,
        before=stored.before, after=stored.after)
    # The incident itself, loaded when asked.
    assert done.incident.id == done.incident_id and done.incident.version == 1


def test_a_replayed_key_writes_no_kernel_row(session, settings, place, minor, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    data = ReportIn.model_validate(report_body(place, minor))
    key = new_key()
    first = service.report(session, principal=place.worker.principal, data=data,
                           idempotency_key=key, settings=settings)
    again = service.report(session, principal=place.worker.principal, data=data,
                           idempotency_key=key, settings=settings)
    assert (again.incident_id, again.replayed, again.body) == (first.incident_id, True, None)
    # The ids the replay drew (this session's last of each sequence) name no row.
    drawn, event_id = session.execute(text(
        "SELECT currval(pg_get_serial_sequence('incident', 'id')), "
        "currval(pg_get_serial_sequence('audit_event', 'id'))")).one()
    assert drawn > first.incident_id
    for table, column in (("incident", "id"), ("incident_reporter", "incident_id"),
                          ("audit_event", "id")):
        assert session.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} = :id"),
                              {"id": event_id if table == "audit_event" else drawn}) == 0
    for table in ("case_clock", "timeline_event"):
        assert session.scalar(text(f"SELECT count(*) FROM {table} WHERE subject_type = "
                                   "'incident' AND subject_id = :id"), {"id": drawn}) == 0
    assert session.scalar(text("SELECT count(*) FROM outbox_message WHERE "
                               "payload->>'subject_id' = :id"), {"id": str(drawn)}) == 0


def test_the_report_rate_limit_is_counted_and_a_refused_report_writes_nothing(
        app, client, session, place, minor):
    """One report a minute: of three sent together, at least one is refused (three
    requests straddle at most one minute's boundary); each refused one wrote nothing."""
    app.state.rate_limiter = RateLimiter(app.state.redis, Limits(reports=1, writes=0,
                                                                 exports=0, kpis=0))
    mine = text("SELECT count(*) FROM incident WHERE reporter_id = :u AND description = :d")
    marks = {"u": place.worker.principal.user_id, "d": f"限流测试 {new_key()}"}
    answers = [report(client, place.worker, report_body(place, minor, description=marks["d"]))
               for _ in range(3)]
    assert {answer.status_code for answer in answers} <= {201, 429}
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, [answer.text for answer in answers]
    assert refused[0].json()["code"] == "rate_limited"
    assert refused[0].json()["bucket"] == "reports"
    assert session.scalar(mine, marks) == 3 - len(refused)
