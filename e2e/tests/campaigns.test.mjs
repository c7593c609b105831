// Relationship surveys: a CSV of 1,000 customers uploaded through the dashboard becomes a
// campaign, queued in chunks through the JOBS queue (a progress bar while it runs); an
// unsubscribed and a bounced person get nothing; an answer through one invitation's link
// shows as answered, with the response rate, in the dashboard. A customer erased (GDPR)
// leaves the kept list too, so the next quarter does not invite them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin, call, eventually, freshSurvey } from '../lib/server.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';
import { CampaignsPage, campaignInvitations, keptListPart, suppress } from '../lib/campaigns.mjs';

const CUSTOMERS = 1000;
const CHUNK = 200;

let surveyId;
let browser;
const tag = Date.now().toString(36);
const email = (i) => `customer${i}-${tag}@shop.example`;

/** A shop's customer export: a header row, quoted names with commas, a property column. */
function customersCsv() {
  const lines = ['email,id,name,locale,plan'];
  for (let i = 0; i < CUSTOMERS; i += 1) {
    lines.push(`${i === 7 ? email(i).toUpperCase() : email(i)},cust-${i},"Customer ${i}, Jr.",en,${i % 2 ? 'gold' : 'basic'}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

before(async () => {
  browser = await launch();
  surveyId = await freshSurvey('campaign');
  suppress(email(3), 'unsubscribed');
  suppress(email(5), 'bounced');
});
after(async () => { await browser?.close(); });

test('a CSV of 1,000 customers becomes a campaign; suppressed people get nothing; the dashboard shows progress and the response rate', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  t.after(() => context.close());
  const dashboard = await new DashboardPage(await context.newPage()).open();
  await dashboard.signIn();
  await dashboard.surveyPicker().selectOption(surveyId);
  await dashboard.section('Campaigns').click();
  const campaigns = new CampaignsPage(dashboard.page);

  const created = dashboard.page.waitForResponse((r) => r.url().includes('/v1/campaigns?') && r.request().method() === 'POST');
  await campaigns.createFrom({ name: 'Q4 relationship', csv: customersCsv() });
  const response = await created;
  assert.equal(response.status(), 201, await response.text());
  const campaign = await response.json();
  assert.equal(campaign.recipients, CUSTOMERS);
  assert.equal(campaign.chunks_total, CUSTOMERS / CHUNK);

  await campaigns.detail().waitFor();
  await campaigns.detailIn('done').waitFor({ timeout: 90_000 });
  assert.equal(await campaigns.bar().getAttribute('value'), '100');
  assert.match(await campaigns.number('queued').textContent(), /^5 of 5 chunks queued \(100%\)$/);
  assert.equal(await campaigns.number('recipients').textContent(), String(CUSTOMERS));
  assert.equal(await campaigns.number('invited').textContent(), String(CUSTOMERS - 2));
  assert.equal(await campaigns.number('suppressed').textContent(), '2');

  const invitations = campaignInvitations(campaign.id);
  assert.equal(invitations.length, CUSTOMERS - 2);
  const invited = new Set(invitations.map((i) => i.email));
  assert.ok(!invited.has(email(3)), 'the unsubscribed person gets nothing');
  assert.ok(!invited.has(email(5)), 'the bounced person gets nothing');
  assert.ok(invited.has(email(7)), 'an address in capitals is the same person, invited once');
  assert.ok(invitations.every((i) => i.released_at), 'each chunk was released at once');

  // Through the API: the same campaign, with its progress.
  const progress = await admin(`/v1/campaigns/${campaign.id}`);
  assert.equal(progress.status, 200);
  assert.equal(progress.body.status, 'done');
  assert.equal(progress.body.invited, CUSTOMERS - 2);
  // Without a mail provider configured, each invitation announced counts as sent.
  assert.equal(progress.body.sent, CUSTOMERS - 2);
  assert.equal(progress.body.answered, 0);

  // One customer answers through the link of their invitation.
  const [one] = invitations.filter((i) => i.email === email(42));
  assert.match(one.url, new RegExp(`/s/${surveyId}\\?token=`));
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 9, channel: 'email', token: one.token }),
  });
  assert.equal(answered.status, 201, JSON.stringify(answered.body));

  await dashboard.page.reload();
  await dashboard.tokenField().waitFor({ state: 'visible' }).catch(() => {});
  if (await dashboard.tokenField().isVisible()) await dashboard.signIn();
  await dashboard.surveyPicker().selectOption(surveyId);
  await dashboard.section('Campaigns').click();
  await campaigns.row('Q4 relationship').getByRole('button', { name: 'Q4 relationship' }).click();
  await campaigns.detailIn('done').waitFor();
  assert.equal(await campaigns.number('answered').textContent(), '1');
  assert.equal(await campaigns.number('sent').textContent(), String(CUSTOMERS - 2));
  assert.equal(await campaigns.number('rate').textContent(), `${(100 / (CUSTOMERS - 2)).toFixed(1)}%`);
  assert.match(await campaigns.row('Q4 relationship').textContent(), /0\.1%/);
});

test('a list with bad lines is refused, naming them; settings are checked', async () => {
  const upload = (query, body, type = 'text/csv') => fetch(`${process.env.NPS_BASE_URL}/v1/campaigns?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'content-type': type },
    body,
  });
  const bad = await upload(`survey_id=${surveyId}&name=Bad`, 'email\nok@shop.example\nnot-an-address\n');
  assert.equal(bad.status, 422);
  const problem = await bad.json();
  assert.deepEqual(problem.errors.map((e) => e.field), ['recipients.line.3']);
  assert.equal((await upload(`survey_id=${surveyId}&name=X&schedule=monthly`, 'email\na@shop.example\n')).status, 422);
  assert.equal((await upload(`survey_id=${surveyId}&name=X`, '{}', 'application/json')).status, 415);
  assert.equal((await upload('survey_id=s_nope&name=X', 'email\na@shop.example\n')).status, 404);
  const lines = await upload(`survey_id=${surveyId}&name=Lines&schedule=quarterly&starts_at=2099-01-01T09:00:00Z`,
    '{"email":"jl@shop.example","properties":{"plan":"gold"}}\n', 'application/x-ndjson');
  assert.equal(lines.status, 201);
  const scheduled = await lines.json();
  assert.equal(scheduled.status, 'scheduled');
  assert.equal(scheduled.next_run_at, '2099-01-01T09:00:00.000Z');
  const paused = await admin(`/v1/campaigns/${scheduled.id}`, { method: 'PATCH', body: { status: 'paused' } });
  assert.equal(paused.body.status, 'paused');
  assert.equal((await admin(`/v1/campaigns/${scheduled.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await admin(`/v1/campaigns/${scheduled.id}`)).status, 404);
});

test('an erased customer leaves the kept list of a quarterly campaign; the others stay in their places', async () => {
  const people = ['ann', 'kim', 'lee', 'max'].map((n) => `${n}-${tag}@shop.example`);
  const csv = `email,id,name\n${people.map((p, i) => `${i === 1 ? p.toUpperCase() : p},erase-${i}-${tag},Person ${i}`).join('\n')}\n`;
  const created = await fetch(`${process.env.NPS_BASE_URL}/v1/campaigns?survey_id=${surveyId}&name=Erase&schedule=quarterly`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'content-type': 'text/csv' },
    body: csv,
  });
  assert.equal(created.status, 201);
  const campaign = await created.json();
  // The first run is over (the next waits for the quarter).
  await eventually(async () => (await admin(`/v1/campaigns/${campaign.id}`)).body.status === 'scheduled', { what: 'the first run' });
  assert.ok(keptListPart(campaign.id).includes(people[1].toUpperCase()));

  const erased = await admin(`/v1/respondents/${encodeURIComponent(people[1])}`, { method: 'DELETE' });
  assert.equal(erased.status, 200);
  assert.equal(erased.body.campaign_lists, 'queued');
  assert.equal(erased.body.invitations, 1, 'the invitation of the first run');

  const scrubbed = await eventually(() => {
    const text = keptListPart(campaign.id);
    return !text.toLowerCase().includes(people[1]) && text;
  }, { what: 'the scrub of the kept list' });
  const lines = scrubbed.trimEnd().split('\n');
  assert.equal(lines.length, 4, 'every line keeps its place');
  assert.equal(lines[1], '{"erased":true}');
  assert.ok(!scrubbed.includes(`erase-1-${tag}`) && !scrubbed.includes('Person 1'));
  for (const i of [0, 2, 3]) assert.ok(lines[i].includes(people[i]) && lines[i].includes(`Person ${i}`));
  const left = campaignInvitations(campaign.id).map((i) => i.email).sort();
  assert.deepEqual(left, [people[0], people[2], people[3]].sort());
  assert.equal((await admin(`/v1/campaigns/${campaign.id}`, { method: 'DELETE' })).status, 204);
});
