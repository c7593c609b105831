#!/usr/bin/env bash
# Benchmarks GET /v1/surveys/{id}/report at growing answer counts: the rollups (the
# default) against the naive scan (`?source=scan`, every answer in range, the report
# as it was built before rollups). For each count: a fresh local D1 (migrations), N
# synthetic answers with their rollups from nps-seed loaded straight into its SQLite
# file, the real worker under `wrangler dev` on BENCH_PORT, then the median of several
# timed requests per source. A benchmark, not a test: it never fails on slow numbers,
# only when the run is broken (see e2e/bench/README.md).
#
#   bash e2e/bench/report.sh                 # 10k 100k 1M
#   BENCH_COUNTS="10000 100000" bash e2e/bench/report.sh
#   BENCH_RUNS=7 BENCH_WARMUP=10 BENCH_SCAN_TIMEOUT=300 BENCH_PORT=8892 bash e2e/bench/report.sh
#
# Expects scripts/build.sh to have run (worker/build); builds nps-seed itself.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT/worker"

if [ ! -f build/index.js ] || [ ! -f build/worker/shim.mjs ]; then
  echo "worker/build is missing: run scripts/build.sh first" >&2
  exit 1
fi
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }

port="${BENCH_PORT:-8892}"
counts="${BENCH_COUNTS:-10000 100000 1000000}"
runs="${BENCH_RUNS:-5}"
warmup="${BENCH_WARMUP:-10}"
scan_timeout="${BENCH_SCAN_TIMEOUT:-300}"
# The report a dashboard asks for: a year by week in CET, grouped by store.
query="${BENCH_QUERY:-interval=week&utc_offset_minutes=60&group_by=store}"
survey=s_bench
if curl -sf --max-time 2 "http://localhost:$port/healthz" >/dev/null 2>&1; then
  echo "something already answers on port $port; set BENCH_PORT to a free port" >&2
  exit 1
fi

say "building nps-seed"
cargo build --quiet --release -p nps-seed --manifest-path "$ROOT/Cargo.toml"
seed_bin="$CARGO_TARGET_DIR/release/nps-seed"

