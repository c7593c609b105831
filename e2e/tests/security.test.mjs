// Rate limits (429 + Retry-After, per client and survey, recovering after the
// window; the admin lock-out after failed authentications) and the security headers
// of every page the worker serves as HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, admin, demoDefinition } from '../lib/server.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function copyOfDemo(id, over = {}) {
  const demo = await demoDefinition();
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...demo, id, ...over } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

function answer(surveyId, ip) {
  return fetch(`${BASE_URL}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(ip ? { 'cf-connecting-ip': ip } : {}) },
    body: JSON.stringify({ survey_id: surveyId, score: 8, channel: 'api' }),
  });
}

async function assert429(response) {
  assert.equal(response.status, 429);
  assert.match(response.headers.get('content-type'), /^application\/problem\+json/);
  const seconds = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${seconds}`);
  const body = await response.json();
  assert.equal(body.status, 429);
  assert.equal(body.type, '/problems/too-many-requests');
  return seconds;
}

/**
 * Waits for the next UTC minute when less than 15 s of this one are left: the limits
 * count per minute (the worker shares this clock), and the request right after a 429
 * must still fall in the same window to be refused too.
 */
async function freshWindow() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await sleep(left + 250);
}

/** Sends until the first 429 (a window may roll over once on the way). */
async function untilLimited(send, limit) {
  let allowed = 0;
  for (let i = 0; i < 2 * limit + 2; i += 1) {
    const response = await send();
    if (response.status === 429) return { response, allowed };
    assert.equal(response.status, 201, `request ${i + 1}`);
    allowed += 1;
  }
  throw new Error(`no 429 after ${2 * limit + 2} requests with a limit of ${limit}`);
}

test('a survey with a low limit answers 429 with Retry-After, and recovers after the window', async () => {
  const id = `s_limited-${Date.now()}`;
  const survey = await copyOfDemo(id, { rate_limit_per_minute: 3 });
  assert.equal(survey.rate_limit_per_minute, 3);
  await freshWindow();
  const { response, allowed } = await untilLimited(() => answer(id), 3);
  assert.ok(allowed >= 3, `${allowed} allowed before the 429`);
  const seconds = await assert429(response);
  // Answers are counted in the ingest gate, per client and survey. A page on an
  // allowed origin can read the 429 and its Retry-After.
  const again = await fetch(`${BASE_URL}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
    body: JSON.stringify({ survey_id: id, score: 8, channel: 'api' }),
  });
  assert.equal(again.headers.get('access-control-allow-origin'), 'http://localhost:3000');
  assert.match(again.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  await assert429(again);
  // Nothing of the refused requests was stored.
  const stored = await admin(`/v1/surveys/${id}/responses?limit=100`);
  assert.equal(stored.body.items.length, allowed);
  // Another survey is not affected.
  assert.equal((await fetch(`${BASE_URL}/v1/surveys/s_demo/config`)).status, 200);
  await sleep((seconds + 1) * 1000);
  assert.equal((await answer(id)).status, 201, 'allowed again after Retry-After');
});

test("a comment counts against its answer's survey: 429 once the limit is used, and nothing changes", async () => {
  const id = `s_commented-${Date.now()}`;
  await copyOfDemo(id, { rate_limit_per_minute: 2 });
  await freshWindow();
  // The answer is counted in the ingest gate; comments (and config reads) are counted
  // together apart from it.
  const created = await answer(id);
  assert.equal(created.status, 201);
  const { id: responseId, edit_token } = await created.json();
  const comment = (text) => fetch(`${BASE_URL}/v1/responses/${responseId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ edit_token, comment: text }),
  });
  assert.equal((await comment('Slow')).status, 200); // request 1
  assert.equal((await comment('Fast')).status, 200); // request 2
  await assert429(await comment('Fast, friendly')); // request 3: over the limit
  const stored = await admin(`/v1/surveys/${id}/responses?limit=10`);
  assert.equal(stored.body.items[0].comment, 'Fast', 'the refused comment changed nothing');
});

test('a survey limit can be raised with PATCH and shows in the survey', async () => {
  const id = `s_raised-${Date.now()}`;
  await copyOfDemo(id, { rate_limit_per_minute: 1 });
  const patched = await admin(`/v1/surveys/${id}`, { method: 'PATCH', body: { rate_limit_per_minute: 1000000 } });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.rate_limit_per_minute, 1000000);
  for (let i = 0; i < 5; i += 1) assert.equal((await answer(id)).status, 201);
  const invalid = await admin(`/v1/surveys/${id}`, { method: 'PATCH', body: { rate_limit_per_minute: 0 } });
  assert.equal(invalid.status, 422);
});

