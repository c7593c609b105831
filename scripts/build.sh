#!/usr/bin/env bash
# Builds the widget (into worker/public/widget, served as static assets) and the
# worker (into worker/build), both optimised for size. Run scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

say "building the widget"
bash "$ROOT/widget/build.sh" "$ROOT/worker/public/widget"

say "building the worker"
(cd "$ROOT/worker" && worker-build --release)
wasm="$ROOT/worker/build/worker/index_bg.wasm"
[ -f "$wasm" ] || wasm="$(ls "$ROOT"/worker/build/*.wasm "$ROOT"/worker/build/worker/*.wasm 2>/dev/null | head -1)"
printf 'worker wasm: %s bytes, %s bytes gzip\n' "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
