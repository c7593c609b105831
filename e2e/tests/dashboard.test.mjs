// The marketer's dashboard at /dashboard, in Chromium against the real worker and the
// seeded demo data: signing in, the overview agreeing with the report API, working a
// detractor case from the inbox, a case beyond the first page showing its own comment
// and customer, the webhooks tab, and a refused token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin, call, demoDefinition } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  t.after(() => context.close());
  return new DashboardPage(await context.newPage()).open();
}

/** NPS as the dashboard rounds it: halves away from zero (Rust's f64::round). */
const rounded = (nps) => Math.sign(nps) * Math.round(Math.abs(nps)) || 0;

test('the overview shows the report: NPS headline, one trend point per bucket, themes', async (t) => {
  const page = await dashboard(t);
  const shown = await page.signIn();
  await page.headline().waitFor();

  const api = await admin('/v1/surveys/s_demo/report?interval=week&group_by=store');
  assert.equal(api.status, 200);
  assert.equal(shown.overall.nps, api.body.overall.nps, 'the page asked for the same report');
  const headline = (await page.headline().textContent()).replace(/\s+/g, ' ').trim();
  const margin = Math.round(api.body.overall.margin_of_error);
  assert.equal(headline, `NPS ${rounded(api.body.overall.nps)} ± ${margin}`);

  const trend = page.trend();
  assert.equal(await trend.getAttribute('role'), 'img');
  assert.match(await trend.getAttribute('aria-label'), /^NPS by week/);
  assert.equal(await trend.locator('g.bucket').count(), shown.trend.length);
  assert.equal(await trend.locator('circle.point').count(), shown.trend.filter((b) => b.nps !== null).length);
  assert.ok(shown.trend.length >= 4, 'a month of answers spans several weeks');

  const terms = page.detractorThemes().locator('.term');
  assert.ok(await terms.count() >= 1, 'at least one detractor theme');
  assert.equal(await terms.first().textContent(), api.body.themes.detractor[0].term);

  const stores = await page.page.getByTestId('segments').locator('tbody th').allTextContents();
  for (const store of ['berlin', 'hamburg', 'munich']) assert.ok(stores.includes(store), `segments: ${stores}`);

  await page.screenshot('dashboard');
});

test('a case from the inbox is marked contacted with a note, and the API agrees', async (t) => {
  const page = await dashboard(t);
  await page.signIn();
  await page.section('Cases').click();

  // The first page of open cases, newest first, as the inbox shows it.
  const open = await admin('/v1/cases?survey_id=s_demo&status=open&limit=20');
  assert.ok(open.body.items.length >= 1, 'the demo data has open cases');
  await page.caseRows().first().waitFor();
  assert.deepEqual(
    await page.caseRows().evaluateAll((rows) => rows.map((r) => r.dataset.caseId)),
    open.body.items.map((c) => c.id),
  );

  const row = page.caseRows().first();
  const caseId = await row.getAttribute('data-case-id');
  await row.click();
  const detail = page.caseDetail();
  await detail.getByTestId('timeline').waitFor();
  assert.equal(await detail.getByTestId('case-status').textContent(), 'open');

  const note = `Called the customer, refund sent (${Date.now()})`;
  await detail.getByLabel('Note').fill(note);
  await detail.getByRole('button', { name: 'Mark contacted' }).click();
  await detail.getByTestId('timeline').getByText(`Note: ${note}`).waitFor();
  assert.equal(await detail.getByTestId('case-status').textContent(), 'contacted');
  await detail.getByTestId('timeline').getByText('Status open → contacted').waitFor();
  await page.screenshot('dashboard-cases');

  const stored = await admin(`/v1/cases/${caseId}`);
  assert.equal(stored.body.status, 'contacted');
  const last = stored.body.timeline.slice(-2).map((e) => [e.kind, e.actor]);
  assert.deepEqual(last, [['status_changed', 'dashboard'], ['note', 'dashboard']]);

  // The case has left the open tab; a second "Mark contacted" is not offered.
  await page.page.locator(`[data-testid="case-row"][data-case-id="${caseId}"]`).waitFor({ state: 'detached' });
  assert.equal(await detail.getByRole('button', { name: 'Mark contacted' }).count(), 0);
});

