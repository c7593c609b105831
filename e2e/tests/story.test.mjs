// The demo tells the story of issue 15, in Chromium against the real worker and the
// seeded demo month (worker/seed/demo.sql): the playbook ranks several solutions for
// late parcels by how often they won the customer back; the action plan "Switch to a
// next-day carrier", live for the last 7 days, shows the NPS rising in its impact
// panel; the coaching view lists the three owners with their figures, the desk that
// calls back after 30 hours missing the SLA that Anna meets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin } from '../lib/server.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
  t.after(() => context.close());
  const page = await new DashboardPage(await context.newPage()).open();
  await page.signIn();
  return page;
}

const text = async (locator) => (await locator.textContent()).replace(/\s+/g, ' ').trim();

test('the playbook lists the demo\'s solutions for late parcels with different win-back rates', async (t) => {
  const book = await admin('/v1/playbook?cause=delivery&survey_id=s_demo');
  assert.equal(book.status, 200);
  const entries = book.body.entries;
  assert.ok(entries.length >= 3, `several solutions: ${entries.length}`);
  const rates = entries.map((e) => e.win_back_rate);
  assert.equal(new Set(rates).size, rates.length, `each solution wins back at its own rate: ${rates}`);
  assert.deepEqual([...rates].sort((a, b) => b - a), rates, 'best first');
  assert.ok(rates[0] >= 0.6 && rates.at(-1) <= 0.4, `a clear best and worst: ${rates}`);
  assert.ok(entries.every((e) => e.used >= 5), 'each was offered often enough to rank');
  assert.ok(entries.some((e) => /[äöüß€]|Gutschein|erstattet/.test(e.solution)), 'solutions in German too');

  const page = await dashboard(t);
  await page.section('Playbook').click();
  await page.playbookCause().selectOption('delivery');
  await page.playbookEntries().first().waitFor();
  assert.deepEqual(
    await page.playbookEntries().locator('.solution').allTextContents(),
    entries.map((e) => e.solution),
  );
  assert.deepEqual(
    await page.playbookEntries().getByTestId('playbook-rate').allTextContents(),
    rates.map((r) => `${Math.round(r * 100)}%`),
  );
});

test('the demo\'s action plan shows the NPS rising since the next-day carrier went live', async (t) => {
  const list = await admin('/v1/actions?survey_id=s_demo');
  assert.equal(list.status, 200);
  const plan = list.body.items.find((a) => a.title === 'Switch to a next-day carrier');
  assert.ok(plan, 'the demo has its action plan');
  assert.equal(plan.cause, 'delivery');
  assert.equal(plan.status, 'in_progress');
  const liveDaysAgo = (Date.now() - Date.parse(plan.live_at)) / 86_400_000;
  assert.ok(liveDaysAgo > 6.9 && liveDaysAgo < 7.5, `live 7 days ago: ${liveDaysAgo}`);

  const { impact } = (await admin(`/v1/actions/${plan.id}`)).body;
  assert.ok(impact.before.responses > 80 && impact.after.responses > 80, 'a week of answers on either side');
  assert.ok(impact.after.nps - impact.before.nps >= 10, `NPS rose: ${impact.before.nps} → ${impact.after.nps}`);
  assert.ok(impact.after.detractors / impact.after.responses < impact.before.detractors / impact.before.responses,
    'fewer detractors');
  assert.equal(impact.significant, true, 'more than the margins');

  const page = await dashboard(t);
  await page.section('Actions').click();
  await page.page.getByRole('button', { name: 'Switch to a next-day carrier' }).click();
  const detail = page.page.getByTestId('action-detail');
  await detail.getByTestId('impact-panel').waitFor();
  assert.equal(await text(detail.getByTestId('impact-significance')), 'significant');
  assert.match(await text(detail.getByTestId('impact-difference')), /^\+\d+ ± \d+ points$/);
  const shown = async (side) => {
    const headline = await text(detail.getByTestId(`impact-${side}`).getByTestId('impact-nps'));
    const match = headline.match(/^NPS ([+-−]?\d+) ± \d+$/);
    assert.ok(match, headline);
    return Number(match[1].replace('−', '-'));
  };
  assert.equal(await shown('before'), Math.round(impact.before.nps));
  assert.equal(await shown('after'), Math.round(impact.after.nps));
});

test('the demo\'s coaching view lists the owners, the fast caller meeting the SLA the slow desk misses', async (t) => {
  // The period the page shows at first: the 29 days before today, by UTC dates.
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const coaching = await admin(`/v1/coaching?survey_id=s_demo&from=${day(Date.now() - 29 * 86_400_000)}&to=${day(Date.now())}`);
  assert.equal(coaching.status, 200);
  const owner = (name) => coaching.body.owners.find((r) => r.name === name);
  const [anna, ben, desk] = ['anna@shop.example', 'ben@shop.example', 'support@shop.example'].map(owner);
  for (const row of [anna, ben, desk]) {
    assert.ok(row && row.cases >= 10 && row.resolved > 0 && row.answered_again > 0, JSON.stringify(row));
  }
  assert.ok(anna.median_hours_to_first_contact < 1 && desk.median_hours_to_first_contact > 24);
  assert.equal(anna.sla_met_percent, 100);
  assert.equal(desk.sla_met_percent, 0);
  assert.ok(coaching.body.best_performers.length > 0, 'best performers by win-back');

  const page = await dashboard(t);
  await page.section('Coaching').click();
  const row = (name) => page.page.locator(`[data-testid="coaching-owner"][data-name="${name}"]`);
  await row('anna@shop.example').waitFor();
  for (const r of [anna, ben, desk]) {
    assert.equal(await text(row(r.name).getByTestId('coaching-cases')), String(r.cases));
  }
  assert.equal(await text(row('anna@shop.example').getByTestId('coaching-sla')), '100%');
  assert.equal(await text(row('support@shop.example').getByTestId('coaching-sla')), '0%');
});
