#!/usr/bin/env bash
# Builds the embeddable widget into OUT_DIR, then prints raw and gzip sizes:
#   nps.js              the loader (loader/nps.js + loader/triggers.js, one minified IIFE):
#                       the only part a page pays for when it shows no survey
#   nps-app.js          the wasm-bindgen glue (`--target web`, a minified ES module),
#                       imported by the loader only when a survey is shown
#   nps_widget_bg.wasm  the widget, fetched with it
#
#   widget/build.sh OUT_DIR
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), WASM_BINDGEN (default
# wasm-bindgen, must match the workspace's pinned wasm-bindgen), WASM_OPT and ESBUILD
# (default <repo>/node_modules/.bin/…). Idempotent; works from any directory.
#
# Tests run in headless Chromium. wasm-bindgen-test-runner reads webdriver.json (which
# passes --no-sandbox: Chromium runs as root here) from its working directory, and cargo
# runs test binaries in the package directory, so widget/webdriver.json is found
# wherever cargo is started:
#   CHROMEDRIVER=/usr/bin/chromedriver \
#     CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
#     cargo test -p nps-widget --target wasm32-unknown-unknown
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

widget_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$widget_dir/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
wasm_bindgen="${WASM_BINDGEN:-wasm-bindgen}"
wasm_opt="${WASM_OPT:-$repo/node_modules/.bin/wasm-opt}"
esbuild="${ESBUILD:-$repo/node_modules/.bin/esbuild}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$repo" && CARGO_TARGET_DIR="$target_dir" cargo build --release \
  --target wasm32-unknown-unknown -p nps-widget)

"$wasm_bindgen" --target web --no-typescript --out-dir "$work" \
  "$target_dir/wasm32-unknown-unknown/release/nps_widget.wasm"

# Current rustc emits bulk-memory, non-trapping float-to-int, sign-ext, mutable-globals,
# multivalue and reference-types (all baseline in browsers since 2021/2022).
"$wasm_opt" -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-multivalue --enable-reference-types \
  --strip-debug --strip-producers \
  -o "$work/nps_widget_opt.wasm" "$work/nps_widget_bg.wasm"

"$esbuild" "$widget_dir/loader/nps.js" --bundle --minify --format=iife --target=es2021 \
  --legal-comments=none --log-level=warning --outfile="$out/nps.js"
"$esbuild" "$work/nps_widget.js" --minify --format=esm --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$out/nps-app.js"
cp "$work/nps_widget_opt.wasm" "$out/nps_widget_bg.wasm"

total_raw=0 total_gz=0
for file in "$out/nps.js" "$out/nps-app.js" "$out/nps_widget_bg.wasm"; do
  raw=$(wc -c <"$file")
  gz=$(gzip -9 -n -c "$file" | wc -c)
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz))
  printf '%-22s %7d bytes  %7d gzip\n' "$(basename "$file")" "$raw" "$gz"
done
printf '%-22s %7d bytes  %7d gzip\n' "shown, all three" "$total_raw" "$total_gz"
