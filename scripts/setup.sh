#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, and nothing when it is there:
# Debian's Chromium + ChromeDriver (e2e and wasm tests), the wasm32 target, the
# wasm-bindgen CLI matching Cargo.toml's pin, worker-build, and the npm tools of
# package-lock.json (Node 22, wrangler/workerd, esbuild, binaryen, playwright-core),
# and schemathesis (PyPI) in a venv for the API fuzzing of e2e/schemathesis.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# One setup at a time on this machine: the run and the test command started side by side
# on a fresh machine would otherwise both install the same tools (cargo install, npm ci)
# into the same places at once. The second waits, then finds everything there.
mkdir -p "$HOME/.cache/nps-loop"
exec 9>"$HOME/.cache/nps-loop/setup.lock"
flock 9

apt_missing=()
command -v chromium >/dev/null || apt_missing+=(chromium)
command -v chromedriver >/dev/null || apt_missing+=(chromium-driver)
command -v sqlite3 >/dev/null || apt_missing+=(sqlite3)  # the report benchmark loads its data with it
if ((${#apt_missing[@]})); then
  say "installing ${apt_missing[*]} (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

wasm_bindgen_version="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)"
if [ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version"
  # Not --locked: one of its locked dependencies is gone from the index.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi
worker_build_version="0.8.7"
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$worker_build_version" ]; then
  say "installing worker-build $worker_build_version"
  cargo install worker-build --version "$worker_build_version" --force
fi

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.nps-lock-hash 2>/dev/null)" != "$lock_hash" ] || [ ! -x "$ESBUILD_BIN" ]; then
  say "installing npm tools from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.nps-lock-hash
fi

schemathesis_version="4.32.5"
venv="$HOME/.cache/nps-loop/venv"
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$schemathesis_version" ]; then
  say "installing schemathesis $schemathesis_version (PyPI) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
