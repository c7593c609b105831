#!/usr/bin/env bash
# Builds the widget (into worker/public/widget, served as static assets) and the
# worker (into worker/build), both optimised for size. Run scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

say "building the widget"
bash "$ROOT/widget/build.sh" "$ROOT/worker/public/widget"

say "building the dashboard"
bash "$ROOT/dashboard/build.sh" "$ROOT/worker/public/dashboard"

say "building the worker"
(cd "$ROOT/worker" && worker-build --release)
wasm="$ROOT/worker/build/index_bg.wasm"
# worker-build keeps the name section (158 KB of function names); drop it and
# other debug sections from what is deployed. The features are worker-build's own:
# --all-features would rewrite the imports in the compact-import encoding (a proposal
# that Node's V8 cannot read) and declare every feature in target_features.
wasm-opt --strip-debug --strip-producers --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue \
  --enable-reference-types --enable-exception-handling "$wasm" -o "$wasm"
printf 'worker wasm: %s bytes, %s bytes gzip\n' "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
