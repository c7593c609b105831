// The worker under test (started by e2e/run.sh) and its admin API.
import { createHmac } from 'node:crypto';
import { Agent, setGlobalDispatcher } from 'undici';

// Every request of the tests' own (Node's fetch, here and in the test files) goes on a
// connection of its own, closed after the answer. A kept-alive connection that the
// server closed while the test was busy elsewhere would fail the next request sent on
// it ("fetch failed"); a browser would then resend it, which could repeat a write. The
// browser under test (Chromium) keeps its own connections as it always does.
setGlobalDispatcher(new Agent().compose((dispatch) => (options, handler) => dispatch({ ...options, reset: true }, handler)));

export const BASE_URL = process.env.NPS_BASE_URL ?? 'http://localhost:8790';
const TOKEN = process.env.NPS_ADMIN_TOKEN;

/**
 * A respondent's `user_hash`, as a shop's server computes it with the worker's
 * IDENTITY_SECRET: hex HMAC-SHA256 of the respondent id (or of the e-mail when there
 * is no id), computed here with Node's crypto, not with the worker's code.
 */
export function userHash(subject, secret = process.env.NPS_IDENTITY_SECRET) {
  return createHmac('sha256', secret).update(subject).digest('hex');
}

/** Calls an admin endpoint; returns { status, headers, body } with the body parsed. */
export async function admin(path, { method = 'GET', body } = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * The demo survey's definition: what `GET /v1/surveys/s_demo` shows without the fields
 * the server sets (`id`, `created_at`, `updated_at`), which a create refuses (422).
 */
export async function demoDefinition() {
  const demo = await admin('/v1/surveys/s_demo');
  if (demo.status !== 200) throw new Error(`reading s_demo: ${demo.status}`);
  const { id: _id, created_at: _created, updated_at: _updated, ...definition } = demo.body;
  return definition;
}

/**
 * A new survey, a copy of the demo named `name` with the id `s_<name>-<now>`, so that
 * only the calling test's answers reach it (and its webhooks); returns the id.
 */
export async function freshSurvey(name) {
  const demo = await demoDefinition();
  const id = `s_${name}-${Date.now()}`;
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...demo, id, name } });
  if (created.status !== 201) throw new Error(`creating ${id}: ${created.status} ${JSON.stringify(created.body)}`);
  return id;
}

/** Calls the public API as a script on another site would. */
export async function call(path, { method = 'POST', headers = {}, body } = {}) {
  const response = await fetch(BASE_URL + path, { method, headers, body });
  const text = await response.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Polls `check` until it returns something truthy or `timeoutMs` passes. */
export async function eventually(check, { timeoutMs = 45_000, everyMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs `jobs` (functions returning promises) `limit` at a time; their results in order. */
export async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}
