-- wrk script of the ingest benchmark (e2e/bench/ingest.mjs): POST /v1/responses with a
-- distinct Idempotency-Key per request and scores 0..10 in turn.
--   wrk -s ingest.lua <url> -- <survey id> <key prefix> [floor]
-- With `floor` it sends GET /healthz instead: an invocation that reads and writes
-- nothing, the floor under every request of the same worker.
-- At the end it prints one line `WRK {json}` with the counts and latency percentiles.
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  survey = args[1] or "s_demo"
  prefix = (args[2] or "wrk") .. "-" .. thread_number .. "-"
  floor = args[3] == "floor"
  counter = 0
  non2xx = 0
end

function request()
  if floor then
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  local body = string.format('{"survey_id":"%s","score":%d,"channel":"api"}', survey, counter % 11)
  return wrk.format("POST", "/v1/responses",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = prefix .. counter }, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non = 0
  for _, thread in ipairs(threads) do
    non = non + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non_2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, non, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
