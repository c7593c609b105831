// The demo's comment themes on the dashboard, in Chromium against the real worker and
// the seeded demo month (worker/seed/demo.sql, comments from shared/src/corpus.txt):
// no two themes cover nearly the same comments, a theme opens to its comments, and
// the delivery complaints the seed stops after day 23 are gone from the last week of
// the detractors' delivery trend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin } from '../lib/server.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

/** Two terms are one theme from this Jaccard index of their comments on (shared/src/themes.rs). */
const MERGE_JACCARD = 0.8;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  t.after(() => context.close());
  return new DashboardPage(await context.newPage()).open();
}

const jaccard = (a, b) => {
  const shared = [...a].filter((x) => b.has(x)).length;
  return shared / (a.size + b.size - shared);
};

/**
 * An upper bound of the Jaccard index of two themes' comment sets from what the report
 * says of them: the smaller count over the larger bounds it, and when both themes list
 * all their comments the index is exact. Otherwise both lists hold every comment newer
 * than the later of their oldest listed ones, and the index over that stretch is used.
 */
function overlap(a, b) {
  const size = (t) => t.detractors + t.promoters;
  const bound = Math.min(size(a), size(b)) / Math.max(size(a), size(b));
  if (bound < MERGE_JACCARD) return bound;
  const since = [a, b].filter((t) => t.comments.length < size(t)).map((t) => t.comments.at(-1).created_at).sort().at(-1);
  const ids = (t) => new Set(t.comments.filter((c) => since === undefined || c.created_at >= since).map((c) => c.id));
  return jaccard(ids(a), ids(b));
}

test('the demo theme list shows no two themes covering the same comments', async (t) => {
  const page = await dashboard(t);
  const report = await page.signIn();
  const { detractor, promoter } = report.themes;
  assert.ok(detractor.length >= 5 && promoter.length >= 5, 'the demo month has themes on both sides');

  // The page lists exactly the report's themes, in its order.
  const shown = page.page.getByTestId('theme');
  await shown.first().waitFor();
  assert.deepEqual(await shown.evaluateAll((items) => items.map((li) => li.dataset.term)), [...detractor, ...promoter].map((x) => x.term));

  const all = [...detractor, ...promoter];
  for (const [i, a] of all.entries()) {
    for (const b of all.slice(0, i)) {
      assert.ok(overlap(a, b) < MERGE_JACCARD, `"${a.term}" and "${b.term}" cover nearly the same comments`);
    }
  }
  // The five overlapping n-grams of the old demo ("came", "came late", "delivery",
  // "delivery came", "late") are no longer five themes; synonyms are one.
  for (const word of ['Lieferung', 'lieferung', 'parcel', 'shipping', 'Paket']) {
    assert.ok(!all.some((x) => x.term === word), `${word} is a theme of its own`);
  }
  assert.ok(detractor.slice(0, 5).some((x) => x.group === 'delivery'), 'delivery is among the top detractor themes');

  // Each theme shows its share of either side and a trend.
  const first = page.detractorThemes().getByTestId('theme').first();
  const percent = (share) => Math.round(share * 100);
  assert.equal(
    await first.getByTestId('theme-shares').textContent(),
    `${percent(detractor[0].detractor_share)}% of detractors · ${percent(detractor[0].promoter_share)}% of promoters`,
  );
  assert.equal(await first.getByTestId('theme-trend').getAttribute('aria-label'), `Comments by bucket: ${detractor[0].trend.join(', ')}`);
  await page.screenshot('themes');
});

test('clicking a theme lists its comments', async (t) => {
  const page = await dashboard(t);
  const report = await page.signIn();
  const theme = report.themes.detractor[0];
  const item = page.detractorThemes().getByTestId('theme').first();
  const button = item.getByRole('button', { name: theme.term, exact: true });
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  assert.equal(await item.getByTestId('theme-comments').count(), 0);

  await button.click();
  const list = item.getByTestId('theme-comments');
  await list.waitFor();
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  const rows = list.locator('li');
  assert.deepEqual(await rows.evaluateAll((lis) => lis.map((li) => li.dataset.responseId)), theme.comments.map((c) => c.id));
  assert.deepEqual(await rows.locator('q').allTextContents(), theme.comments.map((c) => c.comment));
  assert.ok(theme.comments.length > 0);

  // They are the survey's answers: the same comment under the same id.
  const answers = new Map();
  for (let cursor = null, pages = 0; pages < 5; pages++) {
    const page = await admin(`/v1/surveys/s_demo/responses?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(page.status, 200);
    for (const answer of page.body.items) answers.set(answer.id, answer);
    cursor = page.body.next_cursor;
    if (!cursor) break;
  }
  for (const c of theme.comments) {
    assert.equal(answers.get(c.id)?.comment, c.comment, c.id);
    assert.equal(answers.get(c.id)?.score, c.score, c.id);
  }

  await button.click();
  await list.waitFor({ state: 'detached' });
});

test('the delivery complaints the demo stops after day 23 are gone from the last week', async () => {
  const { status, body } = await admin('/v1/surveys/s_demo/report?interval=day&from=' + encodeURIComponent(new Date(Date.now() - 30 * 86_400_000).toISOString()));
  assert.equal(status, 200);
  // Every detractor theme with a delivery word (`delivery`, `late delivery`, …).
  const delivery = body.themes.detractor.filter((x) => x.stem.split(' ').includes('=delivery'));
  assert.ok(delivery.length >= 1, `a delivery theme among ${body.themes.detractor.map((x) => x.term)}`);
  for (const theme of delivery) {
    assert.equal(theme.trend.length, body.trend.length, 'one count per trend bucket');
    // The last seven day buckets lie within the last seven days (days 24–30).
    assert.deepEqual(theme.trend.slice(-7), [0, 0, 0, 0, 0, 0, 0], `${theme.term} per day: ${theme.trend}`);
  }
  assert.ok(delivery[0].trend.slice(0, -8).reduce((a, b) => a + b, 0) >= 10, `before: ${delivery[0].trend}`);
  assert.ok(body.themes.detractor_buckets.slice(-7).some((n) => n > 0), 'detractors still comment, on other things');
});
