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
# other debug sections from what is deployed.
wasm-opt --strip-debug --strip-producers --all-features "$wasm" -o "$wasm"
printf 'worker wasm: %s bytes, %s bytes gzip\n' "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
