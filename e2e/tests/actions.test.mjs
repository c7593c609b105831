// The outer loop in the dashboard, in Chromium against the real worker: an action plan
// created for a cause and a store, moved to in progress, and its impact panel showing
// the store's NPS before and after it went live with both margins and the verdict —
// the numbers computed here from the answers seeded into D1 — and the share of the
// plan's cause among the store's detractors before and after; and the coaching view
// listing owners and teams with the figures of cases this test opened and worked, and
// the practices of the best performer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { launch } from '../lib/browser.mjs';
import { admin, call, demoDefinition, eventually } from '../lib/server.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';
import { d1File, seedAnswers } from '../lib/storage.mjs';

const DAY = 86_400_000;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  t.after(() => context.close());
  return new DashboardPage(await context.newPage()).open();
}

/** A number as the dashboard rounds it: halves away from zero (Rust's f64::round). */
const rounded = (x) => Math.sign(x) * Math.round(Math.abs(x)) || 0;

/** NPS and its 95% margin as the report defines them (shared/src/report/mod.rs). */
function nps(scores) {
  const n = scores.length;
  const p = scores.filter((s) => s >= 9).length / n;
  const d = scores.filter((s) => s <= 6).length / n;
  const margin = n < 2 ? null : 1.96 * Math.sqrt((p + d - (p - d) ** 2) / n) * 100;
  return { n, nps: 100 * (p - d), margin };
}

const headline = ({ nps: value, margin }) => margin === null
  ? `NPS ${rounded(value)}` : `NPS ${rounded(value)} ± ${rounded(margin)}`;

const text = async (locator) => (await locator.textContent()).replace(/\s+/g, ' ').trim();

