#!/usr/bin/env bash
# A PostgreSQL for the tests' Airflow metadata DB, as in production (SQLite stays the default).
#
#   bash scripts/postgres.sh start    # init and start this clone's server; prints the SQLAlchemy URL
#   bash scripts/postgres.sh migrate  # start, then `airflow db migrate` on it (skipped when up to date)
#   bash scripts/postgres.sh stop
#   bash scripts/postgres.sh clean    # stop and delete this clone's data (make clean)
#   bash scripts/postgres.sh dir      # where this clone's data lives
#
# Idempotent and fast when already running. Listens on 127.0.0.1 only, no Unix socket (port:
# $SAGEMAKER_SIZING_PG_PORT, else a free one chosen at first start and kept). PostgreSQL is
# installed by scripts/setup.sh, never here.
#
# Where the data lives: the server must reach its data directory whatever the clone's parent
# permissions are. Run as root, the server runs as the `postgres` user (PostgreSQL refuses root),
# who cannot enter a clone under a 0700 folder such as /root or a `mktemp -d` folder; so its data
# goes to a folder of its own, /var/lib/postgresql/sagemaker-sizing/<hash of the clone's path>
# (one per clone; `origin` there names the clone). Run as another user, the server runs as that
# user, who can reach its own clone: the data stays in .postgres/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [[ $(id -u) -eq 0 ]]; then
  STATE=/var/lib/postgresql/sagemaker-sizing/$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)
else
  STATE=$ROOT/.postgres
fi
DATA=$STATE/data
LOG=$STATE/server.log
DB=airflow_test
USER_NAME=airflow
log() { printf '[postgres] %s\n' "$*" >&2; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -z $dir || ! -x $dir/initdb ]]; then
    log "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run \`make setup\`" \
        "(scripts/setup.sh installs the Debian package postgresql)"
    exit 1
  fi
  echo "$dir"
}

# as_pg CMD...: run as the server's owner (from /: it may not enter the clone; paths are absolute).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running_port() {
  # postmaster.pid: line 1 the pid, line 4 the port.
  [[ -f $DATA/postmaster.pid ]] || return 1
  local pid
  pid=$(sed -n 1p "$DATA/postmaster.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  sed -n 4p "$DATA/postmaster.pid"
}

make_state() {
  if [[ $(id -u) -eq 0 ]]; then
    # Owned by postgres from the top, private to it; every parent is world-searchable.
    install -d -o postgres -g postgres -m 0755 "$(dirname "$STATE")"
    install -d -o postgres -g postgres -m 0700 "$STATE"
  else
    mkdir -p "$STATE"
  fi
  [[ -f $STATE/origin ]] || as_pg sh -c 'printf "%s\n" "$1" >"$2"' sh "$ROOT" "$STATE/origin"
}

start() {
  local bin port
  bin=$(pg_bin)
  make_state
  if [[ ! -f $DATA/PG_VERSION ]]; then
    log "initialising $DATA"
    # trust on loopback only: a throw-away test database, never reachable from outside.
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! port=$(running_port); then
    port=${SAGEMAKER_SIZING_PG_PORT:-$(cat "$STATE/port" 2>/dev/null || free_port)}
    log "starting on 127.0.0.1:$port (data in $DATA)"
    # No Unix socket: nothing to reach in a folder, and no 107-byte socket path limit.
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c fsync=off" start >/dev/null \
      || { tail -20 "$LOG" >&2; exit 1; }
    as_pg sh -c 'printf "%s\n" "$1" >"$2"' sh "$port" "$STATE/port"
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA)
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'") ]]; then
    "${psql[@]}" -c "CREATE ROLE $USER_NAME LOGIN" >/dev/null
  fi
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE $DB OWNER $USER_NAME" >/dev/null
  fi
  echo "postgresql+psycopg2://$USER_NAME@127.0.0.1:$port/$DB"
}

migrate() {
  local url stamp sum migrate_log
  url=$(start)
  # The stamp and the migration's log are the invoking user's, in the clone.
  mkdir -p "$ROOT/.postgres"
  stamp=$ROOT/.postgres/migrated
  migrate_log=$ROOT/.postgres/db-migrate.log
  sum=$(sha256sum <requirements.lock | cut -d' ' -f1)
  # The data folder's creation time: a stamp from a cleaned (re-initialised) server does not count.
  sum="$sum $(stat -c %Z "$DATA/PG_VERSION")"
  if [[ ! -f $stamp || $(cat "$stamp") != "$url $sum" ]]; then
    log "migrating the Airflow metadata DB on $url"
    AIRFLOW_HOME=${AIRFLOW_HOME:-$ROOT/airflow_home} AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$url \
      .venv/bin/airflow db migrate >"$migrate_log" 2>&1 \
      || { cat "$migrate_log" >&2; exit 1; }
    echo "$url $sum" >"$stamp"
  fi
  echo "$url"
}

stop() {
  local bin
  if running_port >/dev/null; then
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    log "stopped"
  fi
}

clean() {
  stop
  rm -rf "$STATE" "$ROOT/.postgres"
}

case ${1:-} in
  start) start ;;
  migrate) migrate ;;
  stop) stop ;;
  clean) clean ;;
  dir) echo "$STATE" ;;
  *) echo "usage: $0 start|migrate|stop|clean|dir" >&2; exit 2 ;;
esac
