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
# (default <repo>/node_modules/.bin/…). Idempotent; works from any directory.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

dashboard_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$dashboard_dir/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
wasm_bindgen="${WASM_BINDGEN:-wasm-bindgen}"
wasm_opt="${WASM_OPT:-$repo/node_modules/.bin/wasm-opt}"
esbuild="${ESBUILD:-$repo/node_modules/.bin/esbuild}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$repo" && CARGO_TARGET_DIR="$target_dir" cargo build --release \
  --target wasm32-unknown-unknown -p nps-dashboard)

"$wasm_bindgen" --target web --no-typescript --out-name app --out-dir "$work" \
  "$target_dir/wasm32-unknown-unknown/release/nps_dashboard.wasm"

# The same wasm features as widget/build.sh (all baseline in browsers since 2021/2022).
"$wasm_opt" -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-multivalue --enable-reference-types \
  --strip-debug --strip-producers \
  -o "$work/app_opt.wasm" "$work/app_bg.wasm"

"$esbuild" "$work/app.js" --minify --format=esm --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$out/app.js"
cp "$work/app_opt.wasm" "$out/app_bg.wasm"

for file in "$out/app.js" "$out/app_bg.wasm"; do
  raw=$(wc -c <"$file")
  gz=$(gzip -9 -n -c "$file" | wc -c)
  printf '%-14s %8d bytes  %7d gzip\n' "$(basename "$file")" "$raw" "$gz"
done
