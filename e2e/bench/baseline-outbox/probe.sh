#!/usr/bin/env bash
# Probe (not a test, not part of bench.sh): can one request carry other requests'
# answers to the Gate? Starts e2e/bench/baseline-outbox/ under `wrangler dev` (port
# BENCH_PORT, default 8899), sends 8 answers at once, prints each status and what the
# runtime logged. On workerd the leader gets 201 and the carried ones 500, logged as
# "canceled this request because it detected that your Worker's code had hung" — why
# every answer costs at least one subrequest of its own (docs/scale.md §2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib.sh"
source "$ROOT/e2e/bench/lib.sh"
port="${BENCH_PORT:-8899}"
trap bench_cleanup EXIT
bench_start_worker "$ROOT/e2e/bench/baseline-outbox" "$port" "$ROOT/worker/seed/demo.sql"
pids=()
for i in $(seq 1 8); do
  curl -s -o /dev/null -w "answer $i: %{http_code}\n" -X POST -H 'content-type: application/json' \
    -H "idempotency-key: probe-$i" -d '{"survey_id":"s_demo","score":3}' \
    "http://127.0.0.1:$port/v1/responses" &
  pids+=($!)
done
wait "${pids[@]}"
sleep 1
echo "what the runtime logged:"
grep -o "canceled this request[^.]*" "$BENCH_WORKER_LOG" | sort | uniq -c || echo "  (no cancellation)"
