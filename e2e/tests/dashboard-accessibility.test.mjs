// axe-core (WCAG 2.2 A/AA rules) on every page of the dashboard, as the widget is
// checked in accessibility.test.mjs: the sign-in form (also with its error), then each
// section the navigation offers — found from the navigation itself, so that a page
// added later is checked without touching this file — and the states that show more:
// a case opened from the inbox (status pills in every colour), a webhook endpoint with
// delivered and pending deliveries, the editor showing a field error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launch } from '../lib/browser.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';
import { admin, call } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe's WCAG 2.2 AA violations on the whole document, one line each. */
async function violations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary?.split('\n')[1]?.trim() ?? ''})`).join('; ')}`);
  });
}

/** Waits until nothing on the page says it is loading. */
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 20_000 });
  await page.waitForTimeout(300);
}

test('every dashboard page and state passes axe-core with no violations', async (t) => {
  // An endpoint with a delivered and a pending (retrying) delivery, so that the
  // webhooks page shows its status pills.
  const receiver = await startReceiver();
  const good = await admin('/v1/webhooks', {
    method: 'POST', body: { url: receiver.url, events: ['response.created'], filter: { survey_ids: ['s_demo'] }, description: 'axe: delivered' },
  });
  const bad = await admin('/v1/webhooks', {
    method: 'POST', body: { url: 'http://127.0.0.1:9/hooks', events: ['response.created'], filter: { survey_ids: ['s_demo'] }, description: 'axe: pending' },
  });
  assert.equal(good.status, 201);
  assert.equal(bad.status, 201);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await admin(`/v1/webhooks/${good.body.id}`, { method: 'DELETE' });
    await admin(`/v1/webhooks/${bad.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: 's_demo', score: 3, channel: 'api' }),
  });
  assert.equal(answered.status, 201);
  await receiver.waitFor((b) => b.type === 'response.created' && b.data.id === answered.body.id);

  // The dashboard's CSP allows no inline script; axe is injected as one, so this page
  // alone bypasses the CSP (security.test.mjs checks the header itself).
  const context = await browser.newContext({ bypassCSP: true });
  const page = new DashboardPage(await context.newPage());
  await page.open();
  assert.deepEqual(await violations(page.page), [], 'sign-in');
  await page.tokenField().fill('not-the-token');
  await page.signInButton().click();
  await page.signInError().waitFor();
  assert.deepEqual(await violations(page.page), [], 'sign-in with its error');

  await page.page.reload();
  await page.tokenField().waitFor();
  await page.signIn();
  const sections = await page.page.getByRole('navigation', { name: 'Sections' }).getByRole('button').allTextContents();
  assert.ok(sections.length >= 5, `the navigation offers the sections: ${sections}`);
  for (const name of sections.map((s) => s.trim())) {
    await page.section(name).click();
    await settled(page.page);
    assert.deepEqual(await violations(page.page), [], name);

    if (name === 'Cases') {
      await page.caseRows().first().click();
      await page.caseDetail().waitFor();
      await settled(page.page);
      assert.deepEqual(await violations(page.page), [], 'a case opened');
    }
    if (name === 'Webhooks') {
      const card = page.webhook(bad.body.id);
      await card.waitFor();
      const pills = page.page.locator('.pill.pending, .pill.failed');
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && (await pills.count()) === 0;) {
        await card.getByRole('button', { name: 'Refresh' }).click();
        await page.page.waitForTimeout(500);
      }
      assert.ok((await pills.count()) > 0, 'a pending or failed delivery shows');
      assert.deepEqual(await violations(page.page), [], 'webhook deliveries');
    }
    if (name === 'Survey') {
      await page.editor().getByLabel('Name', { exact: true }).fill('');
      await page.saveButton().click();
      await page.page.locator('.field-error').first().waitFor();
      assert.deepEqual(await violations(page.page), [], 'the editor with a field error');
      await page.page.reload();
      await page.tokenField().or(page.section('Overview')).first().waitFor();
      if (await page.tokenField().isVisible()) await page.signIn();
    }
  }

  // The control: axe does judge the page (an unlabelled field is found).
  await page.page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'text' })));
  assert.ok((await violations(page.page)).some((v) => v.startsWith('label')), 'axe sees the dashboard');
});
