// Pictures for the README, made from the real thing: the invitation e-mail as a mail
// client renders it, the widget on the demo shop page, the hosted survey page, the
// dashboard's survey editor. Each also checks what it shows, so a broken page fails
// here rather than in the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { admin } from '../lib/server.mjs';
import { launch, DemoPage } from '../lib/browser.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

mkdirSync('e2e/artifacts', { recursive: true });

test('the invitation e-mail renders as a row of eleven score buttons', async (t) => {
  const inv = await admin('/v1/invitations', {
    method: 'POST', body: { survey_id: 's_demo', order_id: `shot-${Date.now()}`, locale: 'en' },
  });
  assert.equal(inv.status, 201);
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 640, height: 220 } });
  await page.setContent(`<!doctype html><body style="margin:24px;background:#fff">
    <p style="font:15px Arial,sans-serif;color:#111827">Hi Kim, your order has arrived. One quick question:</p>
    ${inv.body.email_html}</body>`);
  const boxes = await page.$$eval('a', (links) => links.map((a) => a.getBoundingClientRect().width));
  assert.equal(boxes.length, 11);
  assert.ok(boxes.every((w) => w >= 30), 'every score is a tappable button');
  await page.screenshot({ path: 'e2e/artifacts/email.png' });
});

test('the widget on the demo shop page', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  const demo = await new DemoPage(page).open();
  assert.equal(await demo.page.getByRole('radio').count(), 11);
  await page.waitForTimeout(800); // let the card finish fading in
  await page.screenshot({ path: 'e2e/artifacts/widget.png' });
});

test('the survey editor with the German texts and their live preview', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1360, height: 980 } });
  const dashboard = await new DashboardPage(page).open();
  await dashboard.signIn();
  await dashboard.section('Survey').click();
  await dashboard.languageTab('German').click();
  const survey = (await admin('/v1/surveys/s_demo')).body;
  await dashboard.previewCard().getByRole('radio', { name: '9', exact: true }).click();
  assert.equal(await page.getByTestId('preview-follow-up').textContent(), survey.texts.de.follow_up.promoter);
  assert.equal(await dashboard.previewQuestion().textContent(), survey.texts.de.question);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'e2e/artifacts/dashboard-editor.png' });
});

// Closing the loop (README): the demo month's cases, playbook, themes, action plan and
// coaching, each cropped to its panel so the pictures stay small.

/**
 * A screenshot of the smallest box around `locators`, with a margin; cut below `until`
 * (a locator) or after `maxHeight` pixels when given.
 */
async function panels(page, locators, name, { until, maxHeight = Infinity } = {}) {
  const boxes = [];
  for (const locator of locators) boxes.push(await locator.boundingBox());
  assert.ok(boxes.every(Boolean), `${name}: every panel is on the page`);
  const x = Math.max(0, Math.min(...boxes.map((b) => b.x)) - 8);
  const y = Math.max(0, Math.min(...boxes.map((b) => b.y)) - 8);
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + 8;
  const end = until ? await until.boundingBox() : null;
  const bottom = Math.min(end ? end.y + end.height + 12 : Infinity, y + maxHeight,
    Math.max(...boxes.map((b) => b.y + b.height)) + 8);
  await page.screenshot({ path: `e2e/artifacts/${name}.png`, clip: { x, y, width: right - x, height: bottom - y }, fullPage: true });
}

async function signedIn(t, viewport = { width: 1280, height: 900 }) {
  const browser = await launch();
  t.after(() => browser.close());
  const dashboard = await new DashboardPage(await browser.newPage({ viewport })).open();
  const report = await dashboard.signIn();
  return { dashboard, page: dashboard.page, report };
}

test('loop: an open case with its suggested cause and the playbook\'s best solutions', async (t) => {
  const { dashboard, page } = await signedIn(t);
  await dashboard.section('Cases').click();
  await dashboard.caseRows().first().waitFor();
  const open = (await admin('/v1/cases?survey_id=s_demo&status=open&limit=20')).body.items;
  const withSuggestions = open.find((c) => (c.suggestions ?? []).length > 0) ?? open[0];
  await dashboard.caseRow(withSuggestions.id).click();
  await dashboard.caseSuggestions().first().waitFor();
  assert.ok(await dashboard.caseSuggestions().count() >= 2, 'the playbook suggests solutions');
  assert.notEqual(await dashboard.caseCause().inputValue(), '', 'a cause is preselected');
  await panels(page, [dashboard.caseDetail()], 'loop-case');
});

test('loop: a resolved case whose customer was won back', async (t) => {
  const resolved = (await admin('/v1/cases?survey_id=s_demo&status=resolved&limit=20')).body.items;
  const won = resolved.find((c) => c.win_back === 'won_back' && c.cause === 'delivery');
  assert.ok(won, 'a recent resolved delivery case was won back');
  const { dashboard, page } = await signedIn(t);
  await dashboard.section('Cases').click();
  await page.getByRole('tablist', { name: 'Case status' }).getByRole('tab', { name: /^Resolved/ }).click();
  await dashboard.caseRow(won.id).click();
  await dashboard.caseDetail().getByTestId('timeline').getByText(won.solution).first().waitFor();
  await panels(page, [dashboard.caseDetail()], 'loop-resolved', { until: dashboard.caseDetail().getByTestId('timeline') });
});

test('loop: the playbook for late parcels', async (t) => {
  const { dashboard, page } = await signedIn(t, { width: 1100, height: 800 });
  await dashboard.section('Playbook').click();
  await dashboard.playbookCause().selectOption('delivery');
  await dashboard.playbookEntries().nth(2).waitFor();
  await panels(page, [dashboard.playbookCause(), page.getByTestId('playbook')], 'loop-playbook');
});

test('loop: the detractors\' themes and the trend', async (t) => {
  const { dashboard, page, report } = await signedIn(t);
  assert.ok(report.themes.detractor.some((x) => x.group === 'delivery'));
  await dashboard.detractorThemes().getByTestId('theme').first().waitFor();
  await panels(page, [page.locator('section[aria-labelledby="themes-title"]')], 'loop-themes', { maxHeight: 560 });
  await panels(page, [page.locator('section[aria-labelledby="trend-title"]')], 'loop-trend');
});

test('loop: the action plan\'s impact and the coaching view', async (t) => {
  const { dashboard, page } = await signedIn(t, { width: 1200, height: 1000 });
  await dashboard.section('Actions').click();
  await page.getByRole('button', { name: 'Switch to a next-day carrier' }).click();
  const detail = page.getByTestId('action-detail');
  await detail.getByTestId('impact-panel').waitFor();
  await panels(page, [detail], 'loop-action');
  await dashboard.section('Coaching').click();
  await page.locator('[data-testid="coaching-owner"]').first().waitFor();
  await panels(page, [page.getByTestId('best-performers'), page.locator('table:has([data-testid="coaching-owner"])'),
    page.locator('table:has([data-testid="coaching-team"])')], 'loop-coaching');
});
