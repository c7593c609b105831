#!/usr/bin/env bash
# The benchmark command (separate from the test command): installs and builds what is
# missing, runs every benchmark there is, one after another on loopback, and prints one
# table of their RESULT lines — each figure with a reference measured in the same run
# and the ratio — with the date and the machine. The same table, as markdown for the
# README, goes to e2e/bench/results.md.
#
#   scripts/bench.sh            # all of them
#   scripts/bench.sh ingest     # only those whose name contains one of the arguments
#                               # (e2e/bench/results.md is then left as it was)
#
# Benchmarks (each bounded in time, stopping by itself; a missing one is skipped with a
# note): ingest (ours vs a bare JS worker, wrk), worker upload size, widget sizes,
# widget speed, report latency, alert (webhook) latency, and any other e2e/bench/*.sh.
# Ports: BENCH_PORT (default 8895) and BENCH_PORT+1. Exit status: 1 only if a
# benchmark was broken (it could not measure), never because a number was slow.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

export BENCH_PORT="${BENCH_PORT:-8895}"
per_bench_timeout="${BENCH_TIMEOUT:-900}"

bash "$ROOT/scripts/setup.sh"
if [ ! -f worker/build/index.js ] || [ ! -f worker/build/worker/shim.mjs ] \
  || [ ! -d worker/public/widget ] || [ "${BENCH_REBUILD:-}" = 1 ]; then
  bash "$ROOT/scripts/build.sh"
fi

# Other load on the machine moves every figure: the table says how much there was.
BENCH_LOAD_START="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
export BENCH_LOAD_START
work="$(mktemp -d -t nps-bench-all-XXXXXX)"
trap 'rm -rf "$work"' EXIT
: >"$work/results.tsv"
: >"$work/status.tsv"

# name | the script it needs | the command
benches=(
  "ingest|e2e/bench/ingest.sh|bash e2e/bench/ingest.sh"
  "upload size|e2e/bench/upload-size.sh|bash e2e/bench/upload-size.sh"
  "widget size|scripts/sizes.sh|bash scripts/sizes.sh"
  "widget speed|e2e/bench/widget-speed.sh|bash e2e/bench/widget-speed.sh"
  "report|e2e/bench/report.sh|bash e2e/bench/report.sh"
  "alert latency|e2e/bench/run.sh|bash e2e/bench/run.sh --count 100 --rate 5"
  "alert latency under load|e2e/bench/run.sh|bash e2e/bench/run.sh --count 200"
)
# The widget speed benchmark may come as a Node script only: give it a worker.
if [ ! -f e2e/bench/widget-speed.sh ] && [ -f e2e/bench/widget-speed.mjs ]; then
  benches[3]="widget speed|e2e/bench/widget-speed.mjs|bash e2e/bench/with-worker.sh node e2e/bench/widget-speed.mjs"
fi
# Any other shell benchmark in e2e/bench is run too.
for f in e2e/bench/*.sh; do
  case "$f" in e2e/bench/lib.sh | e2e/bench/with-worker.sh) continue ;; esac
  printf '%s\n' "${benches[@]}" | grep -q "|$f|" || benches+=("$(basename "$f" .sh)|$f|bash $f")
done

wanted() {
  [ "$#" -eq 1 ] && return 0
  local name="$1" arg
  shift
  for arg in "$@"; do [[ "$name" == *"$arg"* ]] && return 0; done
  return 1
}

broken=0
for entry in "${benches[@]}"; do
  IFS='|' read -r name script command <<<"$entry"
  wanted "$name" "$@" || continue
  if [ ! -f "$script" ]; then
    say "$name: skipped ($script is not there yet)"
    printf '%s\tskipped\t%s is not there yet\n' "$name" "$script" >>"$work/status.tsv"
    continue
  fi
  say "$name: $command"
  log="$work/$(tr ' /' '__' <<<"$name").log"
  status=0
  # shellcheck disable=SC2086 # the command is split into its words on purpose
  timeout --kill-after=30 "$per_bench_timeout" $command 2>&1 | tee "$log" || status=$?
  found="$(grep -c '^RESULT {' "$log" || true)"
  grep '^RESULT {' "$log" | sed "s/^RESULT /$name\t/" >>"$work/results.tsv" || true
  if [ "$status" = 0 ] && [ "$found" -gt 0 ]; then
    printf '%s\tok\t\n' "$name" >>"$work/status.tsv"
  else
    broken=1
    printf '%s\tbroken\texit %s, %s RESULT lines; its figures are left out if it exited non-zero\n' \
      "$name" "$status" "$found" >>"$work/status.tsv"
    # A broken run's figures are not to be trusted.
    if [ "$status" != 0 ]; then
      awk -F'\t' -v n="$name" '$1 != n' "$work/results.tsv" >"$work/keep.tsv"
      mv "$work/keep.tsv" "$work/results.tsv"
    fi
  fi
done

# Only a full run replaces the table the README quotes.
markdown="$ROOT/e2e/bench/results.md"
[ "$#" -eq 0 ] || markdown="-"
node e2e/bench/table.mjs "$work/results.tsv" "$work/status.tsv" "$markdown" || broken=1
exit "$broken"
