#!/usr/bin/env bash
# Runs the end-to-end tests: a fresh local D1/KV/Queue state, the real worker under
# `wrangler dev` on a spare port, then Node's test runner driving Debian's Chromium
# through playwright-core. The worker is the one `scripts/build.sh e2e/build` staged
# (E2E_WORKER_DIR to use another), not worker/: a run command serving worker/ keeps
# serving while the tests run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
worker_dir="${E2E_WORKER_DIR:-$ROOT/e2e/build}"
for built in build/worker/shim.mjs public/widget/nps.js public/dashboard/app.js bin/nps-seed; do
  if [ ! -e "$worker_dir/$built" ]; then
    echo "$worker_dir/$built is missing: run scripts/build.sh $worker_dir first" >&2
    exit 2
  fi
done
cd "$worker_dir"

port="${E2E_PORT:-8790}"
state="$(mktemp -d -t nps-e2e-XXXXXX)"
token="e2e_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
invitation_secret="inv_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
identity_secret="idv_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$state/wrangler.log"
cleanup() {
  if [ -n "${access_pid:-}" ]; then
    kill "$access_pid" 2>/dev/null || true
    wait "$access_pid" 2>/dev/null || true
  fi
  # wrangler runs in its own process group (setsid): stop it and its workerd together.
  if [ -n "${wrangler_pid:-}" ]; then
    kill -- "-$wrangler_pid" 2>/dev/null || true
    wait "$wrangler_pid" 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap cleanup EXIT

wrangler d1 migrations apply DB --local --persist-to "$state" >/dev/null
wrangler d1 execute DB --local --persist-to "$state" --file seed/demo.sql >/dev/null

# Cloudflare Access, played by a local team key server (e2e/lib/access.mjs): the worker
# verifies the assertions the tests sign against the keys it publishes.
access_port=$((port + 1000))
access_aud="aud_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
node "$ROOT/e2e/lib/access.mjs" serve "$access_port" "$state/access" >"$state/access.log" 2>&1 &
access_pid=$!
for _ in $(seq 1 40); do
  curl -sf "http://127.0.0.1:$access_port/cdn-cgi/access/certs" >/dev/null && break
  sleep 0.25
done
curl -sf "http://127.0.0.1:$access_port/cdn-cgi/access/certs" >/dev/null || { cat "$state/access.log"; echo "the Access key server did not start" >&2; exit 1; }

# The mail providers, played by the receiver e2e/tests/mail.test.mjs starts on this port:
# the worker's provider base URLs point at it, with keys and webhook secrets of the run.
mail_port=$((port + 2000))
postmark_token="pm_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
resend_key="re_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
postmark_webhook_token="pmw_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
resend_webhook_secret="whsec_$(head -c 24 /dev/urandom | base64)"

# Short retry delays so that retries can be watched within a test; small export chunks
# so that an export of a few thousand answers takes many queue messages.
setsid wrangler dev --port "$port" --ip 127.0.0.1 --persist-to "$state" \
  --var "ADMIN_TOKEN:$token" --var "WEBHOOK_RETRY_SCHEDULE:1,1,1,1" \
  --var "ALLOW_PRIVATE_WEBHOOK_TARGETS:true" --var "INVITATION_SECRET:$invitation_secret" \
  --var "ACCESS_TEAM_DOMAIN:http://127.0.0.1:$access_port" --var "ACCESS_AUD:$access_aud" \
  --var "IDENTITY_SECRET:$identity_secret" --var "EXPORT_ROWS_PER_CHUNK:700" \
  --var "POSTMARK_API_URL:http://127.0.0.1:$mail_port/postmark" --var "POSTMARK_SERVER_TOKEN:$postmark_token" \
  --var "RESEND_API_URL:http://127.0.0.1:$mail_port/resend" --var "RESEND_API_KEY:$resend_key" \
  --var "POSTMARK_WEBHOOK_TOKEN:$postmark_webhook_token" --var "RESEND_WEBHOOK_SECRET:$resend_webhook_secret" \
  --test-scheduled --show-interactive-dev-session=false >"$log" 2>&1 &
wrangler_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://localhost:$port/healthz" >/dev/null && break
  kill -0 "$wrangler_pid" 2>/dev/null || { cat "$log"; echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://localhost:$port/healthz" >/dev/null || { cat "$log"; echo "wrangler dev did not start" >&2; exit 1; }

cd "$ROOT"
status=0
# No arguments: every test file, then schemathesis. Or name test files and/or
# `schemathesis`.
tests=()
run_schemathesis=0
# The files that read the demo as seeded (the README's screenshots, its story, its themes)
# run first, in a test run of their own (Node's runner orders the files it is given),
# before the others add answers and cases to s_demo.
demo_first=()
if [ $# -eq 0 ]; then
  demo_first=(e2e/tests/screenshots.test.mjs e2e/tests/story.test.mjs e2e/tests/themes.test.mjs)
  for file in e2e/tests/*.test.mjs; do
    [[ " ${demo_first[*]} " == *" $file "* ]] || tests+=("$file")
  done
  run_schemathesis=1
fi
for arg in "$@"; do
  if [ "$arg" = schemathesis ]; then run_schemathesis=1; else tests+=("$arg"); fi
done
# NPS_STATE_DIR: the local D1/KV state, for tests that make storage fail for real;
# NPS_SEED_BIN: nps-seed, built with the worker, for tests that need answers from the past.
export NPS_BASE_URL="http://localhost:$port" NPS_ADMIN_TOKEN="$token" NPS_INVITATION_SECRET="$invitation_secret" \
  NPS_IDENTITY_SECRET="$identity_secret" \
  NPS_STATE_DIR="$state" NPS_SEED_BIN="$worker_dir/bin/nps-seed" \
  NPS_ACCESS_ISSUER="http://127.0.0.1:$access_port" NPS_ACCESS_AUD="$access_aud" NPS_ACCESS_KEYS="$state/access" \
  NPS_MAIL_PORT="$mail_port" NPS_POSTMARK_TOKEN="$postmark_token" NPS_RESEND_KEY="$resend_key" \
  NPS_POSTMARK_WEBHOOK_TOKEN="$postmark_webhook_token" NPS_RESEND_WEBHOOK_SECRET="$resend_webhook_secret"
if [ ${#demo_first[@]} -gt 0 ]; then
  node --test --test-concurrency=1 "${demo_first[@]}" || status=$?
fi
if [ ${#tests[@]} -gt 0 ]; then
  node --test --test-concurrency=1 "${tests[@]}" || status=$?
fi
if [ "$run_schemathesis" = 1 ] && [ "$status" = 0 ]; then
  bash "$ROOT/e2e/schemathesis.sh" || status=$?
fi
if [ "$status" != 0 ]; then
  mkdir -p "$ROOT/e2e/artifacts" && cp "$log" "$ROOT/e2e/artifacts/wrangler.log"
  echo "--- wrangler dev log (last 80 lines; all of it in e2e/artifacts/wrangler.log) ---"
  tail -n 80 "$log"
fi
exit "$status"
