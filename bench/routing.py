"""Route matching: what finding a request's route costs, by where the route sits.

    .venv/bin/python -m bench.routing [--rounds 3000]

Starlette/FastAPI try the app's routes in order (FastAPI 0.165: each included router in
turn, each of its routes' patterns), so a route's cost grows with the number of routes
before it: the platforms' routers come after the core's, and the pages, tiles and
health checks after them all. No database and no server: the app is built as
`api.app.create_app()` builds it, and for each path the loop `APIRouter.app` runs is
timed alone (`matches` on each top-level route until a full match). Baseline: the
first route of the table (`POST /api/v1/auth/token`), in the same process.
"""

import argparse
import os
import time

from starlette.routing import Match

PATHS = [  # (method, path, what it is)
    ("POST", "/api/v1/auth/token", "baseline: the first router"),
    ("POST", "/api/v1/incidents", "a grid worker's report"),
    ("POST", "/open311/v2/requests.json", "an Open311 request"),
    ("GET", "/api/v1/convenience/items", "the catalogue search"),
    ("GET", "/tiles/areas/10/840/430.mvt", "a vector tile"),
    ("GET", "/healthz", "the health check"),
]


def match_seconds(app, method: str, path: str, rounds: int) -> float:
    """Mean seconds for the router's loop to find the route of `method path`."""
    routes = app.router.routes
    start = time.perf_counter()
    for _ in range(rounds):
        scope = {"type": "http", "method": method, "path": path, "root_path": "",
                 "query_string": b"", "headers": [], "app": app}
        for route in routes:
            if route.matches(scope)[0] == Match.FULL:
                break
        else:
            raise SystemExit(f"no route matches {method} {path}")
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    os.environ.setdefault("ENVIRONMENT", "development")  # the default key is fine here
    from api.app import create_app

    app = create_app()
    top_level = len(app.router.routes)
    for method, path, _ in PATHS:  # warm-up
        match_seconds(app, method, path, 50)
    baseline = match_seconds(app, *PATHS[0][:2], args.rounds)
    print(f"{top_level} top-level routes; {args.rounds} rounds a path")
    for method, path, what in PATHS:
        seconds = match_seconds(app, method, path, args.rounds)
        print(f"  {method:4} {path:32} {seconds * 1e6:7.1f} µs  "
              f"{seconds / baseline:5.1f}× the baseline  ({what})")


if __name__ == "__main__":
    main()
