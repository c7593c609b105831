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
# (default <repo>/node_modules/.bin/…). Idempotent; works from any directory; each file
# is renamed into OUT_DIR when whole (a running `wrangler dev` never reads half of one).
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
source "$widget_dir/../scripts/wasm.sh"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

build_wasm nps-widget nps_widget "$work"

"$esbuild" "$widget_dir/loader/nps.js" --bundle --minify --format=iife --target=es2021 \
  --legal-comments=none --log-level=warning --outfile="$work/out/nps.js"
"$esbuild" "$work/nps_widget.js" --minify --format=esm --target=es2020 \
  --legal-comments=none --log-level=warning --outfile="$work/out/nps-app.js"
# One more pass for the widget alone (about 0.6 KB gzip): its data starts at 1 MiB
# (nothing below 1024 is used) and its memory is its own, zeroed at instantiation.
"$wasm_opt" -Oz --converge --low-memory-unused --zero-filled-memory \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-multivalue --enable-reference-types \
  --strip-debug --strip-producers \
  -o "$work/out/nps_widget_bg.wasm" "$work/nps_widget_opt.wasm"
# The wasm first: a new glue must not meet the old wasm.
publish "$out" "$work/out/nps_widget_bg.wasm" "$work/out/nps-app.js" "$work/out/nps.js"

# Prints the sizes and fails the build over budget (loader 2 KB, glue + wasm 72 KB gzip -9).
bash "$widget_dir/../scripts/sizes.sh" --no-peers "$out"
