#!/usr/bin/env bash
# Upload size of the worker against Cloudflare's Worker size limits. Uses
# `wrangler deploy --dry-run --outdir`, which bundles exactly what a deploy uploads and
# needs no network and no account. Static assets (widget, dashboard, demo) are uploaded
# separately and do not count towards the Worker size. Prints RESULT lines.
#
# Limits, as documented by Cloudflare (developers.cloudflare.com/workers/platform/limits):
# until 2026 the Worker size was 3 MB (Free) / 10 MB (Paid) after compression (gzip);
# the current page gives one limit of 64 MiB uncompressed on every plan. Startup (the
# global scope, wasm compile and instantiate) must finish within 1 second: wrangler
# reports it only on a real upload; here V8's compile time of the wasm stands in.
# Expects scripts/build.sh to have run. Exit 1 only when the measurement failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ROOT/worker"

if [ ! -f build/index.js ] || [ ! -f build/worker/shim.mjs ]; then
  echo "worker/build is missing: run scripts/build.sh first" >&2
  exit 1
fi
out="$(mktemp -d -t nps-upload-XXXXXX)"
trap 'rm -rf "$out"' EXIT
log="$out/dry-run.log"
wrangler deploy --dry-run --outdir "$out/bundle" >"$log" 2>&1 || { cat "$log"; exit 1; }
# wrangler's own figure: "Total Upload: 1112.88 KiB / gzip: 448.81 KiB"
line="$(grep -o 'Total Upload: [0-9.]* KiB / gzip: [0-9.]* KiB' "$log" || true)"
[ -n "$line" ] || { cat "$log"; echo "no 'Total Upload' line from wrangler" >&2; exit 1; }
total_kib="$(awk '{print $3}' <<<"$line")"
gzip_kib="$(awk '{print $7}' <<<"$line")"
wasm="$(ls "$out"/bundle/*.wasm | head -n 1)"
# Cross-check: the bundle's files compressed one by one with gzip -9 (source maps are
# not uploaded as code).
own_gzip=0
for f in "$out"/bundle/*; do
  case "$f" in *.map|*.md) continue ;; esac
  own_gzip=$((own_gzip + $(gzip -9c "$f" | wc -c)))
done

# Startup: the bulk of it is compiling the wasm. V8 in Node compiles the same bytes
# (WebAssembly.compile, lazy tiering as in workerd), once per fresh process (V8 caches
# a module it compiled before); the median of 5 processes.
compile_ms="$(for _ in 1 2 3 4 5; do
  node -e 'const bytes = require("node:fs").readFileSync(process.argv[1]);
    const t = performance.now();
    WebAssembly.compile(bytes).then(() => console.log((performance.now() - t).toFixed(1)));' "$wasm"
done | sort -n | sed -n 3p)"

printf '\nWorker upload (wrangler deploy --dry-run): %s KiB, %s KiB gzip (own gzip -9 of the bundle: %s KiB)\n' \
  "$total_kib" "$gzip_kib" "$(awk -v b="$own_gzip" 'BEGIN{printf "%.1f", b/1024}')"
printf 'wasm %s: %s bytes; V8 (Node %s) compiles it in %s ms (median of 5)\n\n' \
  "$(basename "$wasm")" "$(stat -c %s "$wasm")" "$(node --version)" "$compile_ms"

result() { # metric value unit reference reference_label note
  node -e 'const [m, v, u, r, l, n] = process.argv.slice(1);
    console.log("RESULT " + JSON.stringify({ metric: m, value: Number(v), unit: u, reference: Number(r), reference_label: l, note: n }));' "$@"
}
result "worker upload, gzip" "$gzip_kib" KiB 3072 "former Workers Free limit: 3 MB after compression (Paid: 10 MB)" \
  "wrangler deploy --dry-run; static assets are not part of it"
result "worker upload, uncompressed" "$total_kib" KiB 65536 "current documented Worker size limit: 64 MiB uncompressed, every plan" \
  "wrangler deploy --dry-run"
result "worker wasm compile" "$compile_ms" ms 1000 "Cloudflare's Worker startup-time limit: 1 s" \
  "WebAssembly.compile in a fresh Node (V8) process on this machine, median of 5: the bulk of startup, not all of it"
