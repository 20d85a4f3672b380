#!/usr/bin/env bash
# Serves the demo until Ctrl-C: the API on http://127.0.0.1:8000, a Celery worker and Celery
# beat, their output interleaved with a [name] prefix. Run by `make demo` after setup.sh.
# When one of them stops, the others are stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1 PORT=8000
URL=http://$HOST:$PORT
mkdir -p .state
export PYTHONUNBUFFERED=1

say() { printf '==> %s\n' "$*"; }
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    printf 'error: something already listens on %s:%s (another make demo?)\n' "$HOST" "$PORT" >&2
    exit 1
fi

# Job control: each child gets a process group of its own, so Ctrl-C reaches only this
# script, which then stops every group (the worker's pool processes included) in order.
set -m
groups=()
start() { # NAME COMMAND...
    local name=$1; shift
    # The subshell outlives INT/TERM to wait for the command (its own stderr, where bash
    # would report "Terminated", is muted); sed ignores them, so the last lines get through.
    (
        trap : INT TERM
        "$@" </dev/null 2>&1 | { trap '' INT TERM; exec sed -u "s/^/[$name] /"; }
    ) 2>/dev/null &
    groups+=("$!")
}

stopped=
# shellcheck disable=SC2317  # called from the traps below
stop() {
    [ -z "$stopped" ] || return 0
    stopped=1
    say "stopping"
    local g alive
    for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
    # A graceful stop lets the worker finish its task; after 15 s it is killed.
    for _ in $(seq 150); do
        alive=
        for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
        [ -n "$alive" ] || return 0
        sleep 0.1
    done
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
}
trap 'stop; exit 0' INT  # Ctrl-C is the normal way to stop
trap 'stop; exit 143' TERM HUP
trap stop EXIT

start api .venv/bin/gridgov serve --host "$HOST" --port "$PORT"
# Warnings and errors only: at info the beat and worker print a few lines every couple of
# seconds (the sweep, the outbox, the audit sealer), which buries the URLs below.
start worker .venv/bin/gridgov worker --loglevel warning
start beat .venv/bin/celery -A core.celery_app beat --loglevel=warning \
    --schedule .state/celerybeat-schedule

# Wait (at most a minute) for the API to answer before showing where to go.
for _ in $(seq 120); do
    kill -0 -- "-${groups[0]}" 2>/dev/null || break
    .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$URL/healthz" 2>/dev/null && break
    sleep 0.5
done
cat <<EOF

==> gridgov demo is running (Ctrl-C stops it):
      map      $URL/map
      API docs $URL/docs
      health   $URL/healthz

EOF

wait -n || true
say "a process exited; stopping the others"
exit 1
