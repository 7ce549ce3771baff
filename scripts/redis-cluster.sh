#!/usr/bin/env bash
# Start or stop a local Redis Cluster of three masters (no replicas) on
# 127.0.0.1:7001-7003, from Debian's redis-server and `redis-cli --cluster create`:
# what the tests of REDIS_CLUSTER_NODES run against (test/e2e/redis-cluster.test.ts).
#
# `start` is idempotent: nodes already answering are left alone, a cluster already
# formed is not formed again, and it returns once every node reports
# cluster_state:ok. Node configuration and logs live under
# <repo>/.services/redis-cluster/ (git-ignored). The data itself is throwaway: no
# RDB snapshots, no AOF, never evicting (BullMQ needs noeviction).
#
# Usage (from anywhere): bash scripts/redis-cluster.sh start|stop
# (`npm run services:up` runs `start`, `npm run services:down` runs `stop`.)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_NAME=redis-cluster
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
CLUSTER_DIR="$REPO_ROOT/.services/redis-cluster"

# The cluster bus of each node listens on its port + 10000 (17001-17003).
PORTS=(7001 7002 7003)
HOST=127.0.0.1
# How long a master may be unreachable before the others mark it failed (ms).
NODE_TIMEOUT_MS=5000
# How long the nodes may take to answer, and the cluster to become ok (seconds).
START_TIMEOUT=30

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

cli() { # cli <port> <command...>
  local port=$1
  shift
  redis-cli -h "$HOST" -p "$port" "$@"
}

node_ready() { [[ $(cli "$1" ping 2>/dev/null) == PONG ]]; }

# cluster_field <port> <name>: one field of CLUSTER INFO (e.g. cluster_state).
cluster_field() {
  cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p"
}

# True when every node sees the whole cluster: all slots assigned, all nodes known, ok.
cluster_ok() {
  local port
  for port in "${PORTS[@]}"; do
    [[ $(cluster_field "$port" cluster_state) == ok ]] || return 1
    [[ $(cluster_field "$port" cluster_known_nodes) == "${#PORTS[@]}" ]] || return 1
  done
}

# wait_for <what> <command...>: polls <command> until it succeeds, or fails after START_TIMEOUT.
wait_for() {
  local what=$1
  shift
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not within ${START_TIMEOUT}s; see $CLUSTER_DIR/*/redis.log"
    sleep 0.2
  done
}

start_node() {
  local port=$1 dir="$CLUSTER_DIR/$1"
  if port_open "$port"; then
    node_ready "$port" || die "port $port is taken by something that is not Redis"
    [[ $(cli "$port" info cluster | tr -d '\r') == *cluster_enabled:1* ]] ||
      die "the Redis on port $port does not run in cluster mode"
    return 0
  fi
  mkdir -p "$dir"
  # nodes.conf keeps the node's identity and slots, so a restarted node rejoins
  # the cluster it belonged to (empty: the data itself is not kept).
  (
    close_inherited_fds
    exec redis-server --daemonize yes --bind "$HOST" --port "$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout "$NODE_TIMEOUT_MS" \
      --save "" --appendonly no --maxmemory-policy noeviction \
      --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
  )
}

# Nodes that know only themselves and hold no slot: a cluster never formed (or reset).
all_fresh() {
  local port
  for port in "${PORTS[@]}"; do
    [[ $(cluster_field "$port" cluster_slots_assigned) == 0 ]] || return 1
    [[ $(cluster_field "$port" cluster_known_nodes) == 1 ]] || return 1
  done
}

create_cluster() {
  local nodes=() port
  for port in "${PORTS[@]}"; do nodes+=("$HOST:$port"); done
  log "forming the cluster: ${nodes[*]}"
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 ||
    die "redis-cli --cluster create failed; see $CLUSTER_DIR/create.log"
}

# A half-formed cluster (a node's directory removed, a create interrupted): the
# data is throwaway, so forget it and form the cluster again.
reset_nodes() {
  local port
  log "the nodes disagree about the cluster: resetting them"
  for port in "${PORTS[@]}"; do
    cli "$port" flushall >/dev/null
    cli "$port" cluster reset hard >/dev/null
  done
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server and redis-cli are needed (Debian package redis-server)"
  mkdir -p "$CLUSTER_DIR"
  local port
  for port in "${PORTS[@]}"; do start_node "$port"; done
  for port in "${PORTS[@]}"; do wait_for "Redis on port $port answering" node_ready "$port"; done

  if cluster_ok; then
    log "already running on ${PORTS[*]}"
    return 0
  fi
  if ! all_fresh; then
    # Restarted nodes find each other again from nodes.conf; give them a moment first.
    local deadline=$((SECONDS + 10))
    until cluster_ok || ((SECONDS >= deadline)); do sleep 0.2; done
    if cluster_ok; then
      log "rejoined on ${PORTS[*]}"
      return 0
    fi
    reset_nodes
  fi
  create_cluster
  wait_for "cluster_state:ok on every node" cluster_ok
  log "started on ${PORTS[*]}"
}

stop() {
  local port
  for port in "${PORTS[@]}"; do
    port_open "$port" || continue
    log "stopping the node on port $port"
    cli "$port" shutdown nosave >/dev/null 2>&1 || true
    local deadline=$((SECONDS + START_TIMEOUT))
    while port_open "$port"; do
      ((SECONDS < deadline)) || die "the node on port $port did not stop"
      sleep 0.2
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
