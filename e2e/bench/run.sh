#!/usr/bin/env bash
# Benchmarks detractor-to-webhook latency: a fresh local D1/KV/Queue state, the real
# worker under `wrangler dev` on its own port, then e2e/bench/webhook-latency.mjs.
# Arguments go to the benchmark (e.g. `--count 300 --concurrency 4`). With
# `widget-speed` as the first argument it runs e2e/bench/widget-speed.mjs instead
# (`bash e2e/bench/run.sh widget-speed --runs 30`). Expects
# scripts/build.sh to have run; builds nothing itself. A benchmark, not a test: it
# exits 1 only when the run was broken (see e2e/bench/README.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT/worker"

bench=webhook-latency
if [ "${1:-}" = widget-speed ]; then bench=widget-speed; shift; fi

if [ ! -f build/index.js ] || [ ! -f build/worker/shim.mjs ]; then
  echo "worker/build is missing: run scripts/build.sh first" >&2
  exit 1
fi

port="${BENCH_PORT:-8795}"
if curl -sf --max-time 2 "http://localhost:$port/healthz" >/dev/null 2>&1; then
  echo "something already answers on port $port; set BENCH_PORT to a free port" >&2
  exit 1
fi
state="$(mktemp -d -t nps-bench-XXXXXX)"
token="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$state/wrangler.log"
cleanup() {
  # BENCH_LOG=<file> keeps the wrangler dev log (queue batch sizes and durations).
  if [ -n "${BENCH_LOG:-}" ] && [ -f "$log" ]; then cp "$log" "$BENCH_LOG" || true; fi
  # wrangler runs in its own process group (setsid): stop it and its workerd together.
  if [ -n "${wrangler_pid:-}" ]; then
    kill -- "-$wrangler_pid" 2>/dev/null || true
    wait "$wrangler_pid" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wrangler d1 migrations apply DB --local --persist-to "$state" >/dev/null
wrangler d1 execute DB --local --persist-to "$state" --file seed/demo.sql >/dev/null

# The same short retry schedule as the e2e tests, so a failed attempt shows up within
# the run (as a late receipt or a duplicate) instead of hours later.
setsid wrangler dev --port "$port" --ip 127.0.0.1 --persist-to "$state" \
  --var "ADMIN_TOKEN:$token" --var "WEBHOOK_RETRY_SCHEDULE:1,1,1,1" \
  --var "ALLOW_PRIVATE_WEBHOOK_TARGETS:true" \
  --show-interactive-dev-session=false >"$log" 2>&1 &
wrangler_pid=$!
for _ in $(seq 1 120); do
  curl -sf --max-time 2 "http://localhost:$port/healthz" >/dev/null && break
  kill -0 "$wrangler_pid" 2>/dev/null || { cat "$log"; echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf --max-time 2 "http://localhost:$port/healthz" >/dev/null \
  || { cat "$log"; echo "wrangler dev did not start" >&2; exit 1; }

cd "$ROOT"
status=0
NPS_BASE_URL="http://localhost:$port" NPS_ADMIN_TOKEN="$token" \
  node "e2e/bench/$bench.mjs" "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- wrangler dev log (last 80 lines) ---"
  tail -n 80 "$log"
fi
exit "$status"