test('an action plan goes live and its impact panel shows the store\'s NPS before and after with margins', async (t) => {
  const surveyId = `s_actions-${Date.now()}`;
  const endMs = Date.now();
  // 16 days of answers; the plan goes live at the midnight 9 days back, so each window
  // is 9–10 days long and the before-window reaches past the first answer.
  await seedAnswers({ surveyId, answers: 800, days: 16, endMs });
  const liveDate = new Date(endMs - 9 * DAY).toISOString().slice(0, 10);
  const liveAt = `${liveDate}T00:00:00.000Z`;

  // What the panel must show, from the stored answers themselves: Berlin's counted ones.
  const db = new DatabaseSync(d1File(), { readOnly: true });
  const rows = db.prepare('SELECT id, score, created_at, properties, flagged, provisional FROM responses WHERE survey_id = ?').all(surveyId);
  db.close();
  const berlin = rows.filter((r) => r.flagged === null && r.provisional === 0
    && (JSON.parse(r.properties).store ?? '').trim().toLowerCase() === 'berlin');
  // Cases of Berlin's detractors, resolved as late deliveries: one in two before the
  // plan, one in four after (the rest as price), written as resolved cases are stored.
  const detractors = (rows) => rows.filter((r) => r.score <= 6);
  const beforeDetractors = detractors(berlin.filter((r) => r.created_at < liveAt));
  const afterDetractors = detractors(berlin.filter((r) => r.created_at >= liveAt));
  const writer = new DatabaseSync(d1File());
  try {
    writer.exec('PRAGMA busy_timeout = 10000');
    const put = writer.prepare(`INSERT INTO cases (id, survey_id, response_id, score, status, due_at, created_at, updated_at, cause)
      VALUES (?, ?, ?, ?, 'resolved', ?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET status = 'resolved', cause = excluded.cause`);
    const resolve = (list, every) => list.forEach((r, i) => put.run(`c_${surveyId}-${r.id}`, surveyId, r.id, r.score,
      r.created_at, r.created_at, r.created_at, i % every === 0 ? 'delivery' : 'price'));
    resolve(beforeDetractors, 2);
    resolve(afterDetractors, 4);
  } finally {
    writer.close();
  }
  const share = (list, every) => {
    const n = list.length;
    const k = list.filter((_, i) => i % every === 0).length;
    const p = k / n;
    return { n, k, percent: 100 * p, margin: n < 2 ? null : 1.96 * Math.sqrt(p * (1 - p) / n) * 100 };
  };
  const shareBefore = share(beforeDetractors, 2);
  const shareAfter = share(afterDetractors, 4);
  // Two-proportion z with the pooled share (shared/src/report/impact.rs).
  const pooled = (shareBefore.k + shareAfter.k) / (shareBefore.n + shareAfter.n);
  const shareZ = (shareAfter.k / shareAfter.n - shareBefore.k / shareBefore.n)
    / Math.sqrt(pooled * (1 - pooled) * (1 / shareBefore.n + 1 / shareAfter.n));
  const shareText = ({ n, percent, margin }) => `${rounded(percent)}% ± ${rounded(margin)} of ${n} detractors`;
  const beforeExpected = nps(berlin.filter((r) => r.created_at < liveAt).map((r) => r.score));
  const afterExpected = nps(berlin.filter((r) => r.created_at >= liveAt).map((r) => r.score));
  assert.ok(beforeExpected.n > 20 && afterExpected.n > 20, 'both windows have Berlin answers');

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Actions').click();
  const form = page.page.getByTestId('action-form');
  await form.getByLabel('Title').fill('Next-day delivery in Berlin');
  await form.getByLabel('Cause').selectOption('delivery');
  await form.getByLabel('Owner (department or person)').fill('logistics');
  await form.getByLabel('Segment property').fill('store');
  await form.getByLabel('Segment value (empty: every answer)').fill('Berlin');
  await form.getByRole('button', { name: 'Create plan' }).click();

  const detail = page.page.getByTestId('action-detail');
  await detail.waitFor();
  assert.equal(await text(detail.getByTestId('action-status')), 'Planned');
  await detail.getByTestId('impact-none').waitFor();
  await eventually(async () => (await page.page.getByTestId('action-row').count()) === 1, { what: 'the plan listed' });

  await detail.getByRole('button', { name: 'Start: it goes live now' }).click();
  await eventually(async () => (await text(detail.getByTestId('action-status'))) === 'In progress', { what: 'in progress' });
  await detail.getByTestId('action-live-date').fill(liveDate);
  await detail.getByRole('button', { name: 'Save date' }).click();
  await eventually(async () => (await text(detail.getByTestId('action-live-at'))).includes(liveAt), { what: 'the live date' });

  const before = detail.getByTestId('impact-before');
  const afterWindow = detail.getByTestId('impact-after');
  assert.equal(await text(before.getByTestId('impact-nps')), headline(beforeExpected));
  assert.equal(await text(afterWindow.getByTestId('impact-nps')), headline(afterExpected));
  assert.match(await text(before), new RegExp(`${beforeExpected.n} answers`));
  assert.match(await text(afterWindow), new RegExp(`${afterExpected.n} answers`));
  const difference = afterExpected.nps - beforeExpected.nps;
  const combined = Math.hypot(beforeExpected.margin, afterExpected.margin);
  const significant = Math.abs(difference) > combined;
  assert.equal(await text(detail.getByTestId('impact-significance')), significant ? 'significant' : 'not significant');
  assert.equal(await text(detail.getByTestId('impact-difference')),
    `${rounded(difference) >= 0 ? '+' : ''}${rounded(difference)} ± ${rounded(combined)} points`);

  assert.equal(await text(detail.getByTestId('cause-share-before')), `before ${shareText(shareBefore)}`);
  assert.equal(await text(detail.getByTestId('cause-share-after')), `after ${shareText(shareAfter)}`);
  assert.equal(await text(detail.getByTestId('cause-share-significance')),
    Math.abs(shareZ) > 1.96 ? 'significant' : 'not significant');

  // The API says the same, unrounded, and the change is in the audit log.
  const list = await admin(`/v1/actions?survey_id=${surveyId}`);
  assert.equal(list.status, 200);
  const [plan] = list.body.items;
  assert.equal(plan.status, 'in_progress');
  assert.equal(plan.impact, null, 'lists carry no impact');
  const read = await admin(`/v1/actions/${plan.id}`);
  assert.equal(read.body.live_at, liveAt);
  assert.equal(read.body.impact.before.responses, beforeExpected.n);
  assert.ok(Math.abs(read.body.impact.after.nps - afterExpected.nps) < 1e-9);
  assert.ok(Math.abs(read.body.impact.before.margin_of_error - beforeExpected.margin) < 1e-9);
  assert.equal(read.body.impact.significant, significant);
  const causeShare = read.body.impact.cause_share;
  assert.deepEqual([causeShare.before.detractors, causeShare.before.with_cause], [shareBefore.n, shareBefore.k]);
  assert.deepEqual([causeShare.after.detractors, causeShare.after.with_cause], [shareAfter.n, shareAfter.k]);
  assert.ok(Math.abs(causeShare.before.margin_of_error - shareBefore.margin) < 1e-9);
  assert.ok(Math.abs(causeShare.z - shareZ) < 1e-9);
  const audit = await admin('/v1/audit?action=action.updated');
  assert.ok(audit.body.items.some((e) => e.target_id === plan.id && e.summary === 'live_at'));
});