test('clients are told apart by CF-Connecting-IP; failed admin authentications lock a client out', async (t) => {
  const id = `s_clients-${Date.now()}`;
  await copyOfDemo(id, { rate_limit_per_minute: 1 });
  await freshWindow();
  const first = await untilLimited(() => answer(id, '198.51.100.1'), 1);
  await assert429(first.response);
  const other = await answer(id, '198.51.100.2');
  if (other.status === 429) {
    // The local proxy replaced the header; on Cloudflare it is the client's address.
    t.skip('wrangler dev does not pass CF-Connecting-IP through');
    return;
  }
  assert.equal(other.status, 201);

  const guesser = { 'cf-connecting-ip': '198.51.100.66' };
  const limit = Number(process.env.NPS_ADMIN_AUTH_FAILURES_PER_MINUTE ?? 30);
  let locked = null;
  await freshWindow();
  for (let i = 0; i < 2 * limit + 2 && !locked; i += 1) {
    const r = await fetch(`${BASE_URL}/v1/surveys`, { headers: { ...guesser, authorization: `Bearer guess-${i}` } });
    if (r.status === 429) locked = r;
    else assert.equal(r.status, 401);
  }
  assert.ok(locked, 'the guesser was locked out');
  await assert429(locked);
  // The right token gets in all the same: someone guessing from the admin's network
  // (a shared NAT) cannot lock the admin out.
  const right = await fetch(`${BASE_URL}/v1/surveys`, {
    headers: { ...guesser, authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` },
  });
  assert.equal(right.status, 200);
  const wrong = await fetch(`${BASE_URL}/v1/surveys`, {
    headers: { ...guesser, authorization: 'Bearer still-guessing' },
  });
  assert.equal(wrong.status, 429, 'a wrong token stays locked out');
  // Everyone else goes on.
  assert.equal((await admin('/v1/surveys')).status, 200);
});

test('the hosted page: CSP with frame-ancestors from the survey, nosniff, no referrer', async () => {
  const id = `s_framed-${Date.now()}`;
  await copyOfDemo(id, { allowed_origins: ['https://shop.example', 'https://*.shop.example'] });
  const response = await fetch(`${BASE_URL}/s/${id}`);
  assert.equal(response.status, 200);
  const csp = response.headers.get('content-security-policy');
  assert.match(csp, /frame-ancestors 'self' https:\/\/shop\.example https:\/\/\*\.shop\.example(;|$)/);
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  const missing = await fetch(`${BASE_URL}/s/s_nope-nope`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-security-policy'), /frame-ancestors 'none'/);
});

test('the dashboard and the demo pages carry security headers', async () => {
  const dashboard = await fetch(`${BASE_URL}/dashboard`);
  assert.equal(dashboard.status, 200);
  const csp = dashboard.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/, 'no inline script on the dashboard');
  assert.equal(dashboard.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(!(await dashboard.text()).match(/<script(?![^>]*\bsrc=)[^>]*>/), 'the dashboard has no inline script');
  for (const path of ['/demo', '/demo/strict', '/demo/triggers']) {
    const page = await fetch(BASE_URL + path);
    assert.equal(page.status, 200, path);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'self'/, path);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok(page.headers.get('referrer-policy'), path);
  }
});

test('every API answer says nosniff: JSON, problem+json, CSV, the preflight', async () => {
  const answered = await answer('s_demo', '198.51.100.9');
  const answers = [
    ['POST /v1/responses', answered],
    ['GET /v1/surveys', await fetch(`${BASE_URL}/v1/surveys`, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } })],
    ['401', await fetch(`${BASE_URL}/v1/surveys`)],
    ['404', await fetch(`${BASE_URL}/v1/nothing-here`)],
    ['405', await fetch(`${BASE_URL}/healthz`, { method: 'DELETE' })],
    ['config', await fetch(`${BASE_URL}/v1/surveys/s_demo/config`)],
    ['export.csv', await fetch(`${BASE_URL}/v1/surveys/s_demo/export.csv`, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } })],
    ['preflight', await fetch(`${BASE_URL}/v1/responses`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8790', 'access-control-request-method': 'POST' } })],
  ];
  for (const [what, response] of answers) {
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', `${what} (${response.status})`);
    await response.body?.cancel();
  }
  assert.equal(answered.status, 201);
});

test('a survey definition with a key the server does not know is a 422 naming it, and nothing changes', async () => {
  const before = (await admin('/v1/surveys/s_demo')).body;
  // A misspelled setting must not be dropped in silence (the old behaviour stays on).
  const typo = await admin('/v1/surveys/s_demo', {
    method: 'PATCH', body: { throttle: { days: 1, dismissed_days: 1, weeks: 2 }, theme: { ...before.theme, colour: '#000' } },
  });
  assert.equal(typo.status, 422, JSON.stringify(typo.body));
  assert.deepEqual(typo.body.errors.map((e) => e.field).sort(), ['theme.colour', 'throttle.weeks']);
  assert.deepEqual((await admin('/v1/surveys/s_demo')).body.throttle, before.throttle);
  // A survey as GET shows it is not a definition: the fields the server sets are named.
  const id = `s_copy-${Date.now()}`;
  const copied = await admin('/v1/surveys', { method: 'POST', body: { ...before, id } });
  assert.equal(copied.status, 422, JSON.stringify(copied.body));
  assert.deepEqual(copied.body.errors.map((e) => e.field).sort(), ['created_at', 'updated_at']);
  assert.equal((await admin(`/v1/surveys/${id}`)).status, 404);
});
