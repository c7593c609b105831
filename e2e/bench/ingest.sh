#!/usr/bin/env bash
# Ingest benchmark: POST /v1/responses on our worker against a bare JavaScript worker
# (e2e/bench/baseline/) doing only the same D1 INSERT, both under `wrangler dev` on a
# fresh local state, loaded in turn by wrk on loopback (e2e/bench/ingest.mjs; its
# options pass through, e.g. `--duration 20 --connections 32`). Ours runs twice: as
# configured, and "alone" — the same build from a copy of wrangler.toml without
# `[assets]`, because wrangler dev puts a static-assets router (an invocation of its
# own) in front of a worker with assets, which on Cloudflare costs the worker nothing.
# A third reference, e2e/bench/baseline-gate/, is the bare worker's INSERT behind a
# Durable Object that writes groups: our design with nothing else in it, in JavaScript.
# Ports: BENCH_PORT (ours, default 8895), BENCH_PORT+1 (the bare worker),
# BENCH_PORT+2 (ours alone) and BENCH_PORT+3 (the bare gate). Expects scripts/build.sh to
# have run. Exit 1 only when the run was broken, never because the numbers are slow.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
source "$ROOT/e2e/bench/lib.sh"

if [ ! -f "$ROOT/worker/build/index.js" ] || [ ! -f "$ROOT/worker/build/worker/shim.mjs" ]; then
  echo "worker/build is missing: run scripts/build.sh first" >&2
  exit 1
fi
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing wrk (Debian)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is not installed (apt-get install wrk)" >&2
    exit 1
  fi
fi

port="${BENCH_PORT:-8895}"
bare_port="$((port + 1))"
token="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_start_worker "$ROOT/worker" "$port" seed/demo.sql --var "ADMIN_TOKEN:$token"
ours_pgid="$BENCH_WORKER_PID"
bench_start_worker "$ROOT/e2e/bench/baseline" "$bare_port" "$ROOT/worker/seed/demo.sql"
bare_pgid="$BENCH_WORKER_PID"
alone_port="$((port + 2))"
alone_dir="$(mktemp -d -t nps-bench-alone-XXXXXX)"
bench_dirs+=("$alone_dir")
# worker/wrangler.toml without its [assets] table, its relative paths made absolute.
awk -v root="$ROOT/worker" '
  /^\[/ { skip = ($0 == "[assets]") }
  skip { next }
  /^main = / { print "main = \"" root "/build/worker/shim.mjs\""; next }
  /^migrations_dir = / { print "migrations_dir = \"" root "/migrations\""; next }
  { print }
' "$ROOT/worker/wrangler.toml" >"$alone_dir/wrangler.toml"
bench_start_worker "$alone_dir" "$alone_port" "$ROOT/worker/seed/demo.sql" --var "ADMIN_TOKEN:$token"
alone_pgid="$BENCH_WORKER_PID"
gate_port="$((port + 3))"
bench_start_worker "$ROOT/e2e/bench/baseline-gate" "$gate_port" "$ROOT/worker/seed/demo.sql"
gate_pgid="$BENCH_WORKER_PID"

cd "$ROOT"
NPS_BASE_URL="http://127.0.0.1:$port" NPS_ADMIN_TOKEN="$token" BARE_URL="http://127.0.0.1:$bare_port" \
  OURS_PGID="$ours_pgid" BARE_PGID="$bare_pgid" \
  ALONE_URL="http://127.0.0.1:$alone_port" ALONE_PGID="$alone_pgid" \
  GATE_URL="http://127.0.0.1:$gate_port" GATE_PGID="$gate_pgid" node e2e/bench/ingest.mjs "$@"
