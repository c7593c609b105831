// The worker killed in the middle of a burst, for real: this test runs a `wrangler dev`
// of its own (the e2e build, a state directory of its own), sends a burst of answers,
// and SIGKILLs wrangler and workerd — the whole process group, the ingest gate's
// Durable Object and the local queue with them — while answers are in flight. It starts
// the worker again on the same state and retries every answer that got no 2xx with its
// Idempotency-Key, as the widget does. Then every answer is stored exactly once, the
// report counts exactly the rows, and every detractor's alert is delivered: the queue
// messages that died with the process are sent again by the cron's sweeper, which
// re-queues a pending delivery once it is overdue (`OVERDUE_AFTER_MS`, two minutes) —
// the test moves the stored deliveries' clock back by that much instead of waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startReceiver } from '../lib/receiver.mjs';
import { d1File } from '../lib/storage.mjs';
import { eventually, pool } from '../lib/server.mjs';

const ANSWERS = 600;
const CONCURRENCY = 30;
/** The worker is killed once this many answers have their reply. */
const KILL_AFTER = 200;
const PORT = Number(new URL(process.env.NPS_BASE_URL ?? 'http://localhost:8790').port) + 29;
const BASE = `http://127.0.0.1:${PORT}`;
const TOKEN = process.env.NPS_ADMIN_TOKEN;
/** The e2e worker (e2e/run.sh's build): its wrangler.toml, build and seed. */
const WORKER_DIR = dirname(dirname(process.env.NPS_SEED_BIN ?? '.'));

function body(surveyId, i) {
  const score = i % 10 < 3 ? i % 7 : 7 + (i % 4);
  return { survey_id: surveyId, score, channel: 'api' };
}

/** Starts `wrangler dev` on `state` in a process group of its own; resolves once it answers. */
async function startWorker(state, log) {
  const out = openSync(log, 'a');
  const child = spawn('wrangler', ['dev', '--port', String(PORT), '--ip', '127.0.0.1',
    '--persist-to', state, '--inspector-port', String(PORT + 1000),
    '--var', `ADMIN_TOKEN:${TOKEN}`, '--var', 'ALLOW_PRIVATE_WEBHOOK_TARGETS:true',
    '--var', 'WEBHOOK_RETRY_SCHEDULE:1,1,1,1', '--test-scheduled',
    '--show-interactive-dev-session=false'], { cwd: WORKER_DIR, detached: true, stdio: ['ignore', out, out] });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}; see ${log}`);
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return child;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer on ${PORT}; see ${log}`);
}

/** SIGKILL to the worker's whole process group: wrangler, workerd, everything in it. */
async function kill(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const r = await fetch(BASE + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* text */ }
  return { status: r.status, body: parsed };
}

/** Posts answer `i` under its key; a dropped connection is a reply of status 0. */
async function send(surveyId, i) {
  try {
    return await api('/v1/responses', { method: 'POST', body: body(surveyId, i), headers: { 'idempotency-key': `crash-${i}` } });
  } catch (e) {
    return { status: 0, body: String(e) };
  }
}

