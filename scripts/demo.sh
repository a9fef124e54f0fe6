#!/usr/bin/env bash
# One command from a fresh clone to a finished run: installs, finds (or starts) Redis and
# PostgreSQL, generates the seeded sample, and runs the whole pipeline on it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The demo keeps to a database and key prefix of its own on whatever servers DATABASE_URL and
# REDIS_URL name, so it never mixes with other data, even when those variables are set.
server=${DATABASE_URL:-postgres://127.0.0.1:5432/overpay}
server=${server%%\?*}
export DATABASE_URL=${server%/*}/overpay_demo
export OVERPAY_REDIS_PREFIX=overpay-demo
export METRICS_PORT=${METRICS_PORT:-0}
export LOG_LEVEL=${LOG_LEVEL:-warn}

step() { printf '\n== %s\n' "$*"; }

if [[ ! -d node_modules || ! -f dist/src/cli.js ]]; then
  step 'npm ci (installs and builds)'
  npm ci --no-audit --no-fund
fi

step 'Redis and PostgreSQL'
eval "$(scripts/services.sh demo)"

step 'overpay migrate'
npx overpay migrate

step 'overpay sample generate (seed 42)'
npx overpay sample generate --seed 42 --out .demo/sample

step 'overpay campaigns load'
npx overpay campaigns load .demo/sample/campaigns.json

step 'overpay ingest'
npx overpay ingest .demo/sample/events.csv --format csv

step 'overpay worker --until-idle'
npx overpay worker --until-idle

step 'overpay report summary'
npx overpay report summary

printf '\nRe-running the demo is harmless: the same events are recognised and counted once.\n'