test('a plan with a bad cause or a step the status table forbids is refused as problem+json', async () => {
  const bad = await admin('/v1/actions', { method: 'POST', body: { title: 'x', survey_id: 's_demo', cause: 'Late Parcels' } });
  assert.equal(bad.status, 422);
  assert.equal(bad.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(bad.body.errors.map((e) => e.field), ['cause']);
  const foreign = await admin('/v1/actions', { method: 'POST', body: { title: 'x', survey_id: 's_demo', cause: 'weather' } });
  assert.equal(foreign.status, 422, 'a well-formed key that is not one of the survey\'s causes');
  assert.deepEqual(foreign.body.errors.map((e) => e.field), ['cause']);
  const created = await admin('/v1/actions', { method: 'POST', body: { title: 'Price check', survey_id: 's_demo', cause: 'price' } });
  assert.equal(created.status, 201);
  const moved = await admin(`/v1/actions/${created.body.id}`, { method: 'PATCH', body: { cause: 'weather' } });
  assert.equal(moved.status, 422);
  assert.deepEqual(moved.body.errors.map((e) => e.field), ['cause']);
  const skip = await admin(`/v1/actions/${created.body.id}`, { method: 'PATCH', body: { status: 'done' } });
  assert.equal(skip.status, 409);
  assert.equal((await admin('/v1/actions/act_unknown')).status, 404);
});

test('the coaching view lists each owner and team with the figures of their cases', async (t) => {
  const demo = await demoDefinition();
  const surveyId = `s_coaching-${Date.now()}`;
  const cases = {
    threshold: 6, sla_hours: 48, default_owner: 'desk@shop.example',
    owner_rules: [{ property: 'store', equals: 'Berlin', owner: 'anna@shop.example' }],
  };
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...demo, id: surveyId, cases, throttle: { days: 0, dismissed_days: 0 } } });
  assert.equal(created.status, 201);
  const answer = async (score, store) => {
    const r = await call('/v1/responses', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', properties: { store } }),
    });
    assert.equal(r.status, 201);
    return r.body.id;
  };
  // Berlin (anna): two detractors and a promoter; Hamburg (desk, no rule): one detractor.
  const first = await answer(2, 'Berlin');
  await answer(3, 'Berlin');
  await answer(10, 'Berlin');
  await answer(1, 'Hamburg');
  const open = await admin(`/v1/cases?survey_id=${surveyId}&status=open`);
  const worked = open.body.items.find((c) => c.response_id === first);
  const contacted = await admin(`/v1/cases/${worked.id}`, { method: 'PATCH', body: { status: 'contacted' } });
  assert.equal(contacted.status, 200);

  const api = await admin(`/v1/coaching?survey_id=${surveyId}`);
  assert.equal(api.status, 200);
  const anna = api.body.owners.find((r) => r.name === 'anna@shop.example');
  assert.equal(anna.cases, 2);
  assert.equal(anna.contacted, 1);
  assert.equal(anna.sla_met_percent, 100, 'the one decided SLA was met; the other is not due yet');
  assert.equal(anna.customers.responses, 3);

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Coaching').click();
  const row = (kind, name) => page.page.locator(`[data-testid="coaching-${kind}"][data-name="${name}"]`);
  await row('owner', 'anna@shop.example').waitFor();
  const annaRow = row('owner', 'anna@shop.example');
  assert.equal(await text(annaRow.getByTestId('coaching-cases')), '2');
  assert.equal(await text(annaRow.getByTestId('coaching-sla')), '100%');
  // 1 promoter, 2 detractors of 3: NPS −33; margin 1.96 × sqrt((1 − 1/9) / 3) × 100 = 107.
  assert.equal(await text(annaRow.getByTestId('coaching-nps')), '-33 ± 107 (3)');
  const desk = row('owner', 'desk@shop.example');
  assert.equal(await text(desk.getByTestId('coaching-cases')), '1');
  assert.equal(await text(desk.getByTestId('coaching-sla')), '—', 'not contacted, not due yet');
  assert.equal(await text(desk.getByTestId('coaching-nps')), '-100 (1)');
  assert.equal(await text(row('team', 'berlin').getByTestId('coaching-cases')), '2');
  assert.equal(await text(row('team', 'hamburg').getByTestId('coaching-cases')), '1');
});