test('a case reached with "Load more" shows its own comment and customer', async (t) => {
  // A survey whose oldest case lies beyond the first page of cases and beyond the
  // newest 200 detractor answers: scores 4–6 are detractors but open no case here.
  const demo = await demoDefinition();
  const surveyId = `s_inbox-${Date.now()}`;
  const created = await admin('/v1/surveys', { method: 'POST', body: {
    ...demo, id: surveyId, name: `Inbox ${surveyId}`, throttle: { days: 0, dismissed_days: 0 },
    rate_limit_per_minute: 10_000, cases: { threshold: 3, sla_hours: 24, owner_rules: [] },
  } });
  assert.equal(created.status, 201);
  const answer = async (score, extra = {}) => {
    const r = await call('/v1/responses', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', ...extra }),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const inBatches = async (count, score) => {
    for (let i = 0; i < count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => answer(score)));
    }
  };

  // Who answered is known for sure (an invitation names them): id and e-mail show.
  const invited = await admin('/v1/invitations', {
    method: 'POST',
    body: { survey_id: surveyId, respondent: { id: 'cust-old', email: 'old@example.com' } },
  });
  assert.equal(invited.status, 201);
  const oldest = await answer(2, { token: invited.body.token });
  // Its comment comes after the case opened, as from the e-mail landing page.
  const comment = 'Parcel <i>lost</i>, nobody answered the phone';
  const added = await call(`/v1/responses/${oldest.id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ edit_token: oldest.edit_token, comment }),
  });
  assert.equal(added.status, 200);
  await inBatches(200, 5);
  await inBatches(20, 1);

  const newest200 = await admin(`/v1/surveys/${surveyId}/responses?category=detractor&limit=200`);
  assert.equal(newest200.body.items.some((r) => r.id === oldest.id), false,
    'the answer is not among the newest 200 detractor answers');
  const firstPage = await admin(`/v1/cases?survey_id=${surveyId}&status=open&limit=20`);
  assert.equal(firstPage.body.items.length, 20);
  assert.equal(firstPage.body.items.some((c) => c.response_id === oldest.id), false, 'nor on the first page');
  const secondPage = await admin(`/v1/cases?survey_id=${surveyId}&status=open&limit=20&cursor=${firstPage.body.next_cursor}`);
  const theCase = secondPage.body.items.find((c) => c.response_id === oldest.id);
  assert.ok(theCase, 'the case is on the second page');

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Cases').click();
  await page.caseRow(firstPage.body.items[0].id).waitFor();
  assert.equal(await page.caseRows().count(), 20);
  assert.equal(await page.caseRow(theCase.id).count(), 0);
  const anyNewer = page.caseRow(firstPage.body.items[0].id);
  assert.equal(await anyNewer.getByTestId('case-comment').textContent(), 'No comment');
  assert.equal(await anyNewer.getByTestId('case-customer').textContent(), 'Anonymous customer');

  await page.loadMoreCases().click();
  const row = page.caseRow(theCase.id);
  await row.waitFor();
  assert.equal(await row.getByTestId('case-comment').textContent(), comment);
  assert.equal(await row.getByTestId('case-customer').textContent(), 'old@example.com (cust-old)');
  assert.equal(await row.locator('i').count(), 0, 'the comment is text, not markup');

  await row.click();
  const detail = page.caseDetail();
  await detail.getByTestId('timeline').waitFor();
  assert.equal(await detail.getByTestId('case-comment').textContent(), comment);
  assert.equal(await detail.getByTestId('case-comment').locator('i').count(), 0);
  assert.match(await detail.getByTestId('case-customer').textContent(), /old@example\.com \(cust-old\)/);
});

test('the webhooks tab lists an endpoint created through the API, with its deliveries', async (t) => {
  const receiver = await startReceiver();
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['response.created'], filter: { survey_ids: ['s_demo'] }, description: 'Dashboard e2e' },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: 's_demo', score: 9, channel: 'api', properties: { store: 'berlin' } }),
  });
  assert.equal(answered.status, 201);
  await receiver.waitFor((b) => b.type === 'response.created' && b.data.id === answered.body.id);

  const page = await dashboard(t);
  await page.signIn();
  await page.section('Webhooks').click();
  const card = page.webhook(hook.body.id);
  await card.waitFor();
  assert.ok((await card.textContent()).includes(receiver.url));
  // The delivery is settled shortly after the receiver answered; refresh until it shows.
  const delivered = card.locator('[data-testid="delivery"]', { hasText: 'delivered' });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await delivered.count()) === 0;) {
    await card.getByRole('button', { name: 'Refresh' }).click();
    await page.page.waitForTimeout(500);
  }
  assert.equal(await delivered.count(), 1);
  assert.match(await delivered.textContent(), /#1 · 204 · \d+ ms/);

  await delivered.getByRole('button', { name: 'Replay' }).click();
  await receiver.waitFor((b) => b.type === 'response.created' && b.data.id === answered.body.id, 2);
});

test('a wrong token is refused on the sign-in form', async (t) => {
  const page = await dashboard(t);
  await page.tokenField().fill('not-the-token');
  await page.signInButton().click();
  await page.signInError().waitFor();
  assert.match(await page.signInError().textContent(), /not accepted/);
  assert.equal(await page.section('Overview').count(), 0, 'still signed out');
});
