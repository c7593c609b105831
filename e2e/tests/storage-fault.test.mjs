// Storage unavailable, for real: the test holds SQLite's write lock on the D1 file that
// workerd writes to (e2e/lib/storage.mjs), so the worker's INSERT fails as it would in
// an outage. The answer must then be a 503 problem+json that invites a retry, and the
// retry with the same Idempotency-Key, once storage is back, stores the answer once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, call, freshSurvey } from '../lib/server.mjs';
import { lockStorage } from '../lib/storage.mjs';
import { launch } from '../lib/browser.mjs';
import { BASE_URL } from '../lib/server.mjs';

async function storedAnswers(surveyId) {
  const list = await admin(`/v1/surveys/${surveyId}/responses?limit=100`);
  assert.equal(list.status, 200);
  return list.body.items;
}

function post(surveyId, key, score = 4) {
  return call('/v1/responses', {
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', properties: { store: 'berlin' } }),
  });
}

test('storage down: POST /v1/responses is a 503 problem+json; the same key afterwards stores the answer once', async (t) => {
  const surveyId = await freshSurvey('storage-down');
  const key = `outage-${Date.now()}`;

  const release = lockStorage();
  t.after(release);
  for (let i = 0; i < 3; i++) {
    const r = await post(surveyId, key);
    assert.equal(r.status, 503, `attempt ${i + 1} while storage is down: ${JSON.stringify(r.body)}`);
    assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
    assert.equal(r.body.status, 503);
    assert.equal(typeof r.body.title, 'string');
    assert.match(r.body.detail, /safe to retry/);
    assert.doesNotMatch(JSON.stringify(r.body), /locked|sqlite|SQLITE/i, 'internal causes stay in the log');
  }
  // A different answer, also refused: nothing of an outage is half-stored.
  assert.equal((await post(surveyId, `${key}-other`, 9)).status, 503);
  // The survey itself still shows: its config is in KV, and the rate limiter lets a
  // request it cannot count through rather than hide the widget from every page.
  const config = await call(`/v1/surveys/${surveyId}/config?locale=en`, { method: 'GET' });
  assert.equal(config.status, 200, JSON.stringify(config.body));
  assert.equal(config.body.survey_id, surveyId);
  release();
  assert.deepEqual(await storedAnswers(surveyId), [], 'nothing stored while storage was down');

  const first = await post(surveyId, key);
  assert.equal(first.status, 201);
  const again = await post(surveyId, key);
  assert.equal(again.status, 200, 'a second retry is a replay');
  assert.deepEqual(again.body, first.body);

  const stored = await storedAnswers(surveyId);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].id, first.body.id);
  assert.equal(stored[0].score, 4);
});

test("the widget's retry after a 503 reuses its key, and the answer is stored exactly once", async (t) => {
  const surveyId = await freshSurvey('storage-widget');
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const posts = []; // { key, status } of every POST /v1/responses the widget made
  page.on('response', async (response) => {
    const request = response.request();
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/responses') {
      posts.push({ key: await request.headerValue('idempotency-key'), status: response.status() });
    }
  });
  // The outage begins before the page loads: the survey must still show (its config
  // is in KV), take the answer, keep it, say so, and retry by itself (backoff from
  // 1 s); its "Try again" sends at once.
  const queued = page.getByTestId('nps-queued');
  const retry = queued.getByRole('button');
  const waitForPosts = async (n) => {
    const deadline = Date.now() + 20_000;
    while (posts.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} POSTs, saw ${JSON.stringify(posts)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const release = lockStorage();
  t.after(release);
  await page.goto(`${BASE_URL}/s/${surveyId}?locale=en`);
  await page.getByRole('radio', { name: '4', exact: true }).click();
  await queued.waitFor({ timeout: 20_000 });
  await waitForPosts(2); // the automatic retry: still down, a second 503
  await queued.waitFor({ timeout: 20_000 });
  release();
  const attempts = posts.length;
  // "Try again" sends at once; on a slow machine the next automatic retry (1.6-2.4 s
  // after the second 503) may already have sent it and taken the line away, which
  // the assertions below accept as well (one 201, any other attempt a 200 replay).
  await retry.click({ timeout: 3_000 }).catch(() => {});
  await page.getByRole('textbox').waitFor({ timeout: 20_000 }); // the follow-up question
  await waitForPosts(attempts + 1);

  // While down: only 503s (at least two). Back up: one 201, and any attempt racing it
  // (the timer and the click) is a 200 replay of the same answer.
  const statuses = posts.map((p) => p.status);
  const up = statuses.findIndex((s) => s < 300);
  assert.ok(up >= 2, `two 503s first: ${JSON.stringify(posts)}`);
  assert.ok(statuses.slice(0, up).every((s) => s === 503), JSON.stringify(posts));
  assert.deepEqual(statuses.slice(up).filter((s) => s !== 200), [201], JSON.stringify(posts));
  assert.ok(posts[0].key, 'the widget sends an Idempotency-Key');
  assert.ok(posts.every((p) => p.key === posts[0].key), `one key for every attempt: ${JSON.stringify(posts)}`);

  const stored = await storedAnswers(surveyId);
  assert.equal(stored.length, 1, 'stored exactly once');
  assert.equal(stored[0].score, 4);
  assert.equal(stored[0].channel, 'link');
});