work="$(mktemp -d -t nps-bench-report-XXXXXX)"
token="bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
stop_wrangler() {
  if [ -n "${wrangler_pid:-}" ]; then
    kill -- "-$wrangler_pid" 2>/dev/null || true
    wait "$wrangler_pid" 2>/dev/null || true
    wrangler_pid=""
  fi
}
cleanup() { stop_wrangler; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Milliseconds of one request, or "fail" (HTTP error, timeout).
time_once() {
  local url="$1" max="$2" out
  out="$(curl -s -o "$work/body.json" -w '%{http_code} %{time_total}' --max-time "$max" \
    -H "authorization: Bearer $token" "$url" || true)"
  if [ "${out%% *}" = "200" ]; then
    awk -v t="${out#* }" 'BEGIN { printf "%.1f", t * 1000 }'
  else
    echo fail
  fi
}

# Median of the runs, "fail" if any failed.
median() {
  if printf '%s\n' "$@" | grep -q fail; then echo fail; return; fi
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

results=()
for n in $counts; do
  state="$work/state-$n"
  mkdir -p "$state"
  wrangler d1 migrations apply DB --local --persist-to "$state" >/dev/null
  db="$(find "$state" -path '*D1DatabaseObject*' -name '*.sqlite' ! -name metadata.sqlite | head -n 1)"
  [ -n "$db" ] || { echo "no local D1 file under $state" >&2; exit 1; }
  load_start=$(date +%s.%N)
  # Rollback journal instead of the WAL wrangler left, no fsync: a bulk load into a
  # throwaway state, about twice as fast; workerd reopens it as usual.
  { printf 'PRAGMA journal_mode=DELETE;\nPRAGMA synchronous=OFF;\n'
    "$seed_bin" --answers "$n" --seed 42 --survey "$survey"; } | sqlite3 -bail "$db" >/dev/null
  load_s=$(awk -v a="$load_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  stored=$(sqlite3 "$db" "SELECT count(*) FROM responses WHERE survey_id = '$survey'")
  say "$n answers: seeded and loaded in ${load_s}s ($(du -h "$db" | cut -f1) on disk, $stored rows)"

  setsid wrangler dev --port "$port" --ip 127.0.0.1 --persist-to "$state" \
    --var "ADMIN_TOKEN:$token" --show-interactive-dev-session=false >"$work/wrangler-$n.log" 2>&1 &
  wrangler_pid=$!
  for _ in $(seq 1 120); do
    curl -sf --max-time 2 "http://localhost:$port/healthz" >/dev/null && break
    kill -0 "$wrangler_pid" 2>/dev/null || { cat "$work/wrangler-$n.log"; echo "wrangler dev exited" >&2; exit 1; }
    sleep 0.5
  done
  base="http://localhost:$port/v1/surveys/$survey/report?$query"

  # Untimed requests first (the worker's first start, SQLite's page cache, and the
  # hot wasm functions, which V8 compiles with its optimizing tier only after a few
  # calls: the first requests of a fresh isolate take several times the steady
  # figure), and a check that both sources agree on every counted section.
  for _ in $(seq 1 "$warmup"); do time_once "$base" 120 >/dev/null; done
  cp "$work/body.json" "$work/rollups.json"
  first_scan=$(time_once "$base&source=scan" "$scan_timeout")
  if [ "$first_scan" != fail ]; then
    node -e '
      const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
      for (const k of ["overall", "distribution", "trend", "groups", "flagged_excluded"]) {
        if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) { console.error(`rollups and scan differ in ${k}`); process.exit(1); }
      }' "$work/rollups.json" "$work/body.json"
  fi

  rollup_times=()
  for _ in $(seq 1 "$runs"); do rollup_times+=("$(time_once "$base" 120)"); done
  scan_times=()
  if [ "$first_scan" = fail ]; then
    scan_times=(fail)
  else
    for _ in $(seq 1 "$runs"); do
      t=$(time_once "$base&source=scan" "$scan_timeout")
      scan_times+=("$t")
      [ "$t" = fail ] && break
    done
  fi
  r=$(median "${rollup_times[@]}")
  s=$(median "${scan_times[@]}")
  sample=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.sample ? `${r.sample.answers}/${r.sample.of}` : "all")' "$work/rollups.json")
  say "$n answers: rollups ${rollup_times[*]} ms; scan ${scan_times[*]} ms"
  results+=("$n|$load_s|$r|$s|$sample")
  stop_wrangler
  rm -rf "$state"
done

echo
echo "GET /v1/surveys/$survey/report?$query — median of $runs requests ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"
printf '| %-9s | %-9s | %-14s | %-14s | %-16s |\n' answers "load (s)" "rollups (ms)" "scan (ms)" "sampled sections"
printf '|%s|%s|%s|%s|%s|\n' ----------- ----------- ---------------- ---------------- ------------------
for row in "${results[@]}"; do
  IFS='|' read -r n load r s sample <<<"$row"
  printf '| %-9s | %-9s | %-14s | %-14s | %-16s |\n' "$n" "$load" "$r" "$s" "$sample"
done
echo
label() { awk -v n="$1" 'BEGIN { if (n >= 1000000) printf "%gM", n / 1000000; else if (n >= 1000) printf "%gk", n / 1000; else print n }'; }
for row in "${results[@]}"; do
  IFS='|' read -r n _ r s _ <<<"$row"
  [ "$r" = fail ] && continue
  ref=$([ "$s" = fail ] && echo null || echo "$s")
  echo "RESULT {\"metric\": \"report p50 at $(label "$n") (rollups)\", \"value\": $r, \"unit\": \"ms\", \"reference\": $ref, \"reference_label\": \"naive scan\"}"
done
