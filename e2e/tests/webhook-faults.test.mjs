// Webhook receivers that misbehave, side by side with a healthy one, on the real queue:
// one is down (connection refused), one is slow (answers after the worker's 10 s send
// timeout, twice, then at once), one redirects (3xx: never followed, a failure that is
// retried), one fails (500). Each of their deliveries ends delivered or failed (and
// dead-lettered) with every attempt logged, nothing is lost, and the healthy receiver
// gets each event exactly once, whatever the others do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { admin, call, eventually, demoDefinition } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

/** The worker gives up on a receiver after this long (TIMEOUT_MS in worker/src/delivery.rs). */
const SEND_TIMEOUT_MS = 10_000;
/** The e2e retry schedule (e2e/run.sh) is 1,1,1,1: five attempts in all. */
const ATTEMPTS = 5;

/** A receiver that answers the first `slowTimes` requests of each webhook-id late. */
async function startSlowReceiver(slowTimes) {
  const requests = [];
  const seen = new Map();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      requests.push({ id, at: Date.now() });
      // Far beyond the timeout: the worker gives up first, whatever the machine's speed.
      const delay = n <= slowTimes ? SEND_TIMEOUT_MS * 3 : 0;
      const timer = setTimeout(() => { if (!res.destroyed) { res.writeHead(204); res.end(); } }, delay);
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/slow`,
    requests,
    close: () => { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); },
  };
}

/** A receiver that redirects every request to `location`. */
async function startRedirector(location) {
  const requests = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ id: req.headers['webhook-id'] });
      res.writeHead(307, { location });
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/moved`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A loopback URL where nothing listens (a port taken and given back). */
async function refusedUrl() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/hooks/down`;
}

async function deliveriesOf(hookId) {
  const r = await admin(`/v1/webhooks/${hookId}/deliveries?limit=50`);
  assert.equal(r.status, 200);
  return r.body.items;
}

test('down, slow, redirecting and failing receivers lose nothing; a healthy one gets each event once', { timeout: 300_000 }, async (t) => {
  const demo = await demoDefinition();
  const surveyId = `s_faults-${Date.now()}`;
  assert.equal((await admin('/v1/surveys', { method: 'POST', body: { ...demo, id: surveyId, name: 'faults' } })).status, 201);

  const healthy = await startReceiver();
  const SCORES = [1, 8, 10];
  // Statuses count over all its requests: every attempt of every delivery fails.
  const failing = await startReceiver({ statuses: Array(SCORES.length * ATTEMPTS).fill(500) });
  const slow = await startSlowReceiver(2);
  // The redirect points at the healthy receiver: following it would deliver there.
  const redirecting = await startRedirector(`${healthy.url}?redirected=1`);
  const down = await refusedUrl();
  const receivers = [healthy, failing, slow, redirecting];

  const hooks = {};
  for (const [name, url] of [['healthy', healthy.url], ['failing', failing.url], ['slow', slow.url],
    ['redirecting', redirecting.url], ['down', down]]) {
    const r = await admin('/v1/webhooks', {
      method: 'POST', body: { url, events: ['response.created'], filter: { survey_ids: [surveyId] }, description: `faults: ${name}` },
    });
    assert.equal(r.status, 201);
    hooks[name] = r.body;
  }
  t.after(async () => {
    for (const hook of Object.values(hooks)) await admin(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
    for (const r of receivers) await r.close();
  });

  const answers = [];
  for (const score of SCORES) {
    const r = await call('/v1/responses', {
      headers: { 'content-type': 'application/json', 'idempotency-key': `faults-${surveyId}-${score}` },
      body: JSON.stringify({ survey_id: surveyId, score, channel: 'api' }),
    });
    assert.equal(r.status, 201);
    answers.push(r.body.id);
  }

  // Wait until every delivery of every endpoint has settled.
  const settled = await eventually(async () => {
    const all = {};
    for (const [name, hook] of Object.entries(hooks)) {
      const items = await deliveriesOf(hook.id);
      if (items.length < answers.length || items.some((d) => d.status === 'pending')) return null;
      all[name] = items;
    }
    return all;
  }, { timeoutMs: 240_000, everyMs: 1000, what: 'every delivery to be delivered or failed' });

  // Nothing lost: one delivery per answer and endpoint, each about its own answer.
  for (const [name, items] of Object.entries(settled)) {
    assert.equal(items.length, answers.length, `${name}: one delivery per answer`);
    const about = items.map((d) => JSON.parse(d.payload).data.id).sort();
    assert.deepEqual(about, [...answers].sort(), `${name}: a delivery for every answer`);
    for (const d of items) {
      assert.equal(d.event_type, 'response.created');
      assert.deepEqual(d.attempts.map((a) => a.attempt), d.attempts.map((_, k) => k + 1), `${name}: attempts numbered in order`);
    }
  }

  // The healthy receiver: delivered at the first attempt, each webhook-id exactly once.
  for (const d of settled.healthy) {
    assert.equal(d.status, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status_code), [204]);
  }
  // Failing (500) and redirecting (307, not followed): every attempt logged, then failed.
  for (const [name, code] of [['failing', 500], ['redirecting', 307]]) {
    for (const d of settled[name]) {
      assert.equal(d.status, 'failed', `${name} ends failed (dead-lettered)`);
      assert.deepEqual(d.attempts.map((a) => a.status_code), Array(ATTEMPTS).fill(code), name);
      assert.equal(d.next_attempt_at, null);
    }
  }
  assert.equal(failing.requests.length, answers.length * ATTEMPTS, 'the failing receiver saw every attempt');
  assert.equal(redirecting.requests.length, answers.length * ATTEMPTS, 'the redirecting receiver saw every attempt');
  // Down: no response at all, the error logged for each attempt.
  for (const d of settled.down) {
    assert.equal(d.status, 'failed');
    assert.equal(d.attempts.length, ATTEMPTS);
    for (const a of d.attempts) {
      assert.equal(a.status_code, null);
      assert.ok(a.error, 'a refused connection is logged with its error');
    }
  }
  // Slow: two attempts timed out (logged as errors after about the timeout), the third delivered.
  for (const d of settled.slow) {
    assert.equal(d.status, 'delivered');
    assert.deepEqual(d.attempts.map((a) => a.status_code), [null, null, 204]);
    for (const a of d.attempts.slice(0, 2)) {
      assert.ok(a.error, 'a timeout is logged with its error');
      assert.ok(a.latency_ms >= SEND_TIMEOUT_MS - 1000, `the attempt waited for the timeout (${a.latency_ms} ms)`);
    }
  }
  assert.equal(slow.requests.length, answers.length * 3);

  // Give a stray retry or a followed redirect time to show up, then count.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const ids = healthy.requests.map((r) => r.headers['webhook-id']);
  assert.equal(ids.length, answers.length, `the healthy receiver got ${ids.length} requests`);
  assert.deepEqual([...ids].sort(), settled.healthy.map((d) => d.id).sort(), 'each event once, by webhook-id');
  assert.ok(healthy.requests.every((r) => r.url === '/hooks/nps'), 'the redirect was never followed');
  const webhook = new Webhook(hooks.healthy.secret);
  for (const r of healthy.requests) webhook.verify(r.body, r.headers);
});
