#!/usr/bin/env bash
# Builds the widget, the dashboard and the worker, optimised for size. Two layouts:
#
#   scripts/build.sh         in place, for `wrangler dev` in worker/ (the run command):
#                            worker/build, worker/public/widget, worker/public/dashboard
#   scripts/build.sh DIR     a worker of its own in DIR, for the test command (e2e/build):
#                            DIR/wrangler.toml, migrations/, seed/, public/ (worker/public's
#                            own files + widget/ + dashboard/), build/ (the worker) and
#                            bin/nps-seed (what e2e tests that need old answers seed with)
#
# The test command builds into its own DIR, so a `wrangler dev` serving worker/ (the run
# command) is never touched by a test run. In place, every output is written beside its
# final name and renamed onto it, so a running `wrangler dev` that reloads on a change
# never reads half of a file. Run scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ $# -gt 1 ]; then
  echo "usage: $0 [DIR]" >&2
  exit 2
fi

if [ $# -eq 1 ]; then
  mkdir -p "$1"
  worker_dir="$(cd "$1" && pwd)"
  say "staging a worker of its own in $worker_dir"
  # Everything wrangler reads, beside the build: the config's relative paths (main,
  # migrations_dir, assets) then resolve inside DIR. Not .dev.vars: the tests pass
  # their own variables.
  rm -rf "$worker_dir/migrations" "$worker_dir/seed" "$worker_dir/public"
  cp "$ROOT/worker/wrangler.toml" "$worker_dir/wrangler.toml"
  cp -R "$ROOT/worker/migrations" "$ROOT/worker/seed" "$worker_dir/"
  mkdir -p "$worker_dir/public"
  # worker/public's own files; not the widget and dashboard an in-place build left there.
  find "$ROOT/worker/public" -mindepth 1 -maxdepth 1 ! -name widget ! -name dashboard \
    -exec cp -R {} "$worker_dir/public/" \;
else
  worker_dir="$ROOT/worker"
fi

say "building the widget"
bash "$ROOT/widget/build.sh" "$worker_dir/public/widget"

say "building the dashboard"
bash "$ROOT/dashboard/build.sh" "$worker_dir/public/dashboard"

say "building the worker"
# worker-build stages its output and moves it into --out-dir when done. The worker is
# optimised for speed, not size (the widget and dashboard keep the profile's "z"): a
# report at 1 M answers spends about half its time in the worker's own code (themes,
# serde), which opt-level 3 halves, for a wasm of 2.87 MB (1.10 MB gzip -9) instead of
# 2.26 MB (0.88 MB) at "z", measured 2026-12-03. It takes a few more requests after a
# cold start before V8 has tiered its code up.
(cd "$ROOT/worker" && CARGO_PROFILE_RELEASE_OPT_LEVEL=3 worker-build --release --out-dir "$worker_dir/build")
wasm="$worker_dir/build/index_bg.wasm"
# worker-build keeps the name section (158 KB of function names); drop it and
# other debug sections from what is deployed. The features are worker-build's own:
# --all-features would rewrite the imports in the compact-import encoding (a proposal
# that Node's V8 cannot read) and declare every feature in target_features.
wasm-opt --strip-debug --strip-producers --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue \
  --enable-reference-types --enable-exception-handling "$wasm" -o "$wasm.next"
mv -f "$wasm.next" "$wasm"
printf 'worker wasm: %s bytes, %s bytes gzip\n' "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"

if [ $# -eq 1 ]; then
  say "building nps-seed"
  # The dev profile: `cargo test` has built its dependencies already.
  cargo build --quiet -p nps-seed
  mkdir -p "$worker_dir/bin"
  cp "$CARGO_TARGET_DIR/debug/nps-seed" "$worker_dir/bin/nps-seed.next"
  mv -f "$worker_dir/bin/nps-seed.next" "$worker_dir/bin/nps-seed"
fi