test('the worker killed mid-burst and started again: every answer stored once and every detractor alerted', { timeout: 600_000 }, async (t) => {
  assert.ok(TOKEN && process.env.NPS_SEED_BIN, 'run through e2e/run.sh');
  const state = mkdtempSync(join(tmpdir(), 'nps-crash-'));
  const log = join(state, 'wrangler.log');
  const wrangler = (...args) => execFileSync('wrangler', args, { cwd: WORKER_DIR, stdio: 'ignore' });
  wrangler('d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state);
  wrangler('d1', 'execute', 'DB', '--local', '--persist-to', state, '--file', 'seed/demo.sql');
  let worker = await startWorker(state, log);
  const receiver = await startReceiver();
  t.after(async () => {
    await kill(worker);
    await receiver.close();
    rmSync(state, { recursive: true, force: true });
  });

  const demo = await api('/v1/surveys/s_demo');
  const { id: _i, created_at: _c, updated_at: _u, ...definition } = demo.body;
  const surveyId = `s_crash-${Date.now()}`;
  const made = await api('/v1/surveys', { method: 'POST', body: { ...definition, id: surveyId, name: 'crash', rate_limit_per_minute: 1_000_000 } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const hook = await api('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['response.created'], filter: { categories: ['detractor'], survey_ids: [surveyId] } },
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));

  // The burst, and the kill once KILL_AFTER replies are in.
  let replied = 0;
  let killed = null;
  const first = await pool(Array.from({ length: ANSWERS }, (_, i) => async () => {
    const reply = await send(surveyId, i);
    replied += 1;
    if (replied === KILL_AFTER) killed = kill(worker);
    return reply;
  }), CONCURRENCY);
  await killed;
  const ok = (r) => r.status === 201 || r.status === 200;
  const failed = first.map((r, i) => (ok(r) ? null : i)).filter((i) => i !== null);
  t.diagnostic(`${ANSWERS - failed.length} answers acknowledged before and while the worker was killed, ${failed.length} not`);
  assert.ok(failed.length > 0, 'the kill hit answers in flight');
  assert.ok(failed.length < ANSWERS - KILL_AFTER + CONCURRENCY + 1, 'the answers before the kill were acknowledged');

  // Up again on the same state; the widget's retries, with the same keys.
  worker = await startWorker(state, log);
  const retried = await pool(failed.map((i) => () => send(surveyId, i)), CONCURRENCY);
  retried.forEach((r, n) => assert.ok(ok(r), `retry of crash-${failed[n]}: ${r.status} ${JSON.stringify(r.body)}`));
  const replies = first.map((r, i) => (ok(r) ? r : retried[failed.indexOf(i)]));

  // Exactly once: one row per key, and the rows are the acknowledged answers.
  const db = new DatabaseSync(d1File(state), { readOnly: true });
  const rows = db.prepare('SELECT id, idempotency_key AS key FROM responses WHERE survey_id = ?').all(surveyId);
  db.close();
  assert.equal(rows.length, ANSWERS, 'one row per answer');
  assert.equal(new Set(rows.map((r) => r.key)).size, ANSWERS, 'no key twice');
  assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(replies.map((r) => r.body.id)));
  const report = await api(`/v1/surveys/${surveyId}/report`);
  assert.equal(report.status, 200);
  assert.equal(report.body.overall.responses, ANSWERS);
  const detractors = new Set(replies.filter((r, i) => body(surveyId, i).score <= 6).map((r) => r.body.id));
  assert.equal(report.body.overall.detractors, detractors.size);

  // Alerts: deliveries whose queue message died with the process are overdue once their
  // time is two minutes past; the clock moved back instead of waiting, then the cron.
  const rw = new DatabaseSync(d1File(state));
  rw.exec('PRAGMA busy_timeout = 10000');
  rw.prepare("UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE status = 'pending'").run();
  rw.close();
  await eventually(async () => {
    await fetch(`${BASE}/__scheduled?cron=*+*+*+*+*`);
    const seen = new Set();
    for (const r of receiver.requests) {
      const event = JSON.parse(r.body);
      if (event.type === 'response.created') seen.add(event.data.id);
    }
    return [...detractors].every((id) => seen.has(id));
  }, { timeoutMs: 120_000, everyMs: 500, what: `${detractors.size} detractor alerts` });
  const perAnswer = new Map();
  for (const r of receiver.requests) {
    const event = JSON.parse(r.body);
    if (event.type !== 'response.created') continue;
    assert.ok(detractors.has(event.data.id), 'nothing but detractors');
    perAnswer.set(event.data.id, new Set([...(perAnswer.get(event.data.id) ?? []), r.headers['webhook-id']]));
  }
  for (const [id, ids] of perAnswer) assert.equal(ids.size, 1, `one webhook-id for ${id}`);
});
