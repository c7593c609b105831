// Hostile input: a corpus of bad requests against every endpoint that takes input.
// Each must get a 4xx application/problem+json with type/title/status — never a 5xx —
// and afterwards the worker still answers and nothing of the corpus was stored.
//
// The corpus runs against its own survey (with a high rate limit, so that the corpus
// measures validation, not the limiter) and, where a case is about s_demo, s_demo.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, admin, demoDefinition } from '../lib/server.mjs';

const TOKEN = process.env.NPS_ADMIN_TOKEN;
const SURVEY = `s_hostile-${Date.now()}`;
const JSON_TYPE = 'application/json';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A valid answer, to be broken in one way per case. */
const answer = (over = {}) => ({ survey_id: SURVEY, score: 3, channel: 'api', ...over });

const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);
// A thousand properties (within the 16 KiB body limit, so that their count is what is refused).
const manyProperties = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, 'x']));
const injections = [
  "s_demo' OR '1'='1",
  's_demo"; DROP TABLE responses; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${7*7}{{7*7}}',
];

/** Bodies that are wrong whatever the endpoint: [name, body, expected statuses]. */
const brokenBodies = [
  ['malformed JSON', '{"survey_id": "s_demo", "score": ', [400]],
  ['truncated JSON', JSON.stringify(answer()).slice(0, 20), [400]],
  ['an empty body', '', [400]],
  ['a lone comma', ',', [400]],
  ['trailing garbage', JSON.stringify(answer()) + '}}', [400]],
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"survey_id":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('","score":3}')]), [400]],
  ['a raw NUL byte', Buffer.concat([Buffer.from('{"survey_id":"s_demo'), Buffer.from([0]), Buffer.from('","score":3}')]), [400]],
  ['a lone surrogate escape', '{"survey_id":"\\ud800","score":3}', [400, 422]],
  ['deeply nested arrays', nested(8000), [400]],
  ['deeply nested objects', '{"a":'.repeat(2500) + '1' + '}'.repeat(2500), [400]],
  ['a duplicate key (the last would win)', `{"survey_id":"${SURVEY}","score":3,"score":10,"channel":"api"}`, [400]],
  ['a duplicate key in a nested object', `{"survey_id":"${SURVEY}","score":3,"respondent":{"id":"a","id":"b"}}`, [400]],
  ['a body over 16 KiB', JSON.stringify(answer({ comment: 'x'.repeat(20_000) })), [413]],
  ['JSON null', 'null', [422]],
  ['a JSON array', '[1,2,3]', [422]],
  ['a JSON string', '"hello"', [422]],
  ['a JSON number', '42', [422]],
];

/** [name, body, expected] for POST /v1/responses beyond the generic ones. */
const badAnswers = [
  ['score as a string', answer({ score: '3' }), 422],
  ['score as a float', answer({ score: 3.5 }), 422],
  ['score negative', answer({ score: -1 }), 422],
  ['score 11', answer({ score: 11 }), 422],
  ['score huge', answer({ score: 1e308 }), 422],
  ['score true', answer({ score: true }), 422],
  ['score null', answer({ score: null }), 422],
  ['score an array', answer({ score: [3] }), 422],
  ['score missing', { survey_id: SURVEY }, 422],
  ['survey_id a number', answer({ survey_id: 7 }), 422],
  ['survey_id missing', { score: 3 }, 422],
  ['an unknown survey', answer({ survey_id: 's_does-not-exist' }), 404],
  ['an unknown field', answer({ admin: true }), 422],
  ['channel unknown', answer({ channel: 'sms' }), 422],
  ['locale garbage', answer({ locale: 'en_US; DROP' }), 422],
  ['page_url javascript:', answer({ page_url: 'javascript:alert(1)' }), 422],
  ['respondent a string', answer({ respondent: 'kim' }), 422],
  ['respondent email invalid', answer({ respondent: { email: 'kim@' } }), 422],
  ['respondent id with NUL', answer({ respondent: { id: 'cust\u000042' } }), 422],
  ['properties an array', answer({ properties: ['a'] }), 422],
  ['a thousand properties', answer({ properties: manyProperties }), 422],
  ['a property value nested', answer({ properties: { store: { a: 1 } } }), 422],
  ['a property value with NUL', answer({ properties: { store: 'ber\u0000lin' } }), 422],
  ['a property name with script', answer({ properties: { '<script>': 'x' } }), 422],
  ['a comment with NUL', answer({ comment: 'late\u0000parcel' }), 422],
  ['a comment over 2000 characters', answer({ comment: 'x'.repeat(2001) }), 422],
  ['a forged invitation token', answer({ channel: 'email', token: 'v1.eyJzIjoic19kZW1vIn0.AAAA' }), 403],
  ['a garbage invitation token', answer({ token: '\u0000\u0001' }), [403, 422]],
  ['a token of 2000 characters', answer({ token: 'v1.' + 'A'.repeat(2000) }), 422],
  ...injections.map((s, i) => [`injection in survey_id #${i}`, answer({ survey_id: s }), 422]),
  ...injections.map((s, i) => [`injection in channel #${i}`, answer({ channel: s }), 422]),
];

