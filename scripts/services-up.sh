#!/usr/bin/env bash
# Start the backing services the order processor needs on this machine:
#   Redis 6379, RabbitMQ 5672, FerretDB (MongoDB wire protocol) 27017 on
#   PostgreSQL 54329, WireMock product-service 8081 and user-service 8082;
# and, unless --service-only, what only the tests use: a Redis Cluster of three
#   masters on 7001-7003 (for the tests of REDIS_CLUSTER_NODES), Prometheus 9090
#   (scraping `npm start`'s API and worker, with the alert rules), and the tools
#   Chromium, docker-compose and Python's venv.
# Installs whatever is missing (Debian packages, FerretDB, node_modules) first.
#
# Idempotent: a service whose port already answers is left alone, whoever
# started it, so a second run while everything is up only takes a moment.
# Everything this script creates lives under <repo>/.services/ (git-ignored).
#
# Usage (as root, from anywhere):
#   npm run services:up                          the service's and the tests' (npm test, CI)
#   bash scripts/services-up.sh --service-only   the service's only (npm start)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_NAME=services-up
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

SERVICE_ONLY=false
case "${1-}" in
  --service-only) SERVICE_ONLY=true ;;
  '') ;;
  *) die "unknown argument '$1' (usage: services-up.sh [--service-only])" ;;
esac

SERVICES_DIR="$REPO_ROOT/.services"
LOG_DIR="$SERVICES_DIR/logs"
BIN_DIR="$SERVICES_DIR/bin"

REDIS_PORT=6379
RABBITMQ_PORT=5672
MONGO_PORT=27017
# FerretDB's storage: a PostgreSQL cluster of our own, on a port of its own so it
# never meets a system cluster on 5432.
POSTGRES_PORT=54329
POSTGRES_USER=ferretdb
POSTGRES_DB=ferretdb
# FerretDB's metrics/pprof listener defaults to 8088; keep it off the ports the
# app and WireMock use.
FERRETDB_DEBUG_ADDR=127.0.0.1:8089
FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_BIN="$BIN_DIR/ferretdb"
PRODUCT_SERVICE_PORT=8081
USER_SERVICE_PORT=8082
PROMETHEUS_PORT=9090

# RabbitMQ keeps the Debian package's own locations: the wrapper script runs it
# as the `rabbitmq` user, which cannot write into a root-owned checkout.
RABBITMQ_LOG="/var/log/rabbitmq/rabbit@$(hostname -s).log"

# How long each service may take to answer after being started (seconds).
START_TIMEOUT=90

# The Debian packages install into sbin and Go lives in /usr/local/go, neither
# of which is always on the PATH of a non-login shell.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/go/bin"

declare -A STATUS=() # service name -> "started" / "already running"

# wait_until <service> <logfile> <command...>
# Polls <command> until it succeeds; fails loudly after START_TIMEOUT.
wait_until() {
  local name=$1 logfile=$2
  shift 2
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      [[ -f $logfile ]] && tail -n 20 "$logfile" >&2
      die "$name did not come up within ${START_TIMEOUT}s; see $logfile"
    fi
    sleep 0.5
  done
}

# Start a long-running program detached from this shell (own session, no
# stdin, output to a log) and record its pid.
# spawn <logfile> <pidfile> <command...>
spawn() {
  local logfile=$1 pidfile=$2
  shift 2
  # The subshell execs setsid, which execs the command in place: $! is the program's own pid.
  (
    close_inherited_fds
    exec setsid nohup "$@" >"$logfile" 2>&1 </dev/null
  ) &
  echo $! >"$pidfile"
}

# --- prerequisites ---------------------------------------------------------

