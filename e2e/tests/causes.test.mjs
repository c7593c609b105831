// The inner loop's learning step, in Chromium against the real worker: a case is
// resolved with its root cause (the one its comment suggests, preselected) and the
// solution offered; resolving without a cause is refused with the field named; the
// next case of the same cause shows that solution among its suggestions, a click
// copies it, and the Playbook page lists it with its win-back rate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin, call, demoDefinition, eventually, userHash } from '../lib/server.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
  t.after(() => context.close());
  return new DashboardPage(await context.newPage()).open();
}

/** A survey of its own (no throttle, so a customer may answer again), in English. */
async function survey() {
  const demo = await demoDefinition();
  const id = `s_causes-${Date.now()}`;
  const created = await admin('/v1/surveys', { method: 'POST', body: {
    ...demo, id, name: `Causes ${id}`, default_locale: 'en', throttle: { days: 0, dismissed_days: 0 },
    cases: { threshold: 6, sla_hours: 24, owner_rules: [] },
  } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return id;
}

/** A detractor answer of `customer` with `comment`; returns the case it opened. */
async function detractor(surveyId, customer, comment, score = 2) {
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', comment,
      respondent: { id: customer, user_hash: userHash(customer) } }),
  });
  assert.equal(answered.status, 201);
  return eventually(async () => {
    const page = await admin(`/v1/cases?survey_id=${surveyId}&limit=50`);
    return page.body.items.find((c) => c.response_id === answered.body.id) ?? null;
  }, { what: 'the case the answer opened' });
}

test('resolving without a cause is refused with the field named, in the API and the dashboard', async (t) => {
  const surveyId = await survey();
  const opened = await detractor(surveyId, `cust-${Date.now()}`, 'Meh.');
  const refused = await admin(`/v1/cases/${opened.id}`, { method: 'PATCH', body: { status: 'resolved' } });
  assert.equal(refused.status, 422);
  assert.match(refused.headers.get('content-type'), /^application\/problem\+json/);
  assert.deepEqual(refused.body.errors.map((e) => e.field), ['cause']);
  const unknown = await admin(`/v1/cases/${opened.id}`, { method: 'PATCH', body: { status: 'resolved', cause: 'weather' } });
  assert.equal(unknown.status, 422);
  assert.deepEqual(unknown.body.errors.map((e) => e.field), ['cause']);

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Cases').click();
  await page.caseRow(opened.id).click();
  const detail = page.caseDetail();
  await detail.getByTestId('timeline').waitFor();
  assert.equal(await page.caseCause().inputValue(), '', 'nothing in "Meh." suggests a cause');
  await detail.getByRole('button', { name: 'Resolve' }).click();
  await page.caseError().waitFor();
  assert.match(await page.caseError().textContent(), /cause: /);
  assert.equal(await detail.getByTestId('case-status').textContent(), 'open');
  assert.equal((await admin(`/v1/cases/${opened.id}`)).body.status, 'open');
});

test('a case resolved with a cause and a solution teaches the next case of that cause', async (t) => {
  const surveyId = await survey();
  const first = `cust-a-${Date.now()}`;
  const opened = await detractor(surveyId, first, 'The parcel arrived two weeks late');
  const seen = await admin(`/v1/cases/${opened.id}`);
  assert.equal(seen.body.suggested_cause, 'delivery');
  assert.equal(seen.body.suggestions, undefined, 'nothing learnt yet');

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Cases').click();
  await page.caseRow(opened.id).click();
  const detail = page.caseDetail();
  await detail.getByTestId('timeline').waitFor();
  assert.equal(await page.caseCause().inputValue(), 'delivery', 'the suggested cause is preselected');
  const solution = `Refunded the shipping and sent a 10 € voucher (${Date.now()})`;
  await page.caseSolution().fill(solution);
  await detail.getByRole('button', { name: 'Resolve' }).click();
  await detail.getByTestId('timeline').getByText('Cause: delivery').waitFor();
  assert.equal(await detail.getByTestId('case-status').textContent(), 'resolved');
  await detail.getByTestId('timeline').getByText(`Solution: ${solution}`).waitFor();

  const stored = (await admin(`/v1/cases/${opened.id}`)).body;
  assert.equal(stored.status, 'resolved');
  assert.equal(stored.cause, 'delivery');
  assert.equal(stored.solution, solution);
  assert.deepEqual(stored.timeline.slice(-3).map((e) => e.kind), ['status_changed', 'cause_set', 'solution_set']);
  const listed = (await admin(`/v1/cases?survey_id=${surveyId}&status=resolved`)).body.items[0];
  assert.equal(listed.cause, 'delivery');
  assert.equal(listed.solution, solution);

  // The customer comes back as a promoter: won back.
  const again = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 10, channel: 'api', respondent: { id: first, user_hash: userHash(first) } }),
  });
  assert.equal(again.status, 201);
  await eventually(async () => (await admin(`/v1/cases/${opened.id}`)).body.win_back === 'won_back',
    { what: 'the win-back on the case' });

  // The next case with the same cause, in German, shows what worked.
  const next = await detractor(surveyId, `cust-b-${Date.now()}`, 'Das Paket kam viel zu spät an');
  const api = (await admin(`/v1/cases/${next.id}`)).body;
  assert.equal(api.suggested_cause, 'delivery');
  assert.deepEqual(api.suggestions, [{ solution, used: 1, won_back: 1, win_back_rate: 1 }]);

  const later = await dashboard(t);
  await later.signIn();
  await later.surveyPicker().selectOption(surveyId);
  await later.section('Cases').click();
  await later.caseRow(next.id).click();
  await later.caseSuggestions().first().waitFor();
  assert.equal(await later.caseSuggestions().count(), 1);
  assert.equal(await later.caseSuggestions().first().textContent(), solution);
  assert.equal(await later.caseCause().inputValue(), 'delivery');
  await later.caseSuggestions().first().click();
  assert.equal(await later.caseSolution().inputValue(), solution, 'a click copies the solution');
  await later.screenshot('case-suggestions');

  // The CSV export names the case each answer opened, with its cause and solution.
  const csv = await (await fetch(`${process.env.NPS_BASE_URL}/v1/surveys/${surveyId}/export.csv`,
    { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } })).text();
  const [header, ...lines] = csv.trim().split('\r\n');
  assert.deepEqual(header.split(',').slice(-3), ['case_status', 'case_cause', 'case_solution']);
  const exported = lines.find((l) => l.startsWith(`${opened.response_id},`));
  assert.ok(exported.endsWith(`,resolved,delivery,${solution}`), exported);

  const book = await admin(`/v1/playbook?cause=delivery&survey_id=${surveyId}`);
  assert.equal(book.status, 200);
  assert.deepEqual(book.body.entries, [{ solution, used: 1, won_back: 1, win_back_rate: 1 }]);
  await later.section('Playbook').click();
  await later.playbookCause().selectOption('delivery');
  await later.playbookEntries().first().waitFor();
  const row = later.playbookEntries().first();
  assert.equal(await row.locator('td.solution').textContent(), solution);
  assert.equal(await row.getByTestId('playbook-rate').textContent(), '100%');
  await later.screenshot('playbook');
  await later.playbookCause().selectOption('price');
  await later.page.getByTestId('playbook-empty').waitFor();
});
