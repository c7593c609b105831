# The wasm pipeline that the widget and the dashboard share: cargo (release, wasm32)
# → wasm-bindgen (--target web) → wasm-opt -Oz. Sourced by widget/build.sh and
# dashboard/build.sh, not run. Honours CARGO_TARGET_DIR, WASM_BINDGEN, WASM_OPT and
# ESBUILD like they do (defaults: <repo>/target, wasm-bindgen on PATH, npm's tools).

wasm_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wasm_target_dir="${CARGO_TARGET_DIR:-$wasm_repo/target}"
wasm_bindgen="${WASM_BINDGEN:-wasm-bindgen}"
wasm_opt="${WASM_OPT:-$wasm_repo/node_modules/.bin/wasm-opt}"
esbuild="${ESBUILD:-$wasm_repo/node_modules/.bin/esbuild}"

# build_wasm PACKAGE NAME WORK_DIR: leaves WORK_DIR/NAME.js (the glue) and
# WORK_DIR/NAME_opt.wasm (optimised).
build_wasm() {
  local package="$1" name="$2" work="$3"
  (cd "$wasm_repo" && CARGO_TARGET_DIR="$wasm_target_dir" cargo build --release \
    --target wasm32-unknown-unknown -p "$package")
  "$wasm_bindgen" --target web --no-typescript --out-name "$name" --out-dir "$work" \
    "$wasm_target_dir/wasm32-unknown-unknown/release/${package//-/_}.wasm"
  # Current rustc emits bulk-memory, non-trapping float-to-int, sign-ext,
  # mutable-globals, multivalue and reference-types (baseline in browsers since 2022).
  "$wasm_opt" -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types \
    --strip-debug --strip-producers \
    -o "$work/${name}_opt.wasm" "$work/${name}_bg.wasm"
}

# publish DIR FILE…: copies each FILE into DIR under its own name, beside it first and then
# renamed onto it, so that a server reading DIR (a running `wrangler dev`) sees the old
# file or the new one, never half of one.
publish() {
  local dir="$1" file name
  shift
  for file in "$@"; do
    name="$(basename "$file")"
    cp "$file" "$dir/.$name.next"
    mv -f "$dir/.$name.next" "$dir/$name"
  done
}

# print_sizes FILE…: raw and gzip bytes of each, then of all together.
print_sizes() {
  local total_raw=0 total_gz=0 raw gz file
  for file in "$@"; do
    raw=$(wc -c <"$file")
    gz=$(gzip -9 -n -c "$file" | wc -c)
    total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz))
    printf '%-22s %7d bytes  %7d gzip\n' "$(basename "$file")" "$raw" "$gz"
  done
  printf '%-22s %7d bytes  %7d gzip\n' "all together" "$total_raw" "$total_gz"
}