test('the coaching view lists the practices of the best performer with their win-back', async (t) => {
  const demo = await demoDefinition();
  const surveyId = `s_practices-${Date.now()}`;
  // A cause of this survey's own, so that the playbook of the default causes, which
  // other tests read, stays as they left it.
  const cause = `parcels-${Date.now() % 1_000_000}`;
  const cases = {
    threshold: 6, sla_hours: 48, owner_rules: [{ property: 'store', equals: 'Berlin', owner: 'anna@shop.example' }],
    causes: [{ key: cause, label: 'Parcels', department: 'logistics' }],
  };
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...demo, id: surveyId, cases, throttle: { days: 0, dismissed_days: 0 } } });
  assert.equal(created.status, 201);
  const answer = async (body) => {
    const r = await call('/v1/responses', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ survey_id: surveyId, ...body }) });
    assert.equal(r.status, 201);
    return r.body.id;
  };
  // Three of anna's detractors, each resolved with a solution, asked again and answering:
  // the refund won both back, the voucher did not.
  const worked = [['Refunded the shipping', 10], ['refunded the shipping', 9], ['Sent a voucher', 3]];
  for (const [i, [solution, again]] of worked.entries()) {
    const id = await answer({ score: 2 + i, channel: 'api', properties: { store: 'Berlin' } });
    const opened = (await admin(`/v1/cases?survey_id=${surveyId}`)).body.items.find((c) => c.response_id === id);
    const resolved = await admin(`/v1/cases/${opened.id}`, { method: 'PATCH', body: { status: 'resolved', cause, solution } });
    assert.equal(resolved.status, 200);
    const reask = await admin(`/v1/cases/${opened.id}/reask`, { method: 'POST' });
    assert.equal(reask.status, 201);
    await answer({ score: again, channel: 'email', token: reask.body.token });
    await eventually(async () => (await admin(`/v1/cases/${opened.id}`)).body.reasked_score === again,
      { what: 'the answer again on the case' });
  }

  const api = await admin(`/v1/coaching?survey_id=${surveyId}`);
  assert.equal(api.status, 200);
  assert.deepEqual(api.body.best_performers, ['anna@shop.example']);
  assert.deepEqual(api.body.practices.map((p) => [p.owner, p.cause, p.solution, p.used, p.won_back]), [
    ['anna@shop.example', cause, 'refunded the shipping', 2, 2],
    ['anna@shop.example', cause, 'Sent a voucher', 1, 0],
  ]);

  const page = await dashboard(t);
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  await page.section('Coaching').click();
  const items = page.page.getByTestId('coaching-practice');
  await eventually(async () => (await items.count()) === 2, { what: 'two practices' });
  assert.equal(await text(items.nth(0)), `anna@shop.example ${cause} “refunded the shipping”: won back 2 of 2 (100%)`);
  assert.equal(await text(items.nth(1)), `anna@shop.example ${cause} “Sent a voucher”: won back 0 of 1 (0%)`);
});
