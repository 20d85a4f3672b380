#!/usr/bin/env bash
# Prepares this machine for `make demo` and `make test`: installs what is missing (Debian
# packages, the .venv), makes sure PostgreSQL/PostGIS and Redis answer, creates the database
# and migrates it. Idempotent, and quick when nothing changed.
#
#   scripts/setup.sh demo|test      (test also installs Chromium for the browser tests)
#
# DATABASE_URL and REDIS_URL, from the environment or else from .env (the app reads both
# too), point at other servers; a server that is not on this machine is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-demo}
mkdir -p .state
LOG=.state/setup.log

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif have sudo; then sudo "$@"
    else die "this step needs root or sudo: $*"
    fi
}

# One `apt-get update` per run, and only when something must be installed. apt's chatter
# goes to the log; C.UTF-8 because installing `postgresql` creates a cluster with the
# locale of the environment (SQL_ASCII without one, a failure with a broken one).
APT_UPDATED=
apt_install() {
    say "installing $* (apt-get; details in $LOG)"
    {
        [ -n "$APT_UPDATED" ] || as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 apt-get install -y -q "$@"
    } >>"$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "apt-get install $* failed"; }
    APT_UPDATED=1
}

# The value .env gives KEY, if any (last one wins, surrounding quotes dropped).
dotenv() {
    [ -f .env ] || return 0
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" .env | tail -n 1 |
        sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}
DATABASE_URL=${DATABASE_URL:-$(dotenv DATABASE_URL)}
DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/gridgov}
REDIS_URL=${REDIS_URL:-$(dotenv REDIS_URL)}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DATABASE_URL REDIS_URL

# The API and the worker refuse to start (ENVIRONMENT=production, the default) with the
# public development SECRET_KEY: a machine without one gets a random key in .env, once.
if [ -z "${SECRET_KEY:-}" ] && [ -z "$(dotenv SECRET_KEY)" ]; then
    say "writing a random SECRET_KEY into .env"
    key=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
    # A newline first if .env does not end with one, so the key gets a line of its own.
    { if [ -s .env ] && [ -n "$(tail -c 1 .env)" ]; then echo; fi; echo "SECRET_KEY=$key"; } >>.env
    chmod 600 .env
fi

is_local() { case $1 in '' | localhost | 127.* | ::1) return 0 ;; *) return 1 ;; esac; }
tcp_answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ---------------------------------------------------------------- Python and system packages
VENV_OK=; .venv/bin/python -c '' 2>/dev/null && VENV_OK=1
if [ -z "$VENV_OK" ]; then
    have python3 || apt_install python3 python3-venv
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "Python >= 3.11 is needed, python3 is $(python3 -V 2>&1)"
fi
PY=python3; [ -z "$VENV_OK" ] || PY=.venv/bin/python

# "host|port" of a URL (host "" = the Unix socket).
host_port() {
    "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "", p.port or sys.argv[2], sep="|")' "$1" "$2"
}
pg=$(host_port "$DATABASE_URL" 5432) redis=$(host_port "$REDIS_URL" 6379)
IFS='|' read -r PG_HOST PG_PORT <<<"$pg"
IFS='|' read -r REDIS_HOST REDIS_PORT <<<"$redis"
PG_TCP_HOST=$PG_HOST; [ -n "$PG_TCP_HOST" ] && [ "$PG_TCP_HOST" != localhost ] || PG_TCP_HOST=127.0.0.1
pg_answers() {
    if [ -z "$PG_HOST" ]; then [ -S "/var/run/postgresql/.s.PGSQL.$PG_PORT" ]
    else tcp_answers "$PG_TCP_HOST" "$PG_PORT"; fi
}
pg_server_installed() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }
newest_pg_version() { compgen -G '/usr/lib/postgresql/*/bin/postgres' | cut -d/ -f5 | sort -V | tail -n 1; }

# Everything missing that needs no decision first, in one apt-get call.
need=()
if [ -z "$VENV_OK" ] && ! python3 -c 'import ensurepip' 2>/dev/null; then
    need+=(python3-venv)
fi
PG_INSTALLED_NOW=
if is_local "$PG_HOST" && ! pg_answers && ! pg_server_installed; then
    need+=(postgresql); PG_INSTALLED_NOW=1
