#!/usr/bin/env bash
# The widget's bytes over the wire, against its budget and its peers.
#
#   scripts/sizes.sh [--no-peers] [WIDGET_DIR]      (default worker/public/widget)
#
# Prints raw and gzip -9 bytes of the loader (nps.js: what every page pays), the
# wasm-bindgen glue (nps-app.js) and the wasm (both only when a survey shows), and
# fails (exit 1) when over budget: loader <= 2048 B gzip, glue + wasm (the Leptos
# component, fetched only when a survey shows) <= 73728 B (72 KB) gzip; the goal for
# glue + wasm is 64 KB (65536 B). widget/build.sh runs it with --no-peers, so an
# over-budget build fails.
#
# Without --no-peers it also downloads, in the same run and into a temporary
# directory, the npm packages of two peers and measures the same way (gzip -9):
#   Formbricks' survey renderer  @formbricks/surveys   dist/index.js
#   PostHog's surveys extension  posthog-js            dist/surveys.js, on top of its
#                                                      core dist/array.js
# A registry that cannot be reached makes those rows "unavailable", not a failure.
# Ends with RESULT lines (JSON) for the benchmark table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"

peers=1
if [[ "${1:-}" == "--no-peers" ]]; then
  peers=0
  shift
fi
dir="${1:-$root/worker/public/widget}"
LOADER_BUDGET=2048
APP_BUDGET=73728
APP_GOAL=65536

gz() { gzip -9 -n -c "$1" | wc -c; }
raw() { wc -c <"$1"; }
row() { printf '| %-58s | %9s | %9s |\n' "$1" "$2" "$3"; }

for f in nps.js nps-app.js nps_widget_bg.wasm; do
  [[ -f "$dir/$f" ]] || { echo "no $dir/$f: build the widget first (widget/build.sh)" >&2; exit 2; }
done
loader_raw=$(raw "$dir/nps.js") loader_gz=$(gz "$dir/nps.js")
glue_raw=$(raw "$dir/nps-app.js") glue_gz=$(gz "$dir/nps-app.js")
wasm_raw=$(raw "$dir/nps_widget_bg.wasm") wasm_gz=$(gz "$dir/nps_widget_bg.wasm")
app_raw=$((glue_raw + wasm_raw)) app_gz=$((glue_gz + wasm_gz))
total_raw=$((loader_raw + app_raw)) total_gz=$((loader_gz + app_gz))

row "bundle" "raw B" "gzip -9 B"
row "---" "---:" "---:"
row "nps-loop loader (nps.js, every page)" "$loader_raw" "$loader_gz"
row "nps-loop glue (nps-app.js, when a survey shows)" "$glue_raw" "$glue_gz"
row "nps-loop wasm (nps_widget_bg.wasm, when a survey shows)" "$wasm_raw" "$wasm_gz"
row "nps-loop component (glue + wasm, when a survey shows)" "$app_raw" "$app_gz"
row "**nps-loop full widget** (all three)" "$total_raw" "$total_gz"

fb_gz=null ph_gz=null core_gz=null
if [[ $peers == 1 ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # pack PACKAGE: unpacks the newest version into $tmp/<dir>; prints its version.
  pack() {
    local package="$1" into="$tmp/$2" file
    mkdir -p "$into"
    file=$(cd "$into" && timeout 120 npm pack "$package" --silent --fetch-retries=1 --fetch-timeout=30000 2>/dev/null | tail -n 1) || return 1
    [[ -n "$file" && -f "$into/$file" ]] || return 1
    tar xzf "$into/$file" -C "$into" && echo "${file%.tgz}" | sed 's/.*-\([0-9][^-]*\)$/\1/'
  }
  if version=$(pack @formbricks/surveys fb); then
    f="$tmp/fb/package/dist/index.js"
    fb_gz=$(gz "$f")
    row "Formbricks @formbricks/surveys@$version dist/index.js" "$(raw "$f")" "$fb_gz"
  else
    row "Formbricks @formbricks/surveys" "unavailable" "unavailable"
  fi
  if version=$(pack posthog-js ph); then
    s="$tmp/ph/package/dist/surveys.js" c="$tmp/ph/package/dist/array.js"
    ph_gz=$(gz "$s") core_gz=$(gz "$c")
    row "PostHog posthog-js@$version dist/surveys.js" "$(raw "$s")" "$ph_gz"
    row "PostHog posthog-js@$version dist/array.js (core)" "$(raw "$c")" "$core_gz"
    row "PostHog surveys + core" "$(($(raw "$s") + $(raw "$c")))" "$((ph_gz + core_gz))"
  else
    row "PostHog posthog-js" "unavailable" "unavailable"
  fi
fi

result() {
  printf 'RESULT {"metric": "%s", "value": %s, "unit": "bytes", "reference": %s, "reference_label": "%s"}\n' "$@"
}
echo
result widget_loader_gzip "$loader_gz" "$LOADER_BUDGET" "budget (2 KB gzip -9)"
result widget_component_gzip "$app_gz" "$APP_BUDGET" "budget (72 KB gzip -9; goal 64 KB)"
result widget_full_gzip "$total_gz" "$((LOADER_BUDGET + APP_BUDGET))" "budget (loader 2 KB + component 72 KB gzip -9)"
if [[ $peers == 1 ]]; then
  result widget_full_gzip_vs_formbricks "$total_gz" "$fb_gz" "Formbricks @formbricks/surveys dist/index.js gzip -9"
  result widget_full_gzip_vs_posthog "$total_gz" "$ph_gz" "PostHog surveys.js gzip -9 (plus its core array.js)"
fi

status=0
if ((loader_gz > LOADER_BUDGET)); then
  echo "OVER BUDGET: the loader is $loader_gz B gzip, the budget $LOADER_BUDGET B" >&2
  status=1
fi
if ((app_gz > APP_BUDGET)); then
  echo "OVER BUDGET: glue + wasm are $app_gz B gzip, the budget $APP_BUDGET B" >&2
  status=1
elif ((app_gz > APP_GOAL)); then
  echo "note: glue + wasm are $app_gz B gzip, above the goal of $APP_GOAL B (64 KB)" >&2
fi
exit $status
