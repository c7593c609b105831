#!/usr/bin/env bash
# Builds the dashboard into OUT_DIR (served as /dashboard/… next to worker/public/dashboard.html):
#   app.js         the wasm-bindgen glue (`--target web`, a minified ES module); it starts
#                  the app when dashboard.html's module script calls its default export
#   app_bg.wasm    the dashboard (Leptos CSR), optimised with wasm-opt -Oz
#
#   dashboard/build.sh OUT_DIR
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), WASM_BINDGEN (default
# wasm-bindgen, must match the workspace's pinned wasm-bindgen), WASM_OPT and ESBUILD
# (default <repo>/node_modules/.bin/…). Idempotent; works from any directory; each file
# is renamed into OUT_DIR when whole (a running `wrangler dev` never reads half of one).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

dashboard_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$dashboard_dir/../scripts/wasm.sh"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build_wasm nps-dashboard app "$work"

"$esbuild" "$work/app.js" --minify --format=esm --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$work/out/app.js"
cp "$work/app_opt.wasm" "$work/out/app_bg.wasm"
publish "$out" "$work/out/app_bg.wasm" "$work/out/app.js"

print_sizes "$out/app.js" "$out/app_bg.wasm"
