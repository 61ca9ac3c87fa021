#!/usr/bin/env bash
# A Redis for local Celery runs (the broker), per clone, on loopback.
#
#   bash scripts/redis.sh start    # start this clone's server (idempotent); prints the broker URL
#   bash scripts/redis.sh stop
#   bash scripts/redis.sh clean    # stop and delete its data (make clean)
#
# It runs as the invoking user, who can always reach its own clone (also under a 0700 folder), so
# its data, pid and log stay in .redis/ (git-ignored). TCP on 127.0.0.1 only, no Unix socket
# (port: $SAGEMAKER_SIZING_REDIS_PORT, else a free one chosen at first start and kept), no
# persistence to disk. redis-server is installed by scripts/setup.sh, never here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=$ROOT/.redis
PID=$STATE/redis.pid
log() { printf '[redis] %s\n' "$*" >&2; }

require() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server is not installed: run \`make setup\` (scripts/setup.sh installs the Debian package redis-server)"
    exit 1
  fi
}

running() { [[ -f $PID ]] && kill -0 "$(cat "$PID")" 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local port
  require
  mkdir -p "$STATE"
  port=${SAGEMAKER_SIZING_REDIS_PORT:-$(cat "$STATE/port" 2>/dev/null || free_port)}
  if ! running; then
    log "starting on 127.0.0.1:$port"
    redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
      --save "" --appendonly no --dir "$STATE" --daemonize yes --pidfile "$PID" \
      --logfile "$STATE/server.log"
    echo "$port" >"$STATE/port"
    for _ in $(seq 100); do
      redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
  fi
  port=$(cat "$STATE/port")
  redis-cli -h 127.0.0.1 -p "$port" ping | grep -q PONG || { tail -20 "$STATE/server.log" >&2; exit 1; }
  echo "redis://127.0.0.1:$port/0"
}

stop() {
  if running; then
    kill "$(cat "$PID")"
    for _ in $(seq 100); do running || break; sleep 0.1; done
    log "stopped"
  fi
}

clean() {
  stop
  rm -rf "$STATE"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  clean) clean ;;
  *) echo "usage: $0 start|stop|clean" >&2; exit 2 ;;
esac
