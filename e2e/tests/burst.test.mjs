// A burst of answers through the ingest gate (worker/src/gate.rs): 2,000 answers at
// concurrency 50, some sent twice with their Idempotency-Key, about 30% detractors.
// Every 2xx is stored exactly once, the report counts exactly the stored rows, and
// every detractor's response.created reaches the receiver under one webhook-id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { admin, call, eventually, freshSurvey, pool } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const ANSWERS = 2_000;
const CONCURRENCY = 50;
/** Every 20th answer is sent a second time, the same request under the same key. */
const REPEAT_EVERY = 20;

/** Answer `i`: 30% detractors, the rest passives and promoters. */
function body(surveyId, i) {
  const score = i % 10 < 3 ? i % 7 : 7 + (i % 4);
  return { survey_id: surveyId, score, channel: 'api', properties: { wave: String(i % 5) } };
}

/** Accept latencies (ms) of every request, for the diagnostic. */
const latencies = [];

async function send(surveyId, i) {
  const sent = performance.now();
  const reply = await call('/v1/responses', {
    headers: { 'content-type': 'application/json', 'idempotency-key': `burst-${i}` },
    body: JSON.stringify(body(surveyId, i)),
  });
  latencies.push(performance.now() - sent);
  return reply;
}

const percentile = (p) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
};

async function storedIds(surveyId) {
  const ids = [];
  let cursor = null;
  do {
    const page = await admin(`/v1/surveys/${surveyId}/responses?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    ids.push(...page.body.items.map((r) => r.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  return ids;
}

test('a burst of 2,000 answers is stored exactly once, counted exactly, and every detractor alerted once', async (t) => {
  const surveyId = await freshSurvey('burst');
  // One client sends everything here: lift its per-minute limit.
  const raised = await admin(`/v1/surveys/${surveyId}`, { method: 'PATCH', body: { rate_limit_per_minute: 1_000_000 } });
  assert.equal(raised.status, 200);
  const receiver = await startReceiver();
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['response.created'], filter: { categories: ['detractor'], survey_ids: [surveyId] } },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });

  const order = [];
  for (let i = 0; i < ANSWERS; i += 1) {
    order.push(i);
    if (i % REPEAT_EVERY === 0) order.push(i);
  }
  const started = Date.now();
  const replies = await pool(order.map((i) => () => send(surveyId, i)), CONCURRENCY);
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${order.length} requests in ${seconds.toFixed(1)} s (${Math.round(order.length / seconds)}/s); ` +
    `accept latency p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms`);

  // Every request was taken: 201 for the first of a key, 200 (the same answer) for its repeat.
  const byKey = new Map();
  replies.forEach((reply, n) => {
    assert.ok(reply.status === 201 || reply.status === 200, `request ${n}: ${reply.status} ${JSON.stringify(reply.body)}`);
    const i = order[n];
    byKey.set(i, [...(byKey.get(i) ?? []), reply]);
  });
  for (const [i, got] of byKey) {
    assert.equal(new Set(got.map((r) => r.body.id)).size, 1, `key burst-${i} names one answer`);
    assert.equal(got.filter((r) => r.status === 201).length, 1, `key burst-${i}: one 201`);
  }

  // Stored exactly once: the rows are the 2xx ids, no more, no fewer.
  const accepted = new Set([...byKey.values()].map((got) => got[0].body.id));
  assert.equal(accepted.size, ANSWERS);
  const stored = await storedIds(surveyId);
  assert.equal(stored.length, ANSWERS, 'one row per answer');
  assert.deepEqual(new Set(stored), accepted);

  // The report (rollups) counts exactly the rows.
  const report = await admin(`/v1/surveys/${surveyId}/report`);
  assert.equal(report.status, 200);
  assert.equal(report.body.overall.responses, ANSWERS);
  const detractors = [...byKey.entries()].filter(([i]) => body(surveyId, i).score <= 6).map(([, got]) => got[0].body.id);
  assert.equal(report.body.overall.detractors, detractors.length);

  // Every detractor's response.created arrived, under one webhook-id each, signed.
  const wanted = new Set(detractors);
  const seen = await eventually(() => {
    const ids = new Map();
    for (const r of receiver.requests) {
      const event = JSON.parse(r.body);
      if (event.type === 'response.created' && wanted.has(event.data.id)) {
        ids.set(event.data.id, new Set([...(ids.get(event.data.id) ?? []), r.headers["webhook-id"]]));
      }
    }
    return ids.size === wanted.size ? ids : null;
  }, { timeoutMs: 60_000, what: `${wanted.size} detractor alerts` });
  for (const [id, webhookIds] of seen) assert.equal(webhookIds.size, 1, `one delivery for ${id}`);
  const webhook = new Webhook(hook.body.secret);
  for (const r of receiver.requests.slice(0, 20)) webhook.verify(r.body, r.headers);
  const promoters = receiver.requests.filter((r) => !wanted.has(JSON.parse(r.body).data?.id));
  assert.equal(promoters.length, 0, 'nothing but the detractors');
});

test('storage failing in the middle of a burst: each failed group answers 503, the retries store every answer once', async (t) => {
  const { lockStorage } = await import('../lib/storage.mjs');
  const surveyId = await freshSurvey('outage');
  const raised = await admin(`/v1/surveys/${surveyId}`, { method: 'PATCH', body: { rate_limit_per_minute: 1_000_000 } });
  assert.equal(raised.status, 200);
  const total = 400;
  const refused = [];
  /** Sends answer `i` until it is taken, as the widget's outbox does with its key. */
  const answer = async (i) => {
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const reply = await send(surveyId, i);
      if (reply.status === 201 || reply.status === 200) return reply;
      assert.equal(reply.status, 503, `answer ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
      refused.push(i);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`answer ${i} never taken`);
  };
  let release = () => {};
  t.after(() => release());
  const outage = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    release = lockStorage();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    release();
  })();
  const replies = await pool(Array.from({ length: total }, (_, i) => () => answer(i)), CONCURRENCY);
  await outage;
  t.diagnostic(`${refused.length} answers got a 503 during the outage and were sent again`);
  assert.ok(refused.length > 0, 'the outage hit the burst');
  const ids = new Set(replies.map((r) => r.body.id));
  assert.equal(ids.size, total, 'one answer per key');
  const stored = await storedIds(surveyId);
  assert.equal(stored.length, total, 'no answer stored twice, none lost');
  assert.deepEqual(new Set(stored), ids);
  const report = await admin(`/v1/surveys/${surveyId}/report`);
  assert.equal(report.body.overall.responses, total, 'counted once each');
});