# Debian packages for everything missing; `apt-get update` only if needed.
install_debian_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  postgres_bin >/dev/null || missing+=(postgresql)
  command -v java >/dev/null || missing+=(default-jre-headless) # for WireMock
  command -v curl >/dev/null || missing+=(curl)
  if [[ $SERVICE_ONLY == false ]]; then
    # Not a service: CI validates the compose file with `docker-compose config`.
    command -v docker-compose >/dev/null || missing+=(docker-compose)
    command -v prometheus >/dev/null || missing+=(prometheus) # with promtool, for the alert tests
    # Not a service: the conformance run installs schemathesis into a virtual environment.
    python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
    # Not a service: the browser tests (test/browser) drive it through playwright-core.
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  fi
  ((${#missing[@]} == 0)) && return 0

  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Directory of the newest installed PostgreSQL's programs (initdb, pg_ctl, …).
postgres_bin() {
  local dirs=(/usr/lib/postgresql/*/bin)
  [[ -x ${dirs[-1]}/pg_ctl ]] && echo "${dirs[-1]}"
}

# The WireMock jar comes from the `wiremock` npm devDependency.
wiremock_jar() {
  local jars=("$REPO_ROOT"/node_modules/wiremock/build/wiremock-standalone-*.jar)
  [[ -f ${jars[0]} ]] && echo "${jars[0]}"
}

ensure_node_modules() {
  wiremock_jar >/dev/null && return 0
  log "node_modules/wiremock missing: running npm ci"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund)
  wiremock_jar >/dev/null || die "npm ci did not provide node_modules/wiremock/build/wiremock-standalone-*.jar"
}

ferretdb_installed() {
  [[ -x $FERRETDB_BIN ]] || return 1
  local version
  version=$("$FERRETDB_BIN" --version 2>/dev/null) || return 1
  [[ $version == *"version: $FERRETDB_VERSION"* ]]
}

# Builds FerretDB into .services/bin unless the right version is already there.
#
# A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds,
# but the binary panics on start ("Invalid build/version/version.txt"): the
# module zip lacks the version.txt that FerretDB's release tooling generates.
# So build the same module source with that one file added. The module comes
# from the Go module cache (downloaded if needed) and compiled objects from the
# Go build cache, so only the first build on a machine takes minutes.
ensure_ferretdb() {
  ferretdb_installed && return 0
  command -v go >/dev/null || die "Go >= 1.24 is needed to build FerretDB; install it from https://go.dev/dl/"

  log "building FerretDB $FERRETDB_VERSION (the first build takes a few minutes)"
  local module_dir src
  module_dir=$(cd /tmp && go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $module_dir ]] || die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed"

  src=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $src now: it is local to this function
  trap "rm -rf '$src'" EXIT
  cp -R "$module_dir/." "$src"
  chmod -R u+w "$src" # module cache files are read-only
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  # -trimpath keeps build-cache hits independent of the temp dir's name;
  # -buildvcs=false because the temp copy is not a git checkout.
  (cd "$src" && GOBIN="$BIN_DIR" go install -trimpath -buildvcs=false ./cmd/ferretdb)
  rm -rf "$src"
  trap - EXIT

  ferretdb_installed || die "built $FERRETDB_BIN but it does not report version $FERRETDB_VERSION"
}

# --- services --------------------------------------------------------------

start_redis() {
  if port_open "$REDIS_PORT"; then
    STATUS[redis]="already running"
    return 0
  fi
  log "starting Redis"
  mkdir -p "$SERVICES_DIR/redis"
  # Throwaway test data: no RDB snapshots, no AOF. Never evicting, as BullMQ needs.
  (
    close_inherited_fds
    exec redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
      --save "" --appendonly no --maxmemory-policy noeviction \
      --dir "$SERVICES_DIR/redis" \
      --logfile "$LOG_DIR/redis.log" --pidfile "$SERVICES_DIR/redis.pid"
  )
  wait_until Redis "$LOG_DIR/redis.log" redis_ready
  STATUS[redis]=started
}

redis_ready() {
  [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

# scripts/redis-cluster.sh is idempotent and returns at once when the cluster is ok.
start_redis_cluster() {
  local output
  output=$(bash "$REPO_ROOT/scripts/redis-cluster.sh" start) || die "the Redis Cluster did not start: $output"
  if [[ $output == *"already running"* ]]; then
    STATUS[redis-cluster]="already running"
  else
    STATUS[redis-cluster]=started
  fi
}

start_rabbitmq() {
  if port_open "$RABBITMQ_PORT"; then
    STATUS[rabbitmq]="already running"
    return 0
  fi
  # The Erlang node may be up with the broker app stopped (`rabbitmqctl
  # stop_app`, used for outage tests); starting a second node would fail.
  if rabbitmqctl -q ping >/dev/null 2>&1; then
    log "RabbitMQ node is up but the broker is stopped: start_app"
    rabbitmqctl -q start_app
  else
    log "starting RabbitMQ"
    rabbitmq-server -detached >"$LOG_DIR/rabbitmq-start.log" 2>&1
  fi
  # await_startup errors out while the node is not reachable yet, so retry it.
  wait_until RabbitMQ "$RABBITMQ_LOG" rabbitmqctl -q await_startup --timeout 10
  wait_until RabbitMQ "$RABBITMQ_LOG" port_open "$RABBITMQ_PORT"
  STATUS[rabbitmq]=started
}

# The durable consumer queues compose declares too (scripts/rabbitmq-definitions.json), so
# events of the default `orders` exchange are kept from the first order. Importing merges:
# queues that exist keep their messages. The broker's CLI runs as the `rabbitmq` user, which
# may not read the checkout, so it gets a copy.
declare_rabbitmq_queues() {
  local copy
  copy=$(mktemp --suffix=.json)
  cp "$REPO_ROOT/scripts/rabbitmq-definitions.json" "$copy"
  chmod 644 "$copy"
  rabbitmqctl -q import_definitions "$copy" >/dev/null
  rm -f "$copy"
}

# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user
# the Debian package creates and lives beside the package's own clusters (like
# RabbitMQ's data, and for the same reason: `postgres` may not be able to reach a
# checkout under a private home directory). Trust authentication, loopback only:
# a development and test server.
POSTGRES_DATA_DIR="/var/lib/postgresql/order-service-$POSTGRES_PORT"

as_postgres() { runuser -u postgres -- "$@"; }

postgres_ready() {
  "$(postgres_bin)/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT"
}

start_postgres() {
  if port_open "$POSTGRES_PORT"; then
    STATUS[postgresql]="already running"
    # It may still be recovering after a crash: FerretDB needs it to take queries.
    wait_until PostgreSQL "$POSTGRES_DATA_DIR/server.log" postgres_ready
    return 0
  fi
  local bin data_dir="$POSTGRES_DATA_DIR"
  bin=$(postgres_bin) || die "PostgreSQL is not installed"
  if [[ ! -f $data_dir/PG_VERSION ]]; then
    log "creating the PostgreSQL cluster"
    mkdir -p "$data_dir"
    chown postgres:postgres "$data_dir"
    chmod 700 "$data_dir"
    as_postgres "$bin/initdb" -D "$data_dir" -U "$POSTGRES_USER" --auth=trust \
      --encoding=UTF8 --no-instructions >/dev/null
  fi
  log "starting PostgreSQL"
  # synchronous_commit=off: a commit returns before its WAL reaches the disk. A
  # crash of the machine may lose the last few hundred milliseconds of writes,
  # never consistency: right for test data, and it halves the write latency.
  as_postgres "$bin/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t "$START_TIMEOUT" \
    -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -c unix_socket_directories='' -c synchronous_commit=off" \
    start >/dev/null
  wait_until PostgreSQL "$data_dir/server.log" postgres_ready
  STATUS[postgresql]=started
}

ensure_postgres_database() {
  local psql
  psql=("$(postgres_bin)/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -qtA)
  [[ $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'") == 1 ]] ||
    "${psql[@]}" -c "CREATE DATABASE $POSTGRES_DB" >/dev/null
}

# Indexes FerretDB's own queries can use, and custom plans so they are used
# (scripts/ferretdb-indexes.sql, docs/adr/0009). Idempotent, so it runs on every
# start, before FerretDB opens its connections.
ensure_ferretdb_indexes() {
  "$(postgres_bin)/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -qtA -v ON_ERROR_STOP=1 -f "$REPO_ROOT/scripts/ferretdb-indexes.sql" >/dev/null
}

start_ferretdb() {
  ensure_postgres_database
  ensure_ferretdb_indexes
  if port_open "$MONGO_PORT"; then
    STATUS[ferretdb]="already running"
    return 0
  fi
  ensure_ferretdb
  log "starting FerretDB"
  local state_dir="$SERVICES_DIR/ferretdb"
  mkdir -p "$state_dir"
  # The PostgreSQL backend, not SQLite: FerretDB 1.x's SQLite backend indexes _id
  # under an expression its own queries do not use, so every lookup by _id scans
  # the collection (13 ms at 5,000 orders, growing with them); on PostgreSQL it
  # takes about 1 ms whatever the size (docs/adr/0004). No outside network here,
  # so no telemetry.
  spawn "$LOG_DIR/ferretdb.log" "$SERVICES_DIR/ferretdb.pid" \
    "$FERRETDB_BIN" \
    --handler=postgresql \
    --postgresql-url="postgres://$POSTGRES_USER@127.0.0.1:$POSTGRES_PORT/$POSTGRES_DB" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr="$FERRETDB_DEBUG_ADDR" \
    --telemetry=disable --state-dir="$state_dir"
  wait_until FerretDB "$LOG_DIR/ferretdb.log" port_open "$MONGO_PORT"
  STATUS[ferretdb]=started
}

wiremock_admin() { # wiremock_admin <port> <GET|POST> <path>
  curl -fsS --max-time 5 -X "$2" "http://127.0.0.1:$1/__admin/$3"
}

wiremock_ready() {
  wiremock_admin "$1" GET mappings >/dev/null 2>&1
}

# True when the stubs WireMock on <port> serves equal the files in <dir>/mappings
# (ignoring the ids WireMock assigns), i.e. nobody changed the files since it
# loaded them and no test left extra stubs behind.
wiremock_in_sync() {
  node --input-type=module - "$1" "$2/mappings" <<'EOF'
import fs from "node:fs";
import path from "node:path";
const [port, dir] = process.argv.slice(2);
const ignored = ["id", "uuid", "persistent", "insertionIndex"];
// Key order and WireMock-assigned ids must not count as differences.
const canon = (v) =>
  Array.isArray(v)
    ? v.map(canon)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .filter((k) => !ignored.includes(k))
            .map((k) => [k, canon(v[k])]),
        )
      : v;
const keys = (mappings) => mappings.map((m) => JSON.stringify(canon(m))).sort().join("\n");
const onDisk = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .flatMap((f) => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    return json.mappings ?? [json]; // a file may hold one stub or {"mappings": [...]}
  });
const res = await fetch(`http://127.0.0.1:${port}/__admin/mappings`);
const served = (await res.json()).mappings;
process.exit(keys(onDisk) === keys(served) ? 0 : 1);
EOF
}

# start_wiremock <name> <port>: serves wiremock/<name>/{mappings,__files}.
start_wiremock() {
  local name=$1 port=$2
  local root="$REPO_ROOT/wiremock/$name" logfile="$LOG_DIR/wiremock-$name.log"

  if wiremock_ready "$port"; then
    STATUS[$name]="already running"
    if ! wiremock_in_sync "$port" "$root"; then
      log "$name: served stubs differ from $root/mappings: reloading them"
      wiremock_admin "$port" POST mappings/reset >/dev/null
      wiremock_in_sync "$port" "$root" ||
        log "WARNING: $name on port $port still serves other stubs; was it started with another --root-dir?"
    fi
  elif port_open "$port"; then
    die "port $port is taken by something that is not WireMock (GET /__admin/mappings fails)"
  else
    log "starting WireMock $name"
    # --async-response-enabled: delayed stubs (family-box waits 60 s) are
    #   answered from a scheduler instead of holding a Jetty thread, so a few
    #   pending family-box calls cannot starve every other request.
    # --async-response-threads / --container-threads: headroom above the
    #   defaults (10 / 25) for bursts from the worker and load tests.
    # --max-request-journal-entries: keep the journal (tests may verify calls
    #   via /__admin/requests) but bound its memory during long runs.
    spawn "$logfile" "$SERVICES_DIR/wiremock-$name.pid" \
      java -Xmx256m -jar "$(wiremock_jar)" \
      --port "$port" --bind-address 127.0.0.1 --root-dir "$root" \
      --async-response-enabled true --async-response-threads 20 \
      --container-threads 50 \
      --max-request-journal-entries 1000 \
      --disable-banner
    wait_until "WireMock $name" "$logfile" wiremock_ready "$port"
    STATUS[$name]=started
  fi
  # Scenario state is global: start e.g. the user-service 500/200 alternation
  # from its first state (500) on every run.
  wiremock_admin "$port" POST scenarios/reset >/dev/null
}

prometheus_ready() {
  curl -fsS -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
}

# Scrapes the API and the worker of `npm start` (docs/monitoring/prometheus.local.yml) and
# evaluates the alert rules; its data is throwaway, under .services/.
start_prometheus() {
  if port_open "$PROMETHEUS_PORT"; then
    STATUS[prometheus]="already running"
    return 0
  fi
  log "starting Prometheus"
  mkdir -p "$SERVICES_DIR/prometheus"
  spawn "$LOG_DIR/prometheus.log" "$SERVICES_DIR/prometheus.pid" \
    prometheus --config.file="$REPO_ROOT/docs/monitoring/prometheus.local.yml" \
    --storage.tsdb.path="$SERVICES_DIR/prometheus" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  wait_until Prometheus "$LOG_DIR/prometheus.log" prometheus_ready
  STATUS[prometheus]=started
}

# One line per service this run looked after (--service-only skips the tests' ones).
print_summary() {
  local row name address
  for row in \
    "redis 127.0.0.1:$REDIS_PORT" \
    "redis-cluster 127.0.0.1:7001-7003" \
    "rabbitmq 127.0.0.1:$RABBITMQ_PORT" \
    "postgresql 127.0.0.1:$POSTGRES_PORT" \
    "ferretdb 127.0.0.1:$MONGO_PORT" \
    "product-service 127.0.0.1:$PRODUCT_SERVICE_PORT" \
    "user-service 127.0.0.1:$USER_SERVICE_PORT" \
    "prometheus 127.0.0.1:$PROMETHEUS_PORT"; do
    read -r name address <<<"$row"
    if [[ -n ${STATUS[$name]-} ]]; then
      printf '%-16s %-20s %s\n' "$name" "$address" "${STATUS[$name]}"
    fi
  done
}

main() {
  mkdir -p "$LOG_DIR" "$BIN_DIR"
  install_debian_packages
  ensure_node_modules
  start_redis
  [[ $SERVICE_ONLY == true ]] || start_redis_cluster
  start_rabbitmq
  declare_rabbitmq_queues
  start_postgres
  start_ferretdb
  start_wiremock product-service "$PRODUCT_SERVICE_PORT"
  start_wiremock user-service "$USER_SERVICE_PORT"
  [[ $SERVICE_ONLY == true ]] || start_prometheus
  print_summary
}

main "$@"
