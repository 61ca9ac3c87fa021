#!/usr/bin/env bash
# A PostgreSQL for the tests' Airflow metadata DB, as in production (SQLite stays the default).
#
#   bash scripts/postgres.sh start    # install (apt-get) if missing, init, start; prints the SQLAlchemy URL
#   bash scripts/postgres.sh migrate  # start, then `airflow db migrate` on it (skipped when up to date)
#   bash scripts/postgres.sh stop
#
# Idempotent and fast when already running. Listens on 127.0.0.1 only (port: $SAGEMAKER_SIZING_PG_PORT,
# else a free one chosen at first start and kept); data, socket and log live in .postgres/ (git-ignored).
# Run as root, the server runs as the `postgres` user; otherwise as the current user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=$ROOT/.postgres/data
RUN=$ROOT/.postgres/run
LOG=$ROOT/.postgres/server.log
DB=airflow_test
USER_NAME=airflow
log() { printf '[postgres] %s\n' "$*" >&2; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -z $dir || ! -x $dir/initdb ]]; then
    log "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$dir"
}

# as_pg CMD...: run as the server's owner.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
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

start() {
  local bin port
  bin=$(pg_bin)
  mkdir -p "$RUN"
  if [[ ! -f $DATA/PG_VERSION ]]; then
    log "initialising $DATA"
    mkdir -p "$DATA"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$ROOT/.postgres"
    # trust on loopback only: a throw-away test database, never reachable from outside.
    as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$ROOT/.postgres"
  if ! port=$(running_port); then
    port=${SAGEMAKER_SIZING_PG_PORT:-$(cat "$ROOT/.postgres/port" 2>/dev/null || free_port)}
    log "starting on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $RUN -c fsync=off" start >/dev/null \
      || { tail -20 "$LOG" >&2; exit 1; }
    echo "$port" >"$ROOT/.postgres/port"
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
  local url stamp sum
  url=$(start)
  stamp=$ROOT/.postgres/migrated
  sum=$(cat requirements.lock | sha256sum | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$url $sum" ]]; then
    log "migrating the Airflow metadata DB on $url"
    AIRFLOW_HOME=${AIRFLOW_HOME:-$ROOT/airflow_home} AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$url \
      .venv/bin/airflow db migrate >"$ROOT/.postgres/db-migrate.log" 2>&1 \
      || { cat "$ROOT/.postgres/db-migrate.log" >&2; exit 1; }
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

case ${1:-} in
  start) start ;;
  migrate) migrate ;;
  stop) stop ;;
  *) echo "usage: $0 start|migrate|stop" >&2; exit 2 ;;
esac
