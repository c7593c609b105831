#!/usr/bin/env bash
# Burst benchmark: 20,000 answers at concurrency 100 against our worker and the bare
# JavaScript worker (e2e/bench/baseline/), both under `wrangler dev` on a fresh local
# state, then checks that every accepted answer is stored once and every detractor
# alerted (e2e/bench/burst.mjs; its options pass through, e.g. `--count 2000`).
# Ports: BENCH_PORT (ours, default 8895) and BENCH_PORT+1. Expects scripts/build.sh to
# have run. Exit 1 only when the run was broken or a promise was not kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
source "$ROOT/e2e/bench/lib.sh"

if [ ! -f "$ROOT/worker/build/index.js" ] || [ ! -f "$ROOT/worker/build/worker/shim.mjs" ]; then
  echo "worker/build is missing: run scripts/build.sh first" >&2
  exit 1
fi
port="${BENCH_PORT:-8895}"
token="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_start_worker "$ROOT/worker" "$port" seed/demo.sql --var "ADMIN_TOKEN:$token" \
  --var "WEBHOOK_RETRY_SCHEDULE:1,1,1,1" --var "ALLOW_PRIVATE_WEBHOOK_TARGETS:true"
bench_start_worker "$ROOT/e2e/bench/baseline" "$((port + 1))" "$ROOT/worker/seed/demo.sql"
cd "$ROOT"
NPS_BASE_URL="http://127.0.0.1:$port" NPS_ADMIN_TOKEN="$token" BARE_URL="http://127.0.0.1:$((port + 1))" \
  node e2e/bench/burst.mjs "$@"
