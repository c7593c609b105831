#!/usr/bin/env bash
# Runs a command (a benchmark that is only a Node script) against a worker of its own:
# `wrangler dev` on BENCH_PORT (default 8895) with a fresh local state (migrations and
# the demo seed), the e2e retry schedule and private webhook targets allowed; the
# command gets NPS_BASE_URL and NPS_ADMIN_TOKEN. The worker stops when it ends.
#   e2e/bench/with-worker.sh node e2e/bench/widget-speed.mjs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
source "$ROOT/e2e/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
port="${BENCH_PORT:-8895}"
token="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
bench_start_worker "$ROOT/worker" "$port" seed/demo.sql --var "ADMIN_TOKEN:$token" \
  --var "WEBHOOK_RETRY_SCHEDULE:1,1,1,1" --var "ALLOW_PRIVATE_WEBHOOK_TARGETS:true"
cd "$ROOT"
NPS_BASE_URL="http://127.0.0.1:$port" NPS_ADMIN_TOKEN="$token" "$@"
