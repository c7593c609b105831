// What bad requests get: a clear RFC 9457 problem+json with the right status, and
// nothing stored. And an Idempotency-Key stores an answer once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, call, userHash } from '../lib/server.mjs';

const json = { 'content-type': 'application/json' };

function assertProblem(response, status) {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(response.body.status, status);
  assert.equal(typeof response.body.title, 'string');
  assert.match(response.body.type, /^\/problems\//);
}

test('a score of 11 is a 422 that names the score field', async () => {
  const r = await call('/v1/responses', { headers: json, body: JSON.stringify({ survey_id: 's_demo', score: 11 }) });
  assertProblem(r, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field), ['score']);
});

test('malformed JSON is 400, another media type 415, an oversized body 413', async () => {
  assertProblem(await call('/v1/responses', { headers: json, body: '{"survey_id": "s_demo", "score": ' }), 400);
  assertProblem(await call('/v1/responses', { headers: { 'content-type': 'text/plain' }, body: 'score=3' }), 415);
  const huge = JSON.stringify({ survey_id: 's_demo', score: 3, comment: 'x'.repeat(20_000) });
  assertProblem(await call('/v1/responses', { headers: json, body: huge }), 413);
});

test('an unknown survey is 404 and an unknown path too', async () => {
  assertProblem(await call('/v1/responses', { headers: json, body: JSON.stringify({ survey_id: 's_nope', score: 3 }) }), 404);
  assertProblem(await call('/v1/surveys/s_nope/config', { method: 'GET' }), 404);
  assertProblem(await call('/v2/anything', { method: 'GET' }), 404);
});

test('a page on an origin the survey does not allow gets a 403 it cannot read', async () => {
  const body = JSON.stringify({ survey_id: 's_demo', score: 3 });
  const r = await call('/v1/responses', { headers: { ...json, origin: 'https://evil.example' }, body });
  assertProblem(r, 403);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const ok = await call('/v1/surveys/s_demo/config', { method: 'GET', headers: { origin: 'http://localhost:3000' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000');
  const preflight = await call('/v1/responses', {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get('access-control-allow-headers'), /Idempotency-Key/);
});

test('admin endpoints want a credential: 401 without one and when it is wrong', async () => {
  const without = await call('/v1/surveys', { method: 'GET' });
  assertProblem(without, 401);
  const wrong = await call('/v1/surveys', { method: 'GET', headers: { authorization: 'Bearer nope' } });
  assertProblem(wrong, 401);
  const right = await admin('/v1/surveys');
  assert.equal(right.status, 200);
  assert.ok(right.body.some((s) => s.id === 's_demo'));
});

test('the same Idempotency-Key stores one answer and replays the same body', async () => {
  const marker = `idem-${Date.now()}`;
  const request = {
    headers: { ...json, 'idempotency-key': marker },
    body: JSON.stringify({ survey_id: 's_demo', score: 8, channel: 'api', properties: { marker } }),
  };
  const first = await call('/v1/responses', request);
  const second = await call('/v1/responses', request);
  assert.equal(first.status, 201);
  assert.equal(second.status, 200);
  assert.deepEqual(second.body, first.body);
  assert.equal(first.body.category, 'passive');

  const list = await admin('/v1/surveys/s_demo/responses?category=passive&limit=200');
  assert.equal(list.body.items.filter((r) => r.properties.marker === marker).length, 1);

  const reused = await call('/v1/responses', { ...request, body: JSON.stringify({ survey_id: 's_demo', score: 1 }) });
  assertProblem(reused, 409);
});

test('the comment is added with the edit token, and refused without it', async () => {
  const created = await call('/v1/responses', { headers: json, body: JSON.stringify({ survey_id: 's_demo', score: 4 }) });
  assert.equal(created.status, 201);
  const path = `/v1/responses/${created.body.id}`;
  const wrong = await call(path, { method: 'PATCH', headers: json, body: JSON.stringify({ edit_token: 'nope', comment: 'x' }) });
  assertProblem(wrong, 403);
  const right = await call(path, {
    method: 'PATCH', headers: json, body: JSON.stringify({ edit_token: created.body.edit_token, comment: 'Too slow' }),
  });
  assert.equal(right.status, 200);
  assert.equal(right.body.comment, 'Too slow');
});

test('one person is asked once per survey within its throttle days, across channels', async () => {
  const email = `throttle-${Date.now()}@example.com`;
  const answer = (channel, key, who) => call('/v1/responses', {
    headers: { ...json, 'idempotency-key': key },
    body: JSON.stringify({ survey_id: 's_demo', score: 8, channel, respondent: { ...who, user_hash: userHash(who.email) } }),
  });
  const first = await answer('web', `${email}-1`, { email });
  assert.equal(first.status, 201);
  assert.equal((await answer('web', `${email}-1`, { email })).status, 200, 'a replay is still a replay');
  const again = await answer('email', `${email}-2`, { email: email.toUpperCase() });
  assertProblem(again, 409);
  assert.match(again.body.detail, /already answered this survey in the last 90 days/);
  assert.equal((await answer('api', `${email}-3`, { email: `other-${email}` })).status, 201);
});
