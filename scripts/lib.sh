# Shared by the scripts: paths and the tools the build is pointed at.
# Sourced, not run. worker-build would download wasm-bindgen, esbuild and wasm-opt from
# the internet; these variables make it use the ones installed by setup.sh instead.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# Node 22 (from npm) and the npm tools come first; cargo-installed tools next.
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# One target directory outside the checkout: rebuilds stay warm across clones (CI).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/nps-loop/target}"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export WASM_BINDGEN="$WASM_BINDGEN_BIN" ESBUILD="$ESBUILD_BIN" WASM_OPT="$WASM_OPT_BIN"
# wrangler: no telemetry prompts, no update checks.
export WRANGLER_SEND_METRICS=false
export CI_DISABLE_UPDATE_CHECK=1

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
