// Benchmark (not a test): how long from a detractor's answer to the signed webhook at
// the receiver. Started by e2e/bench/run.sh, which runs the worker under `wrangler dev`
// and passes NPS_BASE_URL and NPS_ADMIN_TOKEN.
//
//   node e2e/bench/webhook-latency.mjs [--count 300] [--concurrency 4] [--rate 0]
//                     [--warmup 5] [--grace-seconds 30] [--max-seconds 300]
//
// --rate R paces the answers at R per second (open loop, still at most C in flight);
// 0, the default, sends each one as soon as one of the C senders is free.
//
// Latency of one submission = time the webhook's body was fully received by the local
// receiver − time just before its `POST /v1/responses` was sent (one monotonic clock,
// performance.now(), in this process). Prints a table, one `SUMMARY {json}` line with
// everything, and `RESULT {json}` lines for scripts/bench.sh.
// Exit 0 whatever the latencies; exit 1 only when the run was broken (set-up failed,
// under 90% of the webhooks arrived within the grace period, or a signature failed).
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { intArg as intArgOf } from './args.mjs';

const BASE_URL = process.env.NPS_BASE_URL ?? 'http://localhost:8795';
const TOKEN = process.env.NPS_ADMIN_TOKEN;

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    rate: { type: 'string', default: '0' },
    warmup: { type: 'string', default: '5' },
    'grace-seconds': { type: 'string', default: '30' },
    'max-seconds': { type: 'string', default: '300' },
  },
});
const intArg = (name, min, max) => intArgOf(args, name, min, max);
const COUNT = intArg('count', 1, 100_000);
const CONCURRENCY = intArg('concurrency', 1, 256);
const RATE = intArg('rate', 0, 10_000);
const WARMUP = intArg('warmup', 0, 100);
const GRACE_MS = intArg('grace-seconds', 1, 120) * 1000;
const MAX_MS = intArg('max-seconds', 30, 300) * 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const MIN_RECEIVED_SHARE = 0.9;

const startedAt = performance.now();
const hardDeadline = startedAt + MAX_MS;
const stopAll = new AbortController(); // aborts every request still in flight at the end
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const remaining = () => hardDeadline - performance.now();

// The last line of defence: whatever hangs, the process ends shortly after MAX_MS.
const watchdog = setTimeout(() => {
  console.error(`watchdog: still running after ${MAX_MS / 1000 + 10}s; giving up`);
  process.exit(1);
}, MAX_MS + 10_000);

function timeoutSignal(ms) {
  return AbortSignal.any([stopAll.signal, AbortSignal.timeout(Math.max(1, Math.min(ms, remaining())))]);
}

async function request(path, { method = 'GET', body, auth = false, headers = {} } = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: {
      ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: timeoutSignal(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: response.status, body: parsed };
}

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 10) / 10);
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : null;
  return {
    n: sorted.length,
    min: round(sorted[0] ?? null),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? null),
    mean: round(mean),
  };
}

// --- the receiver: records the first receipt per response id, verifies every request.
const receipts = new Map(); // response id -> receipt time of the first webhook about it
const webhookIds = new Map(); // webhook-id -> times seen
let received = 0;
let signatureFailures = 0;
let unparsable = 0;
let verifier = null; // set once the endpoint (and its secret) exists

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    res.writeHead(204);
    res.end();
    received += 1;
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'];
    webhookIds.set(id, (webhookIds.get(id) ?? 0) + 1);
    try {
      verifier.verify(body, req.headers);
    } catch {
      signatureFailures += 1;
    }
    let responseId;
    try { responseId = JSON.parse(body)?.data?.response?.id; } catch { /* counted below */ }
    responseId ??= body.match(/"(r_[^"]+)"/)?.[1];
    if (!responseId) { unparsable += 1; return; }
    if (!receipts.has(responseId)) receipts.set(responseId, at);
  });
});

