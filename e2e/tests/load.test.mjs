// Load: 10 000 answers at concurrency 50 on a survey of their own, each with its own
// Idempotency-Key, one in ten sent again with the same key (half of those at the same
// moment as the first, half after it). Afterwards the stored rows are exactly the
// distinct keys that were answered 2xx, each once, with the id its answers named; every
// answer is 2xx (the survey's rate limit is lifted), never a 5xx.
// Correctness under load, not speed: the speed is in e2e/bench (scripts/bench.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { admin, BASE_URL, demoDefinition } from '../lib/server.mjs';

const TOTAL = Number(process.env.NPS_LOAD_COUNT ?? 10_000);
const CONCURRENCY = 50;
const REPEAT_EVERY = 10; // one key in ten is sent twice

// One bounded pool of keep-alive connections: at most CONCURRENCY sockets.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One POST /v1/responses on the pool; resolves with status, headers and body text. */
function post(body, key) {
  const url = new URL('/v1/responses', BASE_URL);
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent, timeout: 60_000,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, 'idempotency-key': key },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: 0, error: String(e) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 60 s')));
    req.on('error', (e) => resolve({ status: 0, error: String(e) }));
    req.end(payload);
  });
}

/** Every stored answer of the survey, through the admin list and its cursors. */
async function allStored(surveyId) {
  const rows = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const r = await admin(`/v1/surveys/${surveyId}/responses?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200);
    rows.push(...r.body.items);
    cursor = r.body.next_cursor;
    if (!cursor) return rows;
  }
  throw new Error('more than 1000 pages');
}

test(`${TOTAL} answers at concurrency ${CONCURRENCY}: stored rows equal the 2xx keys, no duplicates, no 5xx`, { timeout: 900_000 }, async (t) => {
  t.after(() => agent.destroy());
  const demo = await demoDefinition();
  const surveyId = `s_load-${Date.now()}`;
  const definition = { ...demo, id: surveyId, name: 'Load test' };
  // Lift the per-visitor rate limit (all answers come from one address): this test is
  // about storage, not limits.
  definition.rate_limit_per_minute = 1_000_000;
  assert.equal((await admin('/v1/surveys', { method: 'POST', body: definition })).status, 201);

  // The work list: each key once, and every REPEAT_EVERY-th key a second time, either
  // right next to the first (so both are in flight together) or at the end.
  const keys = Array.from({ length: TOTAL }, (_, i) => `load-${surveyId}-${i}`);
  const bodyOf = (i) => ({ survey_id: surveyId, score: i % 11, channel: 'api', properties: { seq: String(i) } });
  const work = [];
  const late = [];
  keys.forEach((key, i) => {
    work.push(i);
    if (i % REPEAT_EVERY === 0) ((i / REPEAT_EVERY) % 2 === 0 ? work : late).push(i);
  });
  work.push(...late);

  const results = []; // { i, status, ... } in completion order
  let next = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < work.length) {
      const i = work[next++];
      const r = await post(bodyOf(i), keys[i]);
      results.push({ i, ...r });
    }
  }));
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${work.length} POSTs in ${seconds.toFixed(1)} s (${(work.length / seconds).toFixed(0)}/s)`);

  const byStatus = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  t.diagnostic(`statuses: ${JSON.stringify(byStatus)}`);
  assert.equal(results.length, work.length);

  // Every answer is 201 (new), 200 (a replay) or a problem+json refusal that is not 5xx.
  const idOfKey = new Map();
  const created = new Map(); // key index -> times answered 201
  for (const r of results) {
    assert.ok(r.status > 0, `POST ${r.i} got no answer: ${r.error}`);
    assert.ok(r.status < 500, `POST ${r.i}: ${r.status} ${r.text}`);
    if (r.status === 200 || r.status === 201) {
      const body = JSON.parse(r.text);
      assert.match(body.id, /^r_/);
      const known = idOfKey.get(r.i);
      assert.ok(!known || known === body.id, `key ${r.i} named two ids: ${known} and ${body.id}`);
      idOfKey.set(r.i, body.id);
      if (r.status === 201) created.set(r.i, (created.get(r.i) ?? 0) + 1);
    } else {
      assert.match(r.headers['content-type'], /^application\/problem\+json/, `${r.status} ${r.text}`);
      assert.equal(JSON.parse(r.text).status, r.status);
      // The survey's limit is lifted above, so even a 429 would be a failure here.
      assert.fail(`unexpected refusal ${r.status}: ${r.text}`);
    }
  }
  for (const [i, n] of created) assert.equal(n, 1, `key ${i} was answered 201 ${n} times`);
  const repeated = results.filter((r) => r.i % REPEAT_EVERY === 0 && r.status === 200).length;
  t.diagnostic(`replays answered 200: ${repeated}`);

  const stored = await allStored(surveyId);
  const storedIds = new Set(stored.map((r) => r.id));
  assert.equal(storedIds.size, stored.length, 'no row listed twice');
  const seqs = stored.map((r) => Number(r.properties.seq));
  assert.equal(new Set(seqs).size, seqs.length, 'no key stored twice');
  assert.equal(stored.length, idOfKey.size, 'stored rows = distinct keys answered 2xx');
  for (const row of stored) {
    assert.equal(idOfKey.get(Number(row.properties.seq)), row.id, `row ${row.id} is the one its key was told`);
    assert.equal(row.score, Number(row.properties.seq) % 11);
  }
  assert.equal(stored.length, TOTAL, 'every answer is stored');
});
