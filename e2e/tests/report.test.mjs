// The outer loop's report on the seeded demo data, checked against the answers the
// API lists: NPS and its margin, trend, groups by store, RFM, themes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admin } from '../lib/server.mjs';

async function allAnswers(surveyId) {
  const items = [];
  let cursor = '';
  do {
    const page = await admin(`/v1/surveys/${surveyId}/responses?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

test('the report agrees with the answers: NPS, margin, distribution, stores and themes', async () => {
  const answers = (await allAnswers('s_demo')).filter((a) => !a.flagged);
  const r = await admin('/v1/surveys/s_demo/report?interval=week&group_by=store&min_group_size=1');
  assert.equal(r.status, 200);
  const n = answers.length;
  const p = answers.filter((a) => a.score >= 9).length;
  const d = answers.filter((a) => a.score <= 6).length;
  assert.equal(r.body.overall.responses, n);
  assert.ok(Math.abs(r.body.overall.nps - (100 * (p - d)) / n) < 1e-9);
  // 95% margin from the variance of the +1/0/-1 indicator.
  const mean = (p - d) / n;
  const margin = 1.96 * Math.sqrt((p / n + d / n - mean * mean) / n) * 100;
  assert.ok(Math.abs(r.body.overall.margin_of_error - margin) < 1e-6);
  assert.equal(r.body.distribution.reduce((a, b) => a + b, 0), n);
  assert.equal(r.body.trend.reduce((sum, bucket) => sum + bucket.responses, 0), n);

  const stores = Object.fromEntries(r.body.groups.map((g) => [g.value, g.responses]));
  for (const store of ['berlin', 'hamburg', 'munich']) {
    assert.equal(stores[store], answers.filter((a) => a.properties.store === store).length, store);
  }
  const detractorTerms = r.body.themes.detractor.map((t) => t.term);
  assert.ok(detractorTerms.some((t) => /late|delivery/.test(t)), `themes: ${detractorTerms}`);
  assert.ok(r.body.themes.detractor.every((t) => t.examples.length > 0));
});

test('report parameters are checked, and a range narrows the report', async () => {
  const bad = await admin('/v1/surveys/s_demo/report?interval=hourly&utc_offset_minutes=9999');
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors.map((e) => e.field).sort(), ['interval', 'utc_offset_minutes']);
  const all = (await admin('/v1/surveys/s_demo/report')).body.overall.responses;
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const week = (await admin(`/v1/surveys/s_demo/report?from=${since}&interval=day&utc_offset_minutes=60`)).body;
  assert.ok(week.overall.responses > 0 && week.overall.responses < all);
  assert.ok(week.trend.length >= 7 && week.trend.length <= 9);
  const rfm = await admin('/v1/surveys/s_demo/report?group_by=rfm');
  assert.equal(rfm.status, 200);
  assert.equal(rfm.body.groups.at(-1).value, 'unknown', 'answers without RFM properties are counted as unknown');
  assert.equal((await admin('/v1/surveys/s_nope/report')).status, 404);
});