/** Builds the whole corpus: [{ name, method, path, headers, body, expected }]. */
function corpus() {
  const cases = [];
  const add = (name, method, path, headers, body, expected) =>
    cases.push({ name, method, path, headers, body, expected: [expected].flat() });
  const bodyEndpoints = [
    ['POST', '/v1/responses', {}],
    ['PATCH', '/v1/responses/r_0000000000000000000000000', {}],
    ['POST', '/v1/surveys', auth],
    ['PATCH', `/v1/surveys/${SURVEY}`, auth],
    ['POST', '/v1/webhooks', auth],
    ['POST', '/v1/invitations', auth],
    ['PATCH', '/v1/cases/c_0000000000000000000000000', auth],
  ];
  for (const [method, path, headers] of bodyEndpoints) {
    for (const [name, body, expected] of brokenBodies) {
      // PATCH of an unknown answer or case may say 404 once the body parses.
      const ok = /_0000/.test(path) && expected.includes(422) ? [...expected, 404] : expected;
      add(`${method} ${path}: ${name}`, method, path, { 'content-type': JSON_TYPE, ...headers }, body, ok);
    }
    for (const [type, expected] of [
      [undefined, 415], ['text/plain', 415], ['application/x-www-form-urlencoded', 415],
      ['multipart/form-data; boundary=x', 415], ['application/xml', 415], ['application/jsonx', 415],
    ]) {
      const h = { ...headers };
      if (type) h['content-type'] = type;
      add(`${method} ${path}: media type ${type ?? 'missing'}`, method, path, h, JSON.stringify(answer()), expected);
    }
  }
  // JSON.stringify would write 1e1 as 10: these are raw.
  for (const [name, raw] of [['score as exponent', '1e1'], ['score as 3.0', '3.0'], ['score as -0', '-0.0'], ['score as hex', '0x3']]) {
    add(`POST /v1/responses: ${name}`, 'POST', '/v1/responses', { 'content-type': JSON_TYPE },
      `{"survey_id":"${SURVEY}","score":${raw},"channel":"api"}`, name === 'score as hex' ? 400 : 422);
  }
  for (const [name, body, expected] of badAnswers) {
    add(`POST /v1/responses: ${name}`, 'POST', '/v1/responses', { 'content-type': JSON_TYPE }, JSON.stringify(body), expected);
  }
  // Comments: an unknown answer, or a wrong edit token for a real one (added in `before`).
  add('PATCH unknown answer', 'PATCH', '/v1/responses/r_nope', { 'content-type': JSON_TYPE },
    JSON.stringify({ edit_token: 'x', comment: 'hi' }), 404);
  add('PATCH an answer with an injection id', 'PATCH', `/v1/responses/${encodeURIComponent("r_1' OR 1=1 --")}`,
    { 'content-type': JSON_TYPE }, JSON.stringify({ edit_token: 'x', comment: 'hi' }), 404);
  add('PATCH edit_token a number', 'PATCH', '/v1/responses/r_nope', { 'content-type': JSON_TYPE },
    JSON.stringify({ edit_token: 5, comment: 'hi' }), [404, 422]);
  // Admin bodies with wrong types and values.
  const survey = (over) => JSON.stringify({ name: 'x', default_locale: 'en', texts: {}, ...over });
  add('POST survey: texts a string', 'POST', '/v1/surveys', { 'content-type': JSON_TYPE, ...auth }, survey({ texts: 'en' }), 422);
  add('POST survey: id with injection', 'POST', '/v1/surveys', { 'content-type': JSON_TYPE, ...auth }, survey({ id: "s_x'; --" }), 422);
  add('POST survey: rate limit 0', 'POST', '/v1/surveys', { 'content-type': JSON_TYPE, ...auth }, survey({ rate_limit_per_minute: 0 }), 422);
  add('POST survey: rate limit negative', 'POST', '/v1/surveys', { 'content-type': JSON_TYPE, ...auth }, survey({ rate_limit_per_minute: -5 }), 422);
  add('POST survey: rate limit a float', 'POST', '/v1/surveys', { 'content-type': JSON_TYPE, ...auth }, survey({ rate_limit_per_minute: 1.5 }), 422);
  add('PATCH survey: rate limit a string', 'PATCH', `/v1/surveys/${SURVEY}`, { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ rate_limit_per_minute: '10' }), 422);
  add('PATCH survey: allowed origin with CSP injection', 'PATCH', `/v1/surveys/${SURVEY}`, { 'content-type': JSON_TYPE, ...auth },
    JSON.stringify({ allowed_origins: ["https://a.example; script-src *"] }), 422);
  add('PATCH survey: throttle negative', 'PATCH', `/v1/surveys/${SURVEY}`, { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ throttle: { days: -1 } }), 422);
  add('POST webhook: url javascript:', 'POST', '/v1/webhooks', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ url: 'javascript:alert(1)' }), 422);
  add('POST webhook: events a string', 'POST', '/v1/webhooks', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ url: 'https://a.example/h', events: 'all' }), 422);
  add('POST webhook: unknown event', 'POST', '/v1/webhooks', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ url: 'https://a.example/h', events: ['drop.table'] }), 422);
  add('POST webhook: score_min a float', 'POST', '/v1/webhooks', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ url: 'https://a.example/h', filter: { score_min: 0.5 } }), 422);
  add('POST invitation: unknown survey', 'POST', '/v1/invitations', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ survey_id: 's_nope', order_id: '1' }), [404, 422]);
  add('POST invitation: expires negative', 'POST', '/v1/invitations', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ survey_id: SURVEY, order_id: '1', expires_in_days: -3 }), 422);
  add('POST invitation: send_after garbage', 'POST', '/v1/invitations', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ survey_id: SURVEY, order_id: '1', send_after: 'tomorrow' }), 422);
  add('POST invitation: order id with NUL', 'POST', '/v1/invitations', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ survey_id: SURVEY, order_id: 'a\u0000b' }), 422);
  add('PATCH case: status unknown', 'PATCH', '/v1/cases/c_nope', { 'content-type': JSON_TYPE, ...auth }, JSON.stringify({ status: 'deleted' }), [404, 422]);
  // Query strings.
  for (const q of ['category=nope', 'cursor=%00', 'limit=-1', 'limit=1.5', 'limit=999999999999', `cursor=${encodeURIComponent(injections[0])}`]) {
    add(`GET responses ?${q}`, 'GET', `/v1/surveys/${SURVEY}/responses?${q}`, auth, undefined, 422);
  }
  for (const q of ['from=yesterday', 'to=2026-13-45T00:00:00Z', 'interval=hour', 'utc_offset_minutes=99999', 'time_zone=Europe%2FBerlin%00', 'time_zone=..%2F..%2Fetc', `time_zone=${'A'.repeat(5000)}`, 'time_zone=Nowhere%2FAtAll', 'time_zone=UTC&utc_offset_minutes=0', 'from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z']) {
    add(`GET report ?${q}`, 'GET', `/v1/surveys/${SURVEY}/report?${q}`, auth, undefined, 422);
  }
  for (const q of ['status=deleted', 'cursor=%ff%fe']) {
    add(`GET cases ?${q}`, 'GET', `/v1/cases?${q}`, auth, undefined, 422);
  }
  add('GET a survey with an empty id (trailing slash)', 'GET', '/v1/surveys/', auth, undefined, 404);
  add('GET export ?category=nope', 'GET', `/v1/surveys/${SURVEY}/export.csv?category=nope`, auth, undefined, 422);
  add('GET config of an injected id', 'GET', `/v1/surveys/${encodeURIComponent(injections[1])}/config`, {}, undefined, 404);
  add('GET config of a script id', 'GET', `/v1/surveys/${encodeURIComponent(injections[2])}/config`, {}, undefined, 404);
  // Wrong methods.
  for (const [method, path, headers] of [
    ['PUT', '/v1/responses', {}], ['DELETE', '/v1/responses', {}], ['GET', '/v1/responses', {}],
    ['PUT', `/v1/surveys/${SURVEY}`, auth], ['DELETE', `/v1/surveys/${SURVEY}`, auth],
    ['GET', '/v1/invitations', auth], ['PATCH', '/v1/webhooks', auth], ['POST', `/v1/surveys/${SURVEY}/config`, {}],
  ]) add(`${method} ${path}: wrong method`, method, path, headers, undefined, 405);
  // Missing and forged admin tokens (few: failed authentications are rate limited).
  for (const [name, value, expected] of [
    ['missing', undefined, 401], ['Basic scheme', 'Basic YWRtaW46YWRtaW4=', 401], ['empty bearer', 'Bearer ', 401],
    ['forged', 'Bearer e2e_0000000000000000', 401], ['the token with a suffix', `Bearer ${TOKEN}x`, 401],
    ['a 4 KiB token', `Bearer ${'A'.repeat(4096)}`, 401], ['a made-up API key', `Bearer nps_${'A'.repeat(43)}`, 401],
  ]) {
    add(`admin token ${name}`, 'GET', '/v1/surveys', value === undefined ? {} : { authorization: value }, undefined, expected);
  }
  return cases;
}

