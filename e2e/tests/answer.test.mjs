// The whole loop, as a shop customer and a help desk see it: a person answers on the
// demo shop page; the answer is stored with its category; a signed detractor alert
// reaches a webhook receiver and verifies with the standardwebhooks library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { admin, eventually } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { launch, DemoPage } from '../lib/browser.mjs';

async function detractorHook(t) {
  const receiver = await startReceiver();
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['response.created'], filter: { categories: ['detractor'], survey_ids: ['s_demo'] } },
  });
  assert.equal(hook.status, 201);
  assert.match(hook.body.secret, /^whsec_/);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  return { receiver, secret: hook.body.secret };
}

async function demoPage(t, query = '') {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  return new DemoPage(page).open(query);
}

function storedAnswer(predicate, what) {
  return eventually(async () => {
    const list = await admin('/v1/surveys/s_demo/responses?limit=50');
    assert.equal(list.status, 200);
    return list.body.items.find(predicate);
  }, { what });
}

test('a person who clicks 3 and comments is stored as a detractor and alerts the webhook', async (t) => {
  const { receiver, secret } = await detractorHook(t);
  const demo = await demoPage(t);
  const comment = `The parcel came late (${Date.now()})`;

  await demo.score(3).click();
  await demo.comment().fill(comment);
  await demo.submit().click();
  await demo.thanks().waitFor({ timeout: 10_000 });
  await demo.screenshot('answered-3');

  const stored = await storedAnswer((r) => r.comment === comment, 'the stored answer');
  assert.equal(stored.score, 3);
  assert.equal(stored.category, 'detractor');
  assert.equal(stored.channel, 'web');
  assert.equal(stored.properties.store, 'berlin', 'data-prop-store travels with the answer');
  assert.match(stored.page_url, /\/demo$/);

  const [delivery] = await receiver.waitFor((body) => body.data?.id === stored.id);
  const webhook = new Webhook(secret);
  const payload = webhook.verify(delivery.body, delivery.headers);
  assert.equal(payload.type, 'response.created');
  assert.equal(payload.data.category, 'detractor');
  assert.equal(payload.data.score, 3);
  assert.equal(payload.data.survey.id, 's_demo');
  assert.match(delivery.headers['webhook-id'], /^dl_/);
  assert.throws(() => webhook.verify(delivery.body.replace('"score":3', '"score":9'), delivery.headers),
    'a tampered body must not verify');
});

test('a keyboard-only person can answer, and a promoter is asked what they liked', async (t) => {
  const demo = await demoPage(t);
  const radios = demo.page.getByRole('radio');
  assert.equal(await radios.count(), 11);
  // The ends carry their labels in their accessible names.
  assert.equal(await demo.page.getByRole('radio', { name: '0 – Not at all likely', exact: true }).count(), 1);
  assert.equal(await demo.page.getByRole('radio', { name: '10 – Extremely likely', exact: true }).count(), 1);

  // From the page, Tab reaches the scale: one stop in the tab order (the first radio).
  await demo.page.locator('#host-button').focus();
  let name = '';
  for (let i = 0; i < 6 && name !== '0'; i += 1) {
    await demo.page.keyboard.press('Tab');
    name = await focusedText(demo);
  }
  assert.equal(name, '0', 'Tab lands on the scale');
  await demo.page.keyboard.press('Tab');
  assert.notEqual(await focusedRole(demo), 'radio', 'the scale is a single tab stop');
  await demo.page.keyboard.press('Shift+Tab');
  for (let i = 0; i < 9; i += 1) await demo.page.keyboard.press('ArrowRight');
  await assertFocused(demo, '9');
  await demo.page.keyboard.press('Enter');

  await demo.page.getByText('Great! What did you like most?').waitFor({ timeout: 10_000 });
  assert.equal(await focusedRole(demo), 'textbox', 'focus moves on to the comment');
  const marker = `kbd-${Date.now()}`;
  await demo.page.keyboard.type(marker);
  await demo.page.keyboard.press('Tab');
  await demo.page.keyboard.press('Enter');
  await demo.thanks().waitFor({ timeout: 10_000 });
  const stored = await storedAnswer((r) => r.comment === marker, 'the keyboard answer');
  assert.equal(stored.score, 9);
  assert.equal(stored.category, 'promoter');
});

test('the demo page in German shows the German survey', async (t) => {
  const demo = await demoPage(t, '?lang=de');
  await demo.page.getByText('Wie wahrscheinlich ist es, dass Sie Demo Shop').waitFor();
  await demo.score(6).click();
  await demo.page.getByText('Das tut uns leid. Was ist schiefgelaufen?').waitFor({ timeout: 10_000 });
  await demo.screenshot('german-follow-up');
});

test('the host page keeps its own styles and the widget keeps out of them', async (t) => {
  const demo = await demoPage(t);
  // The demo page styles every button in Comic Sans on yellow; the widget's buttons
  // live in a shadow root and must not be touched by that.
  const hostFont = await demo.page.locator('#host-button').evaluate((el) => getComputedStyle(el).fontFamily);
  const widgetFont = await demo.score(5).evaluate((el) => getComputedStyle(el).fontFamily);
  assert.match(hostFont, /Comic Sans/);
  assert.doesNotMatch(widgetFont, /Comic Sans/);
  const widgetBorder = await demo.score(5).evaluate((el) => getComputedStyle(el).borderTopStyle);
  assert.notEqual(widgetBorder, 'dashed');
  // Nothing of the widget outside its host element.
  const strays = await demo.page.evaluate(() =>
    [...document.body.children].filter((el) => !['HEADER', 'MAIN', 'SCRIPT'].includes(el.tagName)).length);
  assert.equal(strays, 1, 'exactly one host element is added to the page');
});

function deepFocus(demo) {
  return demo.page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { text: el?.textContent?.trim(), role: el?.getAttribute('role') ?? (el?.tagName === 'TEXTAREA' ? 'textbox' : el?.tagName) };
  });
}

const focusedText = async (demo) => (await deepFocus(demo)).text;
const focusedRole = async (demo) => (await deepFocus(demo)).role;

async function assertFocused(demo, name) {
  assert.equal(await focusedText(demo), name);
}
