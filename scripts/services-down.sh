#!/usr/bin/env bash
# Stop the services that services-up.sh starts: WireMock (8081, 8082),
# FerretDB (27017), PostgreSQL (54329), Redis (6379), the Redis Cluster
# (7001-7003), RabbitMQ (5672) and Prometheus (9090).
# Idempotent and quiet about services that are already stopped. Services are
# found by their ports, so this also stops instances someone else started.
#
# Usage (as root, from anywhere): npm run services:down
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="$REPO_ROOT/.services"
SCRIPT_NAME=services-down
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

REDIS_PORT=6379
RABBITMQ_PORT=5672
RABBITMQ_DIST_PORT=25672 # Erlang distribution: open while the node runs, even after stop_app
MONGO_PORT=27017
POSTGRES_PORT=54329
PRODUCT_SERVICE_PORT=8081
USER_SERVICE_PORT=8082
PROMETHEUS_PORT=9090

STOP_TIMEOUT=30 # seconds a service may take to release its port

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# True once nothing listens on <port> any more (gives up after STOP_TIMEOUT).
wait_port_closed() {
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while port_open "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# Pid of the process listening on TCP <port>, empty when unknown.
port_owner() {
  if command -v ss >/dev/null; then
    ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
  elif command -v fuser >/dev/null; then
    fuser -n tcp "$1" 2>/dev/null | awk '{print $1}'
  fi
}

# stop_by_port <name> <port> <pidfile>
# The port owner is authoritative; the pid file is only a fallback (for
# machines without ss/fuser), since a stale pid may belong to someone else.
stop_by_port() {
  local name=$1 port=$2 pidfile=$3 pid
  if port_open "$port"; then
    pid=$(port_owner "$port")
    [[ -z $pid && -f $pidfile ]] && pid=$(<"$pidfile")
    if [[ -z $pid ]]; then
      log "cannot find the process of $name on port $port; stop it by hand"
      return 1
    fi
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    if ! wait_port_closed "$port"; then
      log "$name ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_port_closed "$port" || { log "$name still holds port $port"; return 1; }
    fi
  fi
  rm -f "$pidfile"
}

stop_redis() {
  port_open "$REDIS_PORT" || return 0
  log "stopping Redis"
  # nosave: the data is throwaway (services-up starts it with --save "").
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  wait_port_closed "$REDIS_PORT"
  rm -f "$SERVICES_DIR/redis.pid"
}

stop_rabbitmq() {
  port_open "$RABBITMQ_PORT" || port_open "$RABBITMQ_DIST_PORT" || return 0
  log "stopping RabbitMQ"
  rabbitmqctl -q stop >/dev/null
  wait_port_closed "$RABBITMQ_PORT"
  wait_port_closed "$RABBITMQ_DIST_PORT"
}

main() {
  stop_by_port Prometheus "$PROMETHEUS_PORT" "$SERVICES_DIR/prometheus.pid"
  stop_by_port "WireMock product-service" "$PRODUCT_SERVICE_PORT" "$SERVICES_DIR/wiremock-product-service.pid"
  stop_by_port "WireMock user-service" "$USER_SERVICE_PORT" "$SERVICES_DIR/wiremock-user-service.pid"
  stop_by_port FerretDB "$MONGO_PORT" "$SERVICES_DIR/ferretdb.pid"
  # By its port, like the others, whichever checkout's cluster it is: SIGTERM is
  # PostgreSQL's smart shutdown, quick once FerretDB, its only client, is gone.
  stop_by_port PostgreSQL "$POSTGRES_PORT" "$SERVICES_DIR/postgresql.pid"
  stop_redis
  bash "$REPO_ROOT/scripts/redis-cluster.sh" stop
  stop_rabbitmq
}

main "$@"
