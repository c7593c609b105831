# Shared by the benchmark scripts (sourced, not run): start a worker under
# `wrangler dev` on a fresh local state, wait for it, and stop it again with its
# process group. Expects scripts/lib.sh to be sourced first.

bench_pids=()
bench_dirs=()
# Stops every worker started here (its whole process group: wrangler and workerd) and
# removes the temporary states.
bench_cleanup() {
  local pid dir
  for pid in "${bench_pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for dir in "${bench_dirs[@]}"; do rm -rf "$dir"; done
  bench_pids=() bench_dirs=()
}

# bench_start_worker <config dir> <port> <seed.sql> [wrangler dev args...]
# Applies the D1 migrations and the seed to a fresh state, starts `wrangler dev` in its
# own process group and waits for /healthz. Sets BENCH_WORKER_PID (also the process
# group id), BENCH_WORKER_STATE and BENCH_WORKER_LOG. Returns 1 if it does not start.
bench_start_worker() {
  local dir="$1" port="$2" seed="$3"
  shift 3
  if curl -sf --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    echo "something already answers on port $port; choose another port" >&2
    return 1
  fi
  BENCH_WORKER_STATE="$(mktemp -d -t nps-bench-XXXXXX)"
  bench_dirs+=("$BENCH_WORKER_STATE")
  BENCH_WORKER_LOG="$BENCH_WORKER_STATE/wrangler.log"
  (
    cd "$dir"
    wrangler d1 migrations apply DB --local --persist-to "$BENCH_WORKER_STATE" >/dev/null
    wrangler d1 execute DB --local --persist-to "$BENCH_WORKER_STATE" --file "$seed" >/dev/null
  ) || return 1
  # A free inspector port of its own, so that two workers can run side by side.
  local inspector=$((port + 1000))
  (cd "$dir" && exec setsid wrangler dev --port "$port" --ip 127.0.0.1 \
    --persist-to "$BENCH_WORKER_STATE" --inspector-port "$inspector" \
    --show-interactive-dev-session=false "$@" >"$BENCH_WORKER_LOG" 2>&1) &
  BENCH_WORKER_PID=$!
  bench_pids+=("$BENCH_WORKER_PID")
  local _
  for _ in $(seq 1 120); do
    curl -sf --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$BENCH_WORKER_PID" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 40 "$BENCH_WORKER_LOG" >&2
  echo "wrangler dev in $dir did not start on port $port" >&2
  return 1
}
