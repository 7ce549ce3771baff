#!/usr/bin/env bash
# Spec conformance: schemathesis (from PyPI, in a virtual environment under .services/)
# against the built API, running on its own database and queue, for a bounded time.
# Every check runs except positive_data_acceptance (a cursor or id the schema allows is not
# necessarily one the API gave out). The request timeout and the response time limit are
# above the longest long-poll (30 s). One worker: hypothesis is not thread-safe on Python 3.11
# (a run with two once died inside it).
#
# Usage: npm run test:conformance   (after npm run build, with the services up)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.services/schemathesis"
SCHEMATHESIS_VERSION=4.32.5
MAX_TIME_SECONDS=${CONFORMANCE_SECONDS:-60}

log() { printf '[conformance] %s\n' "$*"; }

if [[ "$("$VENV/bin/st" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT=$(free_port)
OPS_PORT=$(free_port)
RUN_ID="conformance_$$"
LOG_FILE="$REPO_ROOT/.services/logs/conformance-api.log"
mkdir -p "$(dirname "$LOG_FILE")"

PORT=$PORT OPS_PORT=$OPS_PORT MONGO_DB="$RUN_ID" QUEUE_NAME="$RUN_ID" ORDERS_EXCHANGE="$RUN_ID" \
  node --max-old-space-size=160 "$REPO_ROOT/dist/api/main.js" >"$LOG_FILE" 2>&1 &
API_PID=$!
cleanup() {
  kill "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
  # The run's own data: its database and its queue's keys.
  node -e "
    const { MongoClient } = require('mongodb');
    const client = new MongoClient(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
    client.db('$RUN_ID').dropDatabase().finally(() => client.close());
  " >/dev/null 2>&1 || true
  redis-cli --scan --pattern "bull:$RUN_ID:*" 2>/dev/null | xargs -r redis-cli del >/dev/null 2>&1 || true
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/live" 2>/dev/null && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$LOG_FILE" >&2; exit 1; }
  sleep 0.2
done

log "schemathesis against http://127.0.0.1:$PORT for at most ${MAX_TIME_SECONDS}s"
# From .services/, where schemathesis keeps its cache, not in the checkout.
cd "$REPO_ROOT/.services"
"$VENV/bin/st" run "http://127.0.0.1:$PORT/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --request-timeout 40 --max-response-time 40 --max-time "$MAX_TIME_SECONDS" --workers 1
