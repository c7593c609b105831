// Benchmark (not a test): a burst of answers, as an e-mail blast brings them, against our
// worker and the bare JavaScript worker (e2e/bench/baseline/) under the same wrangler
// dev, then a check that ours kept every promise. Started by e2e/bench/burst.sh, which
// passes NPS_BASE_URL, NPS_ADMIN_TOKEN and BARE_URL.
//
//   node e2e/bench/burst.mjs [--count 20000] [--concurrency 100] [--grace-seconds 180]
//
// Each answer is a new Idempotency-Key; one in ten is sent twice (a retry: the second
// must be a replay with the same id); scores 0..10 in turn. After the burst:
// - every 2xx id is stored exactly once (the export's ids, the report's count);
// - every detractor's `response.created` webhook arrived, once per webhook-id, signed;
// - D1 statements per answer, from the `X-D1-Queries` header our worker puts on every
//   response (its own statements, plus its share of a group commit).
// Prints a table and `RESULT {json}` lines. Exit 1 only when the run was broken or a
// promise was not kept (an answer lost or stored twice, an alert missing).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { Webhook } from 'standardwebhooks';
import { intArg as intArgOf } from './args.mjs';

const OURS = process.env.NPS_BASE_URL;
const BARE = process.env.BARE_URL;
const TOKEN = process.env.NPS_ADMIN_TOKEN;
const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '100' },
    'grace-seconds': { type: 'string', default: '180' },
  },
});
const intArg = (name, min, max) => intArgOf(args, name, min, max);
const COUNT = intArg('count', 10, 200_000);
const CONCURRENCY = intArg('concurrency', 1, 512);
const GRACE_MS = intArg('grace-seconds', 5, 600) * 1000;
const dispatcher = new Agent({ connections: CONCURRENCY * 2, pipelining: 1 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function call(base, path, { method = 'GET', body, auth = false, headers = {} } = {}) {
  const r = await fetch(base + path, {
    method,
    dispatcher,
    headers: {
      ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* CSV or empty */ }
  return { status: r.status, body: parsed, queries: r.headers.get('x-d1-queries') };
}

// The receiver: every webhook, verified; response ids of `response.created`.
const seen = new Map(); // webhook-id -> count
const alerted = new Map(); // response id -> deliveries received
let badSignatures = 0;
let verifier = null;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(204).end();
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'];
    seen.set(id, (seen.get(id) ?? 0) + 1);
    try { verifier.verify(body, req.headers); } catch { badSignatures += 1; }
    try {
      const event = JSON.parse(body);
      if (event.type === 'response.created') {
        const rid = event.data?.id; // the answer, flattened into data
        if ((seen.get(id) ?? 0) === 1) alerted.set(rid, (alerted.get(rid) ?? 0) + 1);
      }
    } catch { badSignatures += 1; }
  });
});

