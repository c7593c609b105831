#!/usr/bin/env bash
# Property-based API fuzzing with schemathesis (PyPI, installed by scripts/setup.sh)
# against the worker e2e/run.sh started: every operation of /openapi.json with
# generated valid and invalid requests, checking that no answer is a server error and
# that status codes, content types and bodies match the document. Bounded: a few
# minutes on 2 cores. NPS_BASE_URL and NPS_ADMIN_TOKEN come from e2e/run.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

schemathesis="$HOME/.cache/nps-loop/venv/bin/schemathesis"
: "${NPS_BASE_URL:?set by e2e/run.sh}" "${NPS_ADMIN_TOKEN:?set by e2e/run.sh}"
examples="${SCHEMATHESIS_EXAMPLES:-25}"
report="$ROOT/e2e/artifacts/schemathesis"
mkdir -p "$report"

say "schemathesis: $examples examples per operation against $NPS_BASE_URL"
# It answers the seeded survey hundreds of times a minute (the documented examples
# name s_demo): lift that survey's rate limit so that the limiter does not hide what
# lies behind it. The e2e state is thrown away afterwards.
curl -sf -X PATCH "$NPS_BASE_URL/v1/surveys/s_demo" -H "Authorization: Bearer $NPS_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' -d '{"rate_limit_per_minute":1000000}' >/dev/null
# Run from the artifacts folder: schemathesis keeps its example database (.schemathesis)
# in the working directory.
cd "$report"
# Its own client address: its requests count against their own rate limits.
# One worker: with two threads, hypothesis's ast.parse of its lambdas races inside
# CPython 3.11 ("SystemError: AST constructor recursion depth mismatch"; failed CI once).
NO_COLOR=1 "$schemathesis" run "$NPS_BASE_URL/openapi.json" \
  --url "$NPS_BASE_URL" \
  --header "Authorization: Bearer $NPS_ADMIN_TOKEN" \
  --header "CF-Connecting-IP: 192.0.2.10" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "$examples" \
  --seed 7 \
  --workers 1 \
  --request-timeout 20 \
  --suppress-health-check all \
  --max-failures 50 \
  --report junit --report-dir "$report"
