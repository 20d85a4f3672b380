"""The authorization matrix's sample for the day's patrol tracks (grid/patrols/router.py
GET /api/v1/patrols/tracks), merged by tests/api/test_authorization.py into its `SAMPLES`:
a track of a worker inside the actor's territory is listed, one outside is not (FILTERED).
No grants of its own (patrols:read is the grid's, in the matrix's core table)."""

from sqlalchemy import text


def _tracks(ctx, inside: bool):
    from tests.api.test_authorization import Call, _seed_patrol  # late: that module imports us

    def walked(side: bool) -> int:
        patrol = _seed_patrol(ctx, side)
        lon, lat = ctx.actor.inside_point if side else ctx.actor.outside_point
        ctx.session.execute(text(
            "INSERT INTO patrol_point (patrol_id, recorded_at, geom) SELECT :p, "
            "started_at + make_interval(secs => i * 10), "
            "ST_SetSRID(ST_MakePoint(:lon + i * 0.0005, :lat), 4326) "
            "FROM patrol, generate_series(0, 2) AS i WHERE id = :p"),
            {"p": patrol, "lon": lon, "lat": lat})
        return patrol

    ours, theirs = walked(True), walked(False)
    day = ctx.session.scalar(text(
        "SELECT (started_at AT TIME ZONE 'Asia/Shanghai')::date FROM patrol WHERE id = :p"),
        {"p": ours})

    def check(body):
        ids = [feature["id"] for feature in body["features"]]
        assert ours in ids and theirs not in ids
    return Call("GET", "/api/v1/patrols/tracks", params={"day": day.isoformat()},
                check=check)


AUTH_SAMPLES = {
    ("GET", "/api/v1/patrols/tracks"): ("FILTERED", _tracks),
}
