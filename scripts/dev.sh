#!/usr/bin/env bash
# The run command: installs what is missing, builds, migrates and seeds the local D1,
# makes a local admin token (kept in worker/.dev.vars), and serves everything on
# http://localhost:8787 with `wrangler dev` (local D1, KV and Queues in
# worker/.wrangler/state).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT/worker"

if ! grep -q '^ADMIN_TOKEN=' .dev.vars 2>/dev/null; then
  token="adm_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "ADMIN_TOKEN=$token" >> .dev.vars
  say "created a local admin token in worker/.dev.vars"
fi
if ! grep -q '^INVITATION_SECRET=' .dev.vars; then
  echo "INVITATION_SECRET=inv_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .dev.vars
fi
if ! grep -q '^IDENTITY_SECRET=' .dev.vars; then
  # Checks respondent.user_hash; a shop's server computes the hash with it (README).
  echo "IDENTITY_SECRET=idv_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .dev.vars
fi
if ! grep -q '^ALLOW_PRIVATE_WEBHOOK_TARGETS=' .dev.vars; then
  # Locally, webhook receivers usually run on this machine.
  echo "ALLOW_PRIVATE_WEBHOOK_TARGETS=true" >> .dev.vars
fi
token="$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars | tail -1)"

say "applying D1 migrations and seeding the demo survey"
wrangler d1 migrations apply DB --local >/dev/null
wrangler d1 execute DB --local --file seed/demo.sql >/dev/null

port="${PORT:-8787}"
cat <<INFO

  Demo shop page:   http://localhost:$port/demo
  Survey config:    http://localhost:$port/v1/surveys/s_demo/config
  Dashboard:        http://localhost:$port/dashboard
  Admin token:      $token
  Run the cron:     curl "http://localhost:$port/__scheduled?cron=*+*+*+*+*"
  Try:              curl -H "Authorization: Bearer $token" http://localhost:$port/v1/surveys/s_demo/responses

INFO
# --test-scheduled: locally the every-minute cron (lost deliveries, due invitations)
# runs when /__scheduled is requested.
exec wrangler dev --port "$port" --ip 127.0.0.1 --test-scheduled --show-interactive-dev-session=false
