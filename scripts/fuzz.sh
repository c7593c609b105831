#!/usr/bin/env bash
# Fuzzes every parser in shared/ with cargo fuzz (libFuzzer + AddressSanitizer):
#   scripts/fuzz.sh            a short run, 15 s per target (the test command)
#   scripts/fuzz.sh 3600       a long run, an hour per target
#   scripts/fuzz.sh 60 time    chosen targets only
# Stable toolchain: cargo fuzz's nightly flags are allowed with RUSTC_BOOTSTRAP=1.
# Seeds are in fuzz/seeds/<target> (committed); what libFuzzer finds goes to a corpus
# outside the checkout, and crashes to fuzz/artifacts/<target> (reproduce with
# `cargo fuzz run <target> <file>`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

seconds="${1:-15}"
shift || true
cargo_fuzz_version="0.13.1"
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$cargo_fuzz_version" ]; then
  say "installing cargo-fuzz $cargo_fuzz_version"
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --force
fi

export RUSTC_BOOTSTRAP=1
# Its own target directory: sanitizer builds share nothing with the normal ones.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/nps-loop/target-fuzz}"
corpus_root="${FUZZ_CORPUS_DIR:-$HOME/.cache/nps-loop/fuzz-corpus}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)

say "building ${#targets[@]} fuzz targets"
cargo fuzz build -O --fuzz-dir fuzz
for target in "${targets[@]}"; do
  say "fuzzing $target for ${seconds}s"
  mkdir -p "$corpus_root/$target"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
  log="$(mktemp)"
  status=0
  cargo fuzz run -O --fuzz-dir fuzz "$target" "$corpus_root/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done )' "$log" || true
  if [ "$status" != 0 ]; then
    tail -n 60 "$log"
    echo "fuzz target $target failed (exit $status); the input is in fuzz/artifacts/$target" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
done
