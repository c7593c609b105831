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