fi
[ "$REDIS_HOST" != localhost ] && [ -n "$REDIS_HOST" ] || REDIS_HOST=127.0.0.1
# A reply of any kind (also NOAUTH from a server with a password) means Redis runs.
redis_up() {
    if have redis-cli; then redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1
    else tcp_answers "$REDIS_HOST" "$REDIS_PORT"; fi
}
if is_local "$REDIS_HOST" && ! redis_up && ! have redis-server; then need+=(redis-server); fi
if [ "$MODE" = test ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
# A CJK font (a small one): the 文书 PDFs (core/documents, DOCUMENT_FONT_PATH) in every
# mode, and the Chinese labels of browser-test screenshots.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then need+=(fonts-wqy-microhei); fi
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# ---------------------------------------------------------------- PostgreSQL (local only)
# Debian clusters: "version name port status" of the one on port $1.
cluster_on_port() { pg_lsclusters -h 2>/dev/null | awk -v p="$1" '$3 == p { print $1, $2, $3, $4; exit }'; }

# Only for a cluster this script created (or that our `apt-get install postgresql` just
# created): trust on local connections, so that the default URL (postgres, no password)
# works. Local development only; an existing cluster's authentication is never touched.
# Debian's default listen_addresses is already 'localhost' (127.0.0.1 and ::1).
make_trusting() {
    say "setting trust authentication on local connections for cluster $1/$2"
    printf '%s\n' '# Written by gridgov scripts/setup.sh for a development cluster it created.' \
        'local all all trust' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' |
        as_root tee "/etc/postgresql/$1/$2/pg_hba.conf" >/dev/null
}

# Without systemd, pg_ctlcluster must not hand over to systemctl.
pg_ctl() {
    local skip=(); [ -d /run/systemd/system ] || skip=(--skip-systemctl-redirect)
    as_root pg_ctlcluster "${skip[@]}" "$@"
}

if is_local "$PG_HOST"; then
    if ! pg_answers; then
        read -r ver name _ status <<<"$(cluster_on_port "$PG_PORT")" || true
        if [ -z "${ver:-}" ]; then
            [ -z "$(pg_lsclusters -h 2>/dev/null)" ] ||
                die "no PostgreSQL cluster uses port $PG_PORT (see pg_lsclusters); start one there or set DATABASE_URL"
            ver=$(newest_pg_version)
            name=main
            say "creating PostgreSQL cluster $ver/$name on port $PG_PORT"
            as_root env LC_ALL=C.UTF-8 pg_createcluster --locale C.UTF-8 -p "$PG_PORT" "$ver" "$name" >>"$LOG" 2>&1 ||
                { tail -n 20 "$LOG" >&2; die "pg_createcluster failed"; }
            make_trusting "$ver" "$name"
        elif [ -n "$PG_INSTALLED_NOW" ]; then
            make_trusting "$ver" "$name"
            [ "$status" != online ] || pg_ctl "$ver" "$name" reload
        fi
        if ! pg_answers; then
            say "starting PostgreSQL $ver/$name"
            pg_ctl "$ver" "$name" start
            for _ in $(seq 30); do pg_answers && break; sleep 1; done
            pg_answers || die "PostgreSQL $ver/$name did not start (see /var/log/postgresql/)"
        fi
    fi
    # PostGIS for the server's major version (from its Debian cluster, else the newest
    # installed server; a server from elsewhere, e.g. a container, must bring its own).
    read -r ver _ <<<"$(cluster_on_port "$PG_PORT")" || true
    if [ -z "${ver:-}" ] && pg_server_installed; then
        ver=$(newest_pg_version)
    fi
    if [ -n "${ver:-}" ] && [ ! -f "/usr/share/postgresql/$ver/extension/postgis.control" ]; then
        apt_install "postgresql-$ver-postgis-3"
    fi
fi

# ---------------------------------------------------------------- Redis (local only)
if is_local "$REDIS_HOST" && ! redis_up; then
    say "starting Redis on $REDIS_HOST:$REDIS_PORT"
    redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no >>"$LOG"
    for _ in $(seq 20); do redis_up && break; sleep 0.5; done
    redis_up || die "Redis did not start"
fi

# ---------------------------------------------------------------- .venv
if [ -z "$VENV_OK" ]; then
    say "creating .venv"
    rm -rf .venv
    python3 -m venv .venv
fi
# Re-install only when pyproject.toml changed since the last successful install.
STAMP=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$STAMP" ]; then
    say "installing the project into .venv: pip install -e '.[dev]' (minutes the first time; details in $LOG)"
    .venv/bin/pip install -e '.[dev]' >>"$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "pip install failed"; }
    rm -f .venv/.installed-*
    touch "$STAMP"
fi

# ---------------------------------------------------------------- database
# Through psycopg from the .venv, so that it works the same for a remote server.
SETUP_MODE=$MODE .venv/bin/python - <<'PY'
import getpass
import os
import sys
import time

import psycopg
from psycopg import sql

# psycopg wants the libpq form: drop SQLAlchemy's "+psycopg" driver part.
url = "postgresql://" + os.environ["DATABASE_URL"].split("://", 1)[1]
info = psycopg.conninfo.conninfo_to_dict(url)
dbname = info.get("dbname") or sys.exit("error: DATABASE_URL names no database")
where = f"{info.get('user') or getpass.getuser()}@{info.get('host') or 'localhost'}:{info.get('port') or 5432}"


def fail(message, error):
    sys.exit(f"error: {message} ({where}): {str(error).strip()}\n"
             "  Set DATABASE_URL (environment or .env) to a server and role that can be reached.")


def connect(database):
    # A server that was just started may still refuse connections for a moment.
    for attempt in range(30):
        try:
            return psycopg.connect(url, dbname=database, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            text = str(error)
            if attempt == 29 or "starting up" not in text:
                raise
            time.sleep(1)


try:
    conn = connect(dbname)
except psycopg.OperationalError as error:
    if f'"{dbname}" does not exist' not in str(error):
        fail("cannot connect to PostgreSQL", error)
    print(f"==> creating database {dbname}", flush=True)
    try:
        try:
            admin = connect("postgres")
        except psycopg.OperationalError:
            admin = connect("template1")
        with admin:
            admin.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                          .format(sql.Identifier(dbname)))
        conn = connect(dbname)
    except psycopg.Error as error:
        fail(f"cannot create database {dbname}", error)

with conn:
    if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        print(f"==> enabling PostGIS in {dbname}", flush=True)
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as error:
            fail(f"cannot enable PostGIS in {dbname} (is PostGIS installed on that server?)", error)
    # The test suite creates (and drops) its own database gridgov_test on this server.
    may_create = conn.execute(
        "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()[0]
    if not may_create and os.environ["SETUP_MODE"] == "test":
        role = info.get("user") or getpass.getuser()
        sys.exit(f"error: role {role} may not create databases, which the tests need:"
                 f" ALTER ROLE {role} CREATEDB")
PY

say "migrating the database"
.venv/bin/gridgov db upgrade
