#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine.
#
# Uses the Debian package `docker-compose` (`docker-compose config -q` parses,
# interpolates and schema-checks the file; it does not contact an engine) and
# installs it with apt-get when it is missing. When the Compose v2 plugin
# (`docker compose`) is also available, the file is checked with it too.
#
# Usage: bash scripts/check-compose.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPOSE_FILE="$ROOT/docker-compose.yml"

fail() {
  echo "check-compose: $*" >&2
  exit 1
}

[[ -f "$COMPOSE_FILE" ]] || fail "docker-compose.yml not found in $ROOT"
[[ -f "$ROOT/Dockerfile" ]] || fail "Dockerfile (build context of api/worker) not found in $ROOT"

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "check-compose: docker-compose not found; installing the Debian package..." >&2
  SUDO=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "docker-compose is missing and installing it needs root (or sudo)"
    SUDO=(sudo)
  fi
  "${SUDO[@]}" apt-get update -qq \
    || fail "apt-get update failed; cannot install docker-compose"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends docker-compose >/dev/null \
    || fail "apt-get install docker-compose failed"
  command -v docker-compose >/dev/null 2>&1 || fail "docker-compose still not on PATH after install"
fi

# The credentials compose requires from `.env`: stand-ins, so the file can be checked here.
export RABBITMQ_USER="${RABBITMQ_USER:-check}" RABBITMQ_PASS="${RABBITMQ_PASS:-check}"
export GRAFANA_ADMIN_USER="${GRAFANA_ADMIN_USER:-check}" GRAFANA_ADMIN_PASSWORD="${GRAFANA_ADMIN_PASSWORD:-check}"

# Run one validator; on failure show its output and stop with a clear message.
check() {
  local label="$1"
  shift
  local out
  if ! out="$(cd "$ROOT" && "$@" 2>&1)"; then
    echo "$out" >&2
    fail "docker-compose.yml is INVALID according to $label"
  fi
  # Warnings (e.g. unknown keys tolerated, unset variables) are worth seeing.
  [[ -z "$out" ]] || echo "$out" >&2
  echo "check-compose: docker-compose.yml is valid ($label)"
}

check "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')" \
  docker-compose --project-directory "$ROOT" -f "$COMPOSE_FILE" config -q

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  check "$(docker compose version --short 2>/dev/null | sed 's/^/docker compose /')" \
    docker compose --project-directory "$ROOT" -f "$COMPOSE_FILE" config -q
fi
