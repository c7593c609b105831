#!/usr/bin/env bash
# The test command: installs what is missing, then runs every check and test —
# formatting, import cycles, clippy (host and wasm32), native unit and property tests, a short
# cargo fuzz run of shared/'s parsers, the widget's wasm tests in headless Chromium, a
# release build, and the end-to-end tests that drive Chromium against the real worker
# under `wrangler dev` (then schemathesis against its OpenAPI document).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"

say "cargo fmt --check"
cargo fmt --all -- --check

say "no import cycles between modules (scripts/cycles.py)"
python3 "$ROOT/scripts/cycles.py"

say "clippy (host and wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p nps-worker -p nps-widget -p nps-dashboard --target wasm32-unknown-unknown -- -D warnings

say "native tests"
cargo test --workspace

say "fuzzing the parsers of shared/ (cargo fuzz, 15 s per target; long runs: scripts/fuzz.sh 3600)"
bash "$ROOT/scripts/fuzz.sh" 15

say "loader tests (Node): triggers, throttle, sampling"
node --test widget/loader/triggers.test.mjs

say "widget tests in headless Chromium (wasm)"
(
  cd "$ROOT/widget"  # wasm-bindgen-test-runner reads webdriver.json from here
  CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p nps-widget --target wasm32-unknown-unknown
)

# Into a worker folder of the tests' own: a run command serving worker/ is not disturbed.
bash "$ROOT/scripts/build.sh" "$ROOT/e2e/build"

say "end-to-end tests (Chromium against wrangler dev)"
bash "$ROOT/e2e/run.sh"