async function main() {
  if (!TOKEN) throw new Error('NPS_ADMIN_TOKEN is not set (run through e2e/bench/run.sh)');
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${server.address().port}/hooks/bench`;

  // A fresh survey (a copy of the demo) and an endpoint for its detractors only.
  const demo = await request('/v1/surveys/s_demo', { auth: true });
  if (demo.status !== 200) throw new Error(`GET /v1/surveys/s_demo: ${demo.status}`);
  const surveyId = `s_bench-${Date.now()}`;
  // Without the fields the server sets (a create refuses them).
  const { id: _id, created_at: _c, updated_at: _u, ...definition } = demo.body;
  const created = await request('/v1/surveys', {
    method: 'POST', auth: true, body: { ...definition, id: surveyId, name: 'Webhook latency benchmark', rate_limit_per_minute: 1000000 },
  });
  if (created.status !== 201) throw new Error(`POST /v1/surveys: ${created.status} ${JSON.stringify(created.body)}`);
  const hook = await request('/v1/webhooks', {
    method: 'POST', auth: true,
    body: { url: receiverUrl, events: ['response.created'], filter: { categories: ['detractor'], survey_ids: [surveyId] } },
  });
  if (hook.status !== 201) throw new Error(`POST /v1/webhooks: ${hook.status} ${JSON.stringify(hook.body)}`);
  verifier = new Webhook(hook.body.secret);

  const submit = async (i) => {
    const t0 = performance.now();
    try {
      const r = await request('/v1/responses', {
        method: 'POST',
        body: { survey_id: surveyId, score: ((i % 7) + 7) % 7, channel: 'api', properties: { bench_seq: String(i) } },
      });
      return { t0, t1: performance.now(), status: r.status, id: r.status === 201 ? r.body?.id : undefined };
    } catch (e) {
      return { t0, t1: performance.now(), status: 0, error: e.name === 'TimeoutError' ? 'timeout' : String(e.message ?? e) };
    }
  };

  // Warm-up: a few answers one at a time (first-request costs, the queue consumer's
  // first batch), waited for and left out of the numbers.
  const warm = [];
  for (let i = 0; i < WARMUP && remaining() > MAX_MS / 2; i++) warm.push(await submit(-1 - i));
  const warmIds = warm.map((w) => w.id).filter(Boolean);
  const warmUntil = performance.now() + Math.min(15_000, remaining() / 4);
  while (warmIds.some((id) => !receipts.has(id)) && performance.now() < warmUntil) await sleep(20);
  const warmLatencies = warm.filter((w) => receipts.has(w.id)).map((w) => receipts.get(w.id) - w.t0);

  // The measured run: COUNT answers, CONCURRENCY at a time, stopped early if time runs
  // out so that the grace period still fits within MAX_MS.
  const sendDeadline = hardDeadline - GRACE_MS - 5_000;
  const sent = [];
  let next = 0;
  const sendStart = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, COUNT) }, async () => {
    while (next < COUNT && performance.now() < sendDeadline) {
      const i = next++;
      if (RATE > 0) {
        const wait = Math.min(sendStart + (i * 1000) / RATE, sendDeadline) - performance.now();
        if (wait > 0) await sleep(wait);
      }
      sent[i] = await submit(i);
    }
  }));
  const lastPostDone = performance.now();
  const sentList = sent.filter(Boolean);
  const accepted = sentList.filter((s) => s.id);

  // Grace: wait for the rest of the webhooks, at most GRACE_MS after the last POST.
  const graceUntil = Math.min(lastPostDone + GRACE_MS, hardDeadline - 2_000);
  while (accepted.some((s) => !receipts.has(s.id)) && performance.now() < graceUntil) await sleep(20);
  // A short look for late duplicates (retries of an attempt that timed out).
  const settleUntil = Math.min(performance.now() + 1_500, hardDeadline - 1_000);
  while (performance.now() < settleUntil) await sleep(50);
  const endedAt = performance.now();

  const got = accepted.filter((s) => receipts.has(s.id));
  const e2e = got.map((s) => receipts.get(s.id) - s.t0);
  const after201 = got.map((s) => receipts.get(s.id) - s.t1);
  const posts = sentList.map((s) => s.t1 - s.t0);
  const duplicates = [...webhookIds.values()].reduce((n, c) => n + (c - 1), 0);
  const knownIds = new Set([...accepted.map((s) => s.id), ...warmIds]);
  const strays = [...receipts.keys()].filter((id) => !knownIds.has(id)).length;
  const statuses = {};
  for (const s of sentList) statuses[s.error ?? s.status] = (statuses[s.error ?? s.status] ?? 0) + 1;
  const buckets = [[0, 100], [100, 250], [250, 500], [500, 1000], [1000, 1500], [1500, 2000], [2000, 5000], [5000, Infinity]]
    .map(([lo, hi]) => ({ range: `${lo}-${hi === Infinity ? '' : hi} ms`, n: e2e.filter((x) => x >= lo && x < hi).length }));

  // Latency along the run: a queue that keeps up stays flat, a backlog climbs.
  const tenths = Array.from({ length: 10 }, (_, k) => {
    const slice = sent.slice(Math.floor((k * COUNT) / 10), Math.floor(((k + 1) * COUNT) / 10))
      .filter((s) => s?.id && receipts.has(s.id)).map((s) => receipts.get(s.id) - s.t0);
    return summary(slice).p50;
  });
  const times = got.map((s) => receipts.get(s.id)).sort((a, b) => a - b);
  const deliveryRate = times.length > 1 ? ((times.length - 1) * 1000) / (times.at(-1) - times[0]) : null;
  const e2eStats = summary(e2e);
  const postStats = summary(posts);
  const afterStats = summary(after201);
  const sendSeconds = (lastPostDone - sendStart) / 1000;
  const result = {
    bench: 'webhook-latency',
    count: COUNT,
    concurrency: CONCURRENCY,
    rate_per_s: RATE || null,
    sent: sentList.length,
    accepted: accepted.length,
    received: got.length,
    signature_failures: signatureFailures,
    duplicates,
    latency_ms: { p50: e2eStats.p50, p95: e2eStats.p95, p99: e2eStats.p99, max: e2eStats.max, mean: e2eStats.mean },
    post_ms: { p50: postStats.p50, p95: postStats.p95 },
    after_201_ms: { p50: afterStats.p50, p95: afterStats.p95 },
    send_rate_per_s: round(sentList.length / Math.max(sendSeconds, 0.001)),
    delivery_rate_per_s: round(deliveryRate),
    p50_by_tenth_ms: tenths.map((x) => (x === null ? null : Math.round(x))),
    warmup: { count: warm.length, latency_ms: warmLatencies.map(round) },
    duration_s: round((endedAt - startedAt) / 1000),
    nproc: os.availableParallelism(),
    node: process.version,
  };

  const rows = [
    ['submissions planned', COUNT],
    ['submissions sent', `${sentList.length} (statuses ${JSON.stringify(statuses)})`],
    ['accepted (201)', accepted.length],
    ['webhooks received', `${got.length} of ${accepted.length} within ${GRACE_MS / 1000}s grace (${received} requests in all, warm-up included)`],
    ['signature failures', signatureFailures],
    ['duplicates (same webhook-id)', duplicates],
    ['unexpected / unparsable', `${strays} / ${unparsable}`],
    ['', ''],
    ['answer -> webhook (ms)', `p50 ${e2eStats.p50} / p95 ${e2eStats.p95} / p99 ${e2eStats.p99} / max ${e2eStats.max} / mean ${e2eStats.mean} (min ${e2eStats.min})`],
    ['201 -> webhook (ms)', `p50 ${afterStats.p50} / p95 ${afterStats.p95}`],
    ['POST /v1/responses (ms)', `p50 ${postStats.p50} / p95 ${postStats.p95} / max ${postStats.max}`],
    ['send rate', `${result.send_rate_per_s} answers/s over ${round(sendSeconds)} s`],
    ['delivery rate', `${result.delivery_rate_per_s} webhooks/s (first to last receipt)`],
    ['p50 by send order (tenths)', result.p50_by_tenth_ms.join(', ')],
    ['warm-up (excluded, ms)', `${warmLatencies.map((x) => Math.round(x)).join(', ') || '-'} (${warmIds.length} of ${warm.length} accepted)`],
    ['', ''],
    ['distribution', buckets.map((b) => `${b.range}: ${b.n}`).join(', ')],
    ['machine', `${result.nproc} CPU(s), ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`],
    ['duration', `${result.duration_s} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nWebhook latency: detractor POST -> signed webhook at a loopback receiver (${BASE_URL})`);
  console.log(`count ${COUNT}, concurrency ${CONCURRENCY}, rate ${RATE ? `${RATE}/s` : 'unpaced'}, warm-up ${WARMUP}\n`);
  for (const [k, v] of rows) console.log(k ? `${k.padEnd(width)}  ${v}` : '');
  console.log(`\nSUMMARY ${JSON.stringify(result)}`);
  // The lines scripts/bench.sh collects. The reference is the answer's own round trip
  // in the same run: how many POSTs long the wait for an alert is.
  const line = (metric, value, reference, label) => console.log(`RESULT ${JSON.stringify({
    metric, value, unit: 'ms', reference, reference_label: label,
    note: `detractor POST -> signed webhook received; ${COUNT} answers, concurrency ${CONCURRENCY}, ${RATE ? `${RATE}/s` : 'unpaced'}`,
  })}`);
  const mode = RATE ? `${RATE} answers/s` : `unpaced, ${CONCURRENCY} in flight`;
  line(`alert latency p50 (${mode})`, e2eStats.p50, postStats.p50, 'POST /v1/responses p50, same run');
  line(`alert latency p95 (${mode})`, e2eStats.p95, postStats.p95, 'POST /v1/responses p95, same run');

  const broken = [];
  if (got.length < MIN_RECEIVED_SHARE * COUNT) {
    broken.push(`only ${got.length} of ${COUNT} webhooks received (under ${MIN_RECEIVED_SHARE * 100}%)`);
  }
  if (signatureFailures > 0) broken.push(`${signatureFailures} webhook(s) failed signature verification`);
  if (broken.length) console.error(`\nBROKEN RUN: ${broken.join('; ')}`);
  return broken.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`benchmark failed: ${e.stack ?? e}`);
  code = 1;
} finally {
  stopAll.abort();
  clearTimeout(watchdog);
  server.closeAllConnections?.();
  server.close();
}
process.exit(code);