/** COUNT answers at CONCURRENCY; one in ten sent again with the same key. */
async function burst(base, surveyId, prefix) {
  const results = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < COUNT) {
      const i = next++;
      const key = `${prefix}-${i}`;
      const body = { survey_id: surveyId, score: i % 11, channel: 'api', properties: { wave: String(i % 3) } };
      for (let send = 0; send < (i % 10 === 0 ? 2 : 1); send++) {
        const t0 = performance.now();
        try {
          const r = await call(base, '/v1/responses', { method: 'POST', body, headers: { 'idempotency-key': key } });
          results.push({ i, send, status: r.status, id: r.body?.id, ms: performance.now() - t0, queries: r.queries });
        } catch (e) {
          results.push({ i, send, status: 0, error: String(e.message ?? e), ms: performance.now() - t0 });
        }
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  return {
    results,
    seconds,
    rate: results.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main() {
  if (!OURS || !BARE || !TOKEN) throw new Error('run through e2e/bench/burst.sh');
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const demo = await call(OURS, '/v1/surveys/s_demo', { auth: true });
  const { id: _i, created_at: _c, updated_at: _u, ...definition } = demo.body;
  const surveyId = `s_burst-${Date.now()}`;
  const created = await call(OURS, '/v1/surveys', {
    method: 'POST', auth: true,
    body: { ...definition, id: surveyId, name: 'Burst benchmark', rate_limit_per_minute: 1_000_000 },
  });
  if (created.status !== 201) throw new Error(`POST /v1/surveys: ${created.status} ${JSON.stringify(created.body)}`);
  const hook = await call(OURS, '/v1/webhooks', {
    method: 'POST', auth: true,
    body: {
      url: `http://127.0.0.1:${server.address().port}/hook`,
      events: ['response.created'],
      filter: { categories: ['detractor'], survey_ids: [surveyId] },
    },
  });
  if (hook.status !== 201) throw new Error(`POST /v1/webhooks: ${hook.status} ${JSON.stringify(hook.body)}`);
  verifier = new Webhook(hook.body.secret);

  const stamp = Date.now();
  const bare = await burst(BARE, 's_demo', `bare-${stamp}`);
  const ours = await burst(OURS, surveyId, `ours-${stamp}`);

  // Promises: ids per key stable, each stored once, alerts for every detractor.
  const byKey = new Map();
  let replaysWithOtherId = 0;
  for (const r of ours.results.filter((x) => x.status >= 200 && x.status < 300)) {
    if (byKey.has(r.i) && byKey.get(r.i) !== r.id) replaysWithOtherId += 1;
    byKey.set(r.i, r.id);
  }
  const statuses = {};
  for (const r of ours.results) statuses[r.error ? 'error' : r.status] = (statuses[r.error ? 'error' : r.status] ?? 0) + 1;
  const acceptedIds = new Set(byKey.values());
  const detractors = [...byKey.entries()].filter(([i]) => i % 11 <= 6).map(([, id]) => id);
  const graceUntil = performance.now() + GRACE_MS;
  while (detractors.some((id) => !alerted.has(id)) && performance.now() < graceUntil) await sleep(250);
  await sleep(1000); // late duplicates

  const csv = await call(OURS, `/v1/surveys/${surveyId}/export.csv`, { auth: true });
  const exportedIds = typeof csv.body === 'string'
    ? csv.body.split('\n').slice(1).map((l) => l.split(',')[0]).filter((x) => x.startsWith('r_'))
    : [];
  const exported = new Set(exportedIds);
  const report = await call(OURS, `/v1/surveys/${surveyId}/report`, { auth: true });
  const reportCount = report.body?.overall?.responses ?? null;
  const queries = ours.results.filter((r) => r.queries !== null && r.queries !== undefined)
    .map((r) => Number(r.queries)).filter((q) => Number.isFinite(q));
  const statementsPerAnswer = queries.length ? queries.reduce((s, q) => s + q, 0) / acceptedIds.size : null;

  const lost = [...acceptedIds].filter((id) => !exported.has(id)).length;
  const twice = exportedIds.length - exported.size;
  const missingAlerts = detractors.filter((id) => !alerted.has(id)).length;
  const repeatedAlerts = [...alerted.values()].filter((n) => n > 1).length;
  const duplicateDeliveries = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  const rows = [
    ['', 'ours', 'bare JS worker', 'ours / bare'],
    ['answers sent (incl. 10% retries)', ours.results.length, bare.results.length, ''],
    ['answers/s', round1(ours.rate), round1(bare.rate), round2(ours.rate / bare.rate)],
    ['accept latency p50 (ms)', round1(ours.p50), round1(bare.p50), round2(ours.p50 / bare.p50)],
    ['accept latency p99 (ms)', round1(ours.p99), round1(bare.p99), round2(ours.p99 / bare.p99)],
    ['statuses', JSON.stringify(statuses), '', ''],
    ['distinct answers accepted', acceptedIds.size, '', ''],
    ['stored (export rows) / report count', `${exportedIds.length} / ${reportCount}`, '', ''],
    ['lost / stored twice / replay with another id', `${lost} / ${twice} / ${replaysWithOtherId}`, '', ''],
    ['detractor alerts received / expected', `${detractors.length - missingAlerts} / ${detractors.length}`, '', ''],
    ['alerts repeated / bad signatures / duplicate deliveries', `${repeatedAlerts} / ${badSignatures} / ${duplicateDeliveries}`, '', ''],
    ['D1 statements per answer (X-D1-Queries)', statementsPerAnswer === null ? 'n/a' : round2(statementsPerAnswer), '1 (one INSERT)', ''],
  ];
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => String(r[k]).length)));
  console.log(`\nBurst: ${COUNT} answers at concurrency ${CONCURRENCY} under wrangler dev (loopback)\n`);
  for (const r of rows) console.log(r.map((c, k) => String(c).padEnd(widths[k])).join('  '));
  const bareLabel = 'bare JS worker, same D1 INSERT, same burst, same run';
  const result = (metric, value, unit, reference, note) => console.log(`RESULT ${JSON.stringify({
    metric, value, unit, reference, reference_label: bareLabel, note,
  })}`);
  const load = `${COUNT} answers, concurrency ${CONCURRENCY}`;
  result('burst throughput', round1(ours.rate), 'answers/s', round1(bare.rate), `${load}; higher is better`);
  result('burst accept latency p99', round1(ours.p99), 'ms', round1(bare.p99), load);
  if (statementsPerAnswer !== null) {
    result('D1 statements per answer at burst', round2(statementsPerAnswer), 'statements', 1, `${load}; goal <= 0.5`);
  }
  const kept = lost === 0 && twice === 0 && replaysWithOtherId === 0 && missingAlerts === 0
    && badSignatures === 0 && exportedIds.length === acceptedIds.size
    && (reportCount === null || reportCount === exportedIds.length);
  console.log(kept ? '\nEvery accepted answer stored once; every detractor alerted.'
    : '\nA PROMISE WAS BROKEN (see the table).');
  server.close();
  await dispatcher.close();
  process.exit(kept ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
