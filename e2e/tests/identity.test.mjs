// Verified respondents (#14, finding 1): a shop page says who answers with
// nps('identify', {id, user_hash}) or data-respondent-id / data-respondent-hash, the
// hash computed by the shop's server with IDENTITY_SECRET (here: Node's crypto). A
// valid hash links the answer to the customer — their detractor case shows the new
// score; a wrong or missing one links it to nobody: the claim is kept as a property,
// the case stays as it was, and the customer's own answer is still theirs to give.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, call, eventually, BASE_URL, userHash, demoDefinition } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

/** A copy of s_demo shown at once, with `more` fields of the definition; its id. */
async function survey(more = {}) {
  const definition = await demoDefinition();
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...definition, name: 'Identity', triggers: {}, throttle: { days: 90, dismissed_days: 0 }, ...more },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

/** A customer with an open detractor case in `surveyId`, answered from their server. */
async function customerWithCase(surveyId, customer) {
  const r = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 2, channel: 'api',
      respondent: { id: customer, user_hash: userHash(customer) } }),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const cases = (await admin(`/v1/cases?survey_id=${surveyId}`)).body.items;
  assert.equal(cases.length, 1);
  return cases[0].id;
}

/** The shop page (demo/triggers.html) with `query`; answers `score` (1 to 9: the ends
 * are labelled) in Chromium. */
async function answerOnPage(t, surveyId, query, score) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const posted = page.waitForResponse((r) => r.url().endsWith('/v1/responses') && r.request().method() === 'POST');
  await page.goto(`${BASE_URL}/demo/triggers.html?survey=${surveyId}${query}`);
  await page.getByRole('radio', { name: String(score), exact: true }).click();
  const response = await posted;
  return { status: response.status(), body: await response.json() };
}

/** The stored answer `id` of `surveyId`, as the admin API lists it. */
async function stored(surveyId, id) {
  const list = await admin(`/v1/surveys/${surveyId}/responses?limit=50`);
  assert.equal(list.status, 200);
  const found = list.body.items.find((r) => r.id === id);
  assert.ok(found, `answer ${id} is listed`);
  return found;
}

const identify = (who) => `&queue=${encodeURIComponent(JSON.stringify([['identify', who]]))}`;

test("identify with the server's user_hash links the answer to the customer and their case", async (t) => {
  // No throttle: the same customer answers again on the site, identified as the
  // README says, and the case shows the new score.
  const surveyId = await survey({ throttle: { days: 0, dismissed_days: 0 } });
  const customer = `cust-verified-${Date.now()}`;
  const caseId = await customerWithCase(surveyId, customer);
  const answered = await answerOnPage(t, surveyId, identify({ id: customer, user_hash: userHash(customer) }), 9);
  assert.equal(answered.status, 201, JSON.stringify(answered.body));
  assert.deepEqual((await stored(surveyId, answered.body.id)).respondent, { id: customer });
  const theCase = await eventually(async () => {
    const c = (await admin(`/v1/cases/${caseId}`)).body;
    return c.reasked_score === 9 ? c : null;
  }, { what: 'the verified answer on the case' });
  assert.equal(theCase.win_back, 'won_back');
});

test('data-respondent-id and data-respondent-hash on the tag verify the same way', async (t) => {
  const surveyId = await survey();
  const customer = `cust-tag-${Date.now()}`;
  const query = `&data-respondent-id=${customer}&data-respondent-hash=${userHash(customer)}&data-prop-store=berlin`;
  const answered = await answerOnPage(t, surveyId, query, 8);
  assert.equal(answered.status, 201, JSON.stringify(answered.body));
  const answer = await stored(surveyId, answered.body.id);
  assert.deepEqual(answer.respondent, { id: customer });
  assert.deepEqual(answer.properties, { store: 'berlin' });
});

test('a wrong or missing hash links to nobody: the case stays open and the customer may still answer', async (t) => {
  const surveyId = await survey();
  const customer = `cust-forged-${Date.now()}`;
  const caseId = await customerWithCase(surveyId, customer);
  const other = `cust-other-${Date.now()}`;
  for (const who of [
    { id: customer },
    { id: customer, user_hash: userHash(`${customer}x`) },
    { id: other, user_hash: userHash(other, 'a guessed secret') },
  ]) {
    const forged = await answerOnPage(t, surveyId, identify(who), 9);
    assert.equal(forged.status, 201, 'taken, as an anonymous answer');
    const answer = await stored(surveyId, forged.body.id);
    assert.deepEqual(answer.respondent, {});
    assert.equal(answer.properties.claimed_id, who.id);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const theCase = (await admin(`/v1/cases/${caseId}`)).body;
  assert.equal(theCase.status, 'open');
  assert.equal(theCase.reasked_score ?? null, null);
  assert.equal(theCase.win_back ?? null, null);
  assert.deepEqual(theCase.timeline.map((e) => e.kind), ['opened']);
  // The forged answers did not use up the other customer's one answer.
  const theirs = await answerOnPage(t, surveyId, identify({ id: other, user_hash: userHash(other) }), 7);
  assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
});

test('a survey that requires verification refuses a wrong hash with 422 naming respondent.user_hash', async () => {
  const surveyId = await survey({ identity: 'required' });
  const post = (respondent) => call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 9, respondent }),
  });
  const wrong = await post({ id: 'cust-1', user_hash: userHash('cust-2') });
  assert.equal(wrong.status, 422);
  assert.equal(wrong.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(wrong.body.errors.map((e) => e.field), ['respondent.user_hash']);
  assert.equal((await post({ id: 'cust-1' })).status, 422);
  assert.equal((await post({ id: 'cust-1', user_hash: userHash('cust-1') })).status, 201);
  const shown = (await admin(`/v1/surveys/${surveyId}`)).body;
  assert.equal(shown.identity, 'required');
});
