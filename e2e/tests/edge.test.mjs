// Public reads at the edge: a known survey's config and hosted page run no D1 query
// (the worker's X-D1-Queries header, counted by store::metered on every response), a
// made-up id reads D1 at most once, and a flood of config reads, page views or comments
// from one client is refused by the Workers Rate Limiting binding (PUBLIC_LIMITER, as
// wrangler dev simulates it) while other clients and surveys go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BASE_URL, admin, demoDefinition, freshSurvey } from '../lib/server.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** PUBLIC_LIMITER's limit per minute, as the worker under test was configured. */
function floodLimit() {
  const dir = process.env.E2E_WORKER_DIR ?? fileURLToPath(new URL('../build', import.meta.url));
  const toml = readFileSync(`${dir}/wrangler.toml`, 'utf8');
  const limiter = toml.match(/name = "PUBLIC_LIMITER"[^[]*simple = \{ limit = (\d+), period = 60 \}/);
  assert.ok(limiter, 'wrangler.toml configures PUBLIC_LIMITER');
  return Number(limiter[1]);
}

const queries = (response) => response.headers.get('x-d1-queries');

function config(id, ip, headers = {}) {
  return fetch(`${BASE_URL}/v1/surveys/${id}/config`, { headers: { 'cf-connecting-ip': ip, ...headers } });
}

async function assert429(response) {
  assert.equal(response.status, 429);
  assert.match(response.headers.get('content-type'), /^application\/problem\+json/);
  const seconds = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${seconds}`);
  const body = await response.json();
  assert.equal(body.status, 429);
  assert.equal(body.type, '/problems/too-many-requests');
  return body;
}

/** Waits for the next minute when less than 20 s of this one are left (the binding's windows are wall-clock minutes under wrangler dev). */
async function freshWindow() {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await sleep(left + 250);
}

/** Sends until the first 429; a window may roll over once on the way. */
async function untilLimited(send, limit, allowedStatus) {
  let allowed = 0;
  for (let i = 0; i < 2 * limit + 2; i += 1) {
    const response = await send();
    if (response.status === 429) return { response, allowed };
    assert.equal(response.status, allowedStatus, `request ${i + 1}`);
    await response.body?.cancel();
    allowed += 1;
  }
  throw new Error(`no 429 after ${2 * limit + 2} requests with a limit of ${limit}`);
}

test('config reads and the hosted page of a known survey run no D1 query; a made-up id at most one', async () => {
  const id = await freshSurvey('edge-reads');
  for (let i = 0; i < 20; i += 1) {
    const response = await config(id, `198.18.0.${i + 1}`);
    assert.equal(response.status, 200);
    assert.equal((await response.json()).survey_id, id);
    assert.equal(queries(response), '0', `config read ${i + 1}`);
  }
  const page = await fetch(`${BASE_URL}/s/${id}`, { headers: { 'cf-connecting-ip': '198.18.1.1' } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), new RegExp(id));
  assert.equal(queries(page), '0', 'the hosted page');
  // The header counts for real: an admin list reads D1.
  const listed = await admin('/v1/surveys');
  assert.equal(listed.status, 200);
  assert.ok(Number(listed.headers.get('x-d1-queries')) >= 1, 'a list of surveys reads D1');

  // A made-up id: D1 is asked once, then the isolate remembers it is absent.
  const madeUp = `s_made-up-${Date.now()}`;
  const first = await config(madeUp, '198.18.2.1');
  assert.equal(first.status, 404);
  assert.equal(queries(first), '1');
  for (let i = 0; i < 5; i += 1) {
    const again = await config(madeUp, '198.18.2.1');
    assert.equal(again.status, 404);
    assert.equal(queries(again), '0', `asked again (${i + 1})`);
  }
  // Something that cannot be a survey id is never looked up.
  const malformed = await config('not-a-survey', '198.18.2.1');
  assert.equal(malformed.status, 404);
  assert.equal(queries(malformed), '0');
  // A survey created under an id that was asked for before is found at once.
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...(await demoDefinition()), id: madeUp } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const found = await config(madeUp, '198.18.2.1');
  assert.equal(found.status, 200);
  assert.equal(queries(found), '0');
});

test('a flood of config reads from one client gets 429 from the binding, while another client and another survey get 200', async (t) => {
  const limit = floodLimit();
  const id = await freshSurvey('edge-flood');
  const other = await freshSurvey('edge-flood-other');
  await freshWindow();
  const flooder = '203.0.113.77';
  const { response, allowed } = await untilLimited(() => config(id, flooder), limit, 200);
  assert.ok(allowed >= limit, `${allowed} allowed before the 429, limit ${limit}`);
  assert.equal(queries(response), '0', 'the refusal cost no D1 query (no counter row)');
  const body = await assert429(response);
  assert.match(body.detail, new RegExp(id));
  // A page on an allowed origin can read the 429, its Retry-After and the query count.
  const cors = await config(id, flooder, { origin: 'http://localhost:3000' });
  assert.equal(cors.headers.get('access-control-allow-origin'), 'http://localhost:3000');
  assert.match(cors.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  assert.match(cors.headers.get('access-control-expose-headers') ?? '', /X-D1-Queries/);
  await assert429(cors);
  // The hosted page of the same survey counts on the same key.
  const page = await fetch(`${BASE_URL}/s/${id}`, { headers: { 'cf-connecting-ip': flooder } });
  assert.equal(page.status, 429);
  await page.body?.cancel();
  // The same client's other survey is not affected.
  const otherSurvey = await config(other, flooder);
  assert.equal(otherSurvey.status, 200);
  await otherSurvey.body?.cancel();
  const otherClient = await config(id, '203.0.113.78');
  if (otherClient.status === 429) {
    t.skip('wrangler dev does not pass CF-Connecting-IP through');
    return;
  }
  assert.equal(otherClient.status, 200);
  assert.equal(queries(otherClient), '0');
});

test('made-up answer ids in comments are refused by the binding before any D1 read', async () => {
  const limit = floodLimit();
  await freshWindow();
  const guesser = '203.0.113.99';
  const comment = () => fetch(`${BASE_URL}/v1/responses/r_made-up-${Math.random().toString(36).slice(2)}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': guesser },
    body: JSON.stringify({ edit_token: 'guess', comment: 'hello' }),
  });
  const { response, allowed } = await untilLimited(comment, limit, 404);
  assert.ok(allowed >= limit, `${allowed} allowed before the 429, limit ${limit}`);
  await assert429(response);
  assert.equal(queries(response), '0', 'past the limit a made-up id costs no D1 read');
});
