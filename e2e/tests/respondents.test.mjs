// GDPR: a respondent's answer, case and webhook deliveries are exported by their id
// or e-mail, then erased everywhere: the export comes back empty, the report and the
// responses list no longer count them, and no delivery payload shows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin, call, BASE_URL, freshSurvey } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

function answer(surveyId, score, respondent, comment) {
  return call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', comment, respondent, properties: { store: 'berlin' } }),
  });
}

async function deliveries(hookId) {
  const r = await admin(`/v1/webhooks/${hookId}/deliveries?limit=100`);
  assert.equal(r.status, 200);
  return r.body.items;
}

test('a respondent is exported by id and e-mail, then erased from answers, cases, report and deliveries', async (t) => {
  const surveyId = await freshSurvey('gdpr');
  const receiver = await startReceiver();
  const hook = (await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['response.created', 'case.opened'], filter: { survey_ids: [surveyId] } },
  })).body;
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  const stamp = Date.now();
  const who = { id: `cust-gdpr-${stamp}`, email: `Kim.${stamp}@Example.com` };
  const kim = await answer(surveyId, 3, who, 'Late delivery, please call me back');
  assert.equal(kim.status, 201);
  const other = await answer(surveyId, 9, { id: `cust-other-${stamp}` }, 'Fast and friendly');
  assert.equal(other.status, 201);
  const kimId = kim.body.id;
  const otherId = other.body.id;
  await receiver.waitFor((body) => JSON.stringify(body).includes(otherId));

  const byId = await admin(`/v1/respondents/${encodeURIComponent(who.id)}`);
  assert.equal(byId.status, 200);
  assert.equal(byId.body.matched_by, 'id');
  assert.deepEqual(byId.body.answers.map((a) => a.id), [kimId]);
  assert.equal(byId.body.answers[0].comment, 'Late delivery, please call me back');
  assert.equal(byId.body.answers[0].properties.store, 'berlin');
  assert.equal(byId.body.cases.length, 1, 'a 3 opened a case');
  assert.equal(byId.body.cases[0].response_id, kimId);
  assert.ok(byId.body.deliveries.length >= 2, 'response.created and case.opened carried their data');
  assert.ok(byId.body.deliveries.every((d) => d.payload.includes(kimId) || d.payload.includes(byId.body.cases[0].id)));
  assert.ok(byId.body.deliveries.every((d) => !d.payload.includes(otherId)));
  const byEmail = await admin(`/v1/respondents/${encodeURIComponent(who.email.toUpperCase())}`);
  assert.equal(byEmail.status, 200);
  assert.equal(byEmail.body.matched_by, 'email');
  assert.deepEqual(byEmail.body.answers.map((a) => a.id), [kimId]);

  const reportBefore = (await admin(`/v1/surveys/${surveyId}/report`)).body;
  assert.equal(reportBefore.overall.responses, 2);
  assert.equal(reportBefore.overall.detractors, 1);

  const erased = await admin(`/v1/respondents/${encodeURIComponent(who.id)}`, { method: 'DELETE' });
  assert.equal(erased.status, 200);
  assert.equal(erased.body.answers, 1);
  assert.equal(erased.body.cases, 1);
  assert.equal(erased.body.deliveries, byId.body.deliveries.length);

  for (const path of [who.id, who.email]) {
    const after = (await admin(`/v1/respondents/${encodeURIComponent(path)}`)).body;
    assert.deepEqual([after.answers, after.cases, after.invitations, after.deliveries], [[], [], [], []], path);
  }
  for (const source of ['rollups', 'scan']) {
    const report = (await admin(`/v1/surveys/${surveyId}/report?source=${source}`)).body;
    assert.equal(report.overall.responses, 1, source);
    assert.equal(report.overall.detractors, 0, source);
  }
  const listed = (await admin(`/v1/surveys/${surveyId}/responses`)).body.items.map((a) => a.id);
  assert.deepEqual(listed, [otherId]);
  const left = await deliveries(hook.id);
  assert.ok(left.some((d) => d.payload.includes(otherId)), 'the other answer\'s delivery stays');
  assert.ok(left.every((d) => !d.payload.includes(kimId) && !d.payload.toLowerCase().includes(who.email.toLowerCase())));
  assert.equal((await admin(`/v1/cases/${byId.body.cases[0].id}`)).status, 404);

  const again = await admin(`/v1/respondents/${encodeURIComponent(who.id)}`, { method: 'DELETE' });
  assert.deepEqual(again.body, { answers: 0, cases: 0, invitations: 0, deliveries: 0, mail_sends: 0, remembered_orders: 0, campaign_lists: 'queued' });
});

test('respondent endpoints are admin-only and refuse an id that is not one', async () => {
  const anonymous = await fetch(`${BASE_URL}/v1/respondents/cust-1`);
  assert.equal(anonymous.status, 401);
  const bad = await admin('/v1/respondents/%FF');
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors.map((e) => e.field), ['id']);
  const patch = await admin('/v1/respondents/cust-1', { method: 'PATCH', body: {} });
  assert.equal(patch.status, 405);
});

test("an erased respondent's invitation link is withdrawn: 403, nothing stored", async () => {
  const surveyId = await freshSurvey('gdpr-link');
  const stamp = Date.now();
  const who = { id: `cust-link-${stamp}`, email: `Link.${stamp}@Example.com` };
  const invited = await admin('/v1/invitations', {
    method: 'POST',
    body: { survey_id: surveyId, order_id: `L-${stamp}`, respondent: who },
  });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const erased = await admin(`/v1/respondents/${encodeURIComponent(who.email)}`, { method: 'DELETE' });
  assert.equal(erased.status, 200);
  assert.equal(erased.body.invitations, 1);
  const clicked = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 10, channel: 'email', token: invited.body.token }),
  });
  assert.equal(clicked.status, 403);
  assert.match(clicked.body.detail, /withdrawn/);
  const listed = await admin(`/v1/surveys/${surveyId}/responses`);
  assert.deepEqual(listed.body.items, []);
});