let before_counts;

async function counts() {
  const all = async (survey) => {
    let n = 0;
    let cursor = '';
    for (;;) {
      const r = await admin(`/v1/surveys/${survey}/responses?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      n += r.body.items.length;
      if (!r.body.next_cursor) return n;
      cursor = r.body.next_cursor;
    }
  };
  const surveys = (await admin('/v1/surveys')).body.length;
  const webhooks = (await admin('/v1/webhooks')).body.length;
  return { hostile: await all(SURVEY), demo: await all('s_demo'), surveys, webhooks };
}

before(async () => {
  const demo = await demoDefinition();
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...demo, id: SURVEY, name: 'Hostile input', rate_limit_per_minute: 100000 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  before_counts = await counts();
});

test('every request of the hostile corpus gets a 4xx problem+json, never a 5xx', async () => {
  const failures = [];
  const all = corpus();
  assert.ok(all.length > 200, `the corpus has ${all.length} cases`);
  for (const c of all) {
    const response = await fetch(BASE_URL + c.path, { method: c.method, headers: c.headers, body: c.body });
    const text = await response.text();
    let body = null;
    try { body = JSON.parse(text); } catch { /* reported below */ }
    const type = response.headers.get('content-type') ?? '';
    const wrong = [];
    if (!c.expected.includes(response.status)) wrong.push(`status ${response.status}, expected ${c.expected.join('|')}`);
    if (response.status >= 500) wrong.push('a server error');
    if (!type.startsWith('application/problem+json')) wrong.push(`content-type ${type}`);
    if (!body || typeof body.type !== 'string' || typeof body.title !== 'string' || body.status !== response.status) {
      wrong.push(`body ${text.slice(0, 120)}`);
    }
    if (wrong.length) failures.push(`${c.name}: ${wrong.join('; ')}`);
  }
  assert.deepEqual(failures, []);
});

test('after the corpus the worker still answers and nothing of it was stored', async () => {
  const ok = await fetch(`${BASE_URL}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify(answer({ score: 9 })),
  });
  assert.equal(ok.status, 201);
  const after = await counts();
  assert.deepEqual(after, { ...before_counts, hostile: before_counts.hostile + 1 });
});

test('the hosted page escapes what a hostile link puts into it', async () => {
  const script = encodeURIComponent('"><script>alert(1)</script>');
  const response = await fetch(`${BASE_URL}/s/${SURVEY}?token=${script}&locale=${script}&p.store=${script}&score=${script}`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.ok(!html.includes('<script>alert(1)</script>'), 'the injected script is escaped');
  const missing = await fetch(`${BASE_URL}/s/${encodeURIComponent('<script>alert(1)</script>')}`);
  assert.equal(missing.status, 404);
  assert.ok(!(await missing.text()).includes('<script>alert(1)'));
});
