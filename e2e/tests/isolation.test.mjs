// A careful site's page: a strict Content-Security-Policy (no unsafe-inline) and
// hostile global CSS (`* { all: unset !important }`, huge red Comic Sans). The survey
// must still load, look like itself and work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, admin, eventually } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

test('under a strict CSP and hostile CSS the survey loads, keeps its looks and stores an answer', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text()); });
  const response = await page.goto(`${BASE_URL}/demo/strict`);
  assert.match(response.headers()['content-security-policy'], /style-src 'self';/);

  const radio = page.getByRole('radio', { name: '7', exact: true });
  await radio.waitFor({ timeout: 20_000 });
  const look = await radio.evaluate((el) => {
    const s = getComputedStyle(el);
    return { font: s.fontFamily, size: parseFloat(s.fontSize), color: s.color, border: s.borderTopStyle };
  });
  assert.doesNotMatch(look.font, /Comic Sans/);
  assert.ok(look.size < 30, `font size ${look.size}px comes from the widget, not the page`);
  assert.notEqual(look.color, 'rgb(255, 0, 0)');
  assert.notEqual(look.border, 'dashed');
  const hostSize = await page.locator('#host-button').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.equal(hostSize, 40, 'the host page keeps its own (hostile) styles');

  await radio.click();
  await page.getByText('What would make it a 10 for you?').waitFor({ timeout: 10_000 });
  assert.deepEqual(violations, [], 'no CSP violations');
  const answered = await eventually(async () => {
    const list = await admin('/v1/surveys/s_demo/responses?limit=20');
    return list.body.items.find((r) => r.score === 7 && (r.page_url ?? '').endsWith('/demo/strict'));
  }, { what: 'the answer from the strict page' });
  assert.equal(answered.category, 'passive');
});

test('the widget adds no global but window.nps, and nothing to the document outside its host', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__before = new Set(Object.getOwnPropertyNames(window));
  });
  await page.goto(`${BASE_URL}/demo/strict`);
  await page.getByRole('radio', { name: '7', exact: true }).waitFor({ timeout: 20_000 });
  const added = await page.evaluate(() =>
    Object.getOwnPropertyNames(window).filter((k) => !window.__before.has(k) && k !== '__before'));
  assert.deepEqual(added, ['nps']);
  const outside = await page.evaluate(() => ({
    styles: document.querySelectorAll('style').length,
    sheets: document.adoptedStyleSheets.length,
    hosts: document.querySelectorAll('nps-widget').length,
  }));
  assert.deepEqual(outside, { styles: 0, sheets: 0, hosts: 1 });
});
