// The widget's languages: built-in words in twelve languages, the survey's own texts
// over them, the language taken from data-locale, then <html lang>, then the browser's
// languages; Arabic and Hebrew right to left, with the scale mirrored (0 at the right).
// s_demo has texts in English and German only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, eventually, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

/** The trigger page showing s_demo at once, with `query` (data-* of the tag). */
async function open(t, query, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/demo/triggers.html?data-force=true${query}`);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  return page;
}

const question = (page) => page.locator('nps-widget').evaluate((h) => h.shadowRoot.querySelector('#nps-q').textContent);

test('German: the survey\'s own German texts win over the built-in ones', async (t) => {
  const page = await open(t, '&data-locale=de-AT');
  assert.match(await question(page), /^Wie wahrscheinlich ist es, dass Sie Demo Shop/);
  assert.notEqual(await question(page),
    'Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?', 'not the built-in one');
  assert.equal(await page.getByTestId('nps-widget').getAttribute('lang'), 'de');
  assert.equal(await page.getByTestId('nps-dismiss').getAttribute('aria-label'), 'Schließen');
});

test('Japanese: built-in words where the survey has none, from the page\'s lang', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/demo?lang=ja`);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await question(page), '友人や同僚に当社をおすすめする可能性はどのくらいありますか？');
  assert.equal(await page.getByRole('radio', { name: '0 – まったく可能性がない', exact: true }).count(), 1);
  await page.getByRole('radio', { name: '8', exact: true }).click();
  await page.getByText('10点にするには何が必要ですか？').waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: '送信', exact: true }).click();
  await page.getByText('ご意見ありがとうございました！').waitFor({ timeout: 10_000 });
});

test('the browser\'s languages are the last word before English', async (t) => {
  const page = await open(t, '', { locale: 'fr-FR' });
  // triggers.html says lang="en": the page's language beats the browser's.
  assert.match(await question(page), /How likely are you to recommend Demo Shop/);
  // The same page without a lang attribute: the browser's French.
  const context = await browser.newContext({ locale: 'fr-FR' });
  t.after(() => context.close());
  const bare = await context.newPage();
  await bare.route('**/demo/triggers.html*', async (route) => {
    const response = await route.fetch();
    route.fulfill({ response, body: (await response.text()).replace('<html lang="en">', '<html>') });
  });
  await bare.goto(`${BASE_URL}/demo/triggers.html?data-force=true`);
  await bare.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await bare.evaluate(() => document.documentElement.lang), '');
  assert.equal(await question(bare), 'Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue\u00a0?');
});

test('Arabic: right to left, 0 at the right, arrows mirrored, and the answer stored', async (t) => {
  const page = await open(t, '&data-locale=ar');
  const card = page.getByTestId('nps-widget');
  assert.equal(await card.getAttribute('dir'), 'rtl');
  assert.equal(await question(page), 'ما مدى احتمال أن توصي بنا لصديق أو زميل؟');
  const zero = await page.getByRole('radio', { name: '0 – غير محتمل إطلاقًا', exact: true }).boundingBox();
  const ten = await page.getByRole('radio', { name: '10 – محتمل للغاية', exact: true }).boundingBox();
  assert.ok(zero.x > ten.x, `0 (${zero.x}) is right of 10 (${ten.x})`);
  const close = await page.getByTestId('nps-dismiss').boundingBox();
  const box = await card.boundingBox();
  assert.ok(close.x < box.x + box.width / 2, 'the close button is on the left');
  const text = await page.locator('nps-widget').evaluate((h) => getComputedStyle(h.shadowRoot.querySelector('#nps-q')).direction);
  assert.equal(text, 'rtl');

  await page.getByRole('radio', { name: '0 – غير محتمل إطلاقًا', exact: true }).focus();
  await page.keyboard.press('ArrowLeft');
  const focused = await page.locator('nps-widget').evaluate((h) => h.shadowRoot.activeElement.textContent);
  assert.equal(focused, '1', 'ArrowLeft moves on towards 10');
  const marker = `ar-${Date.now()}`;
  await page.keyboard.press('Enter');
  await page.getByText('ما الذي لم يكن على ما يرام؟').waitFor({ timeout: 10_000 });
  await page.getByRole('textbox').fill(marker);
  await page.getByRole('button', { name: 'إرسال', exact: true }).click();
  await page.getByText('شكرًا لك على ملاحظاتك!').waitFor({ timeout: 10_000 });
  const stored = await eventually(async () => {
    const list = await admin('/v1/surveys/s_demo/responses?limit=50');
    return list.body.items.find((r) => r.comment === marker);
  }, { what: 'the Arabic answer' });
  assert.equal(stored.score, 1);
  assert.equal(stored.locale, 'ar');
});

test('Hebrew is right to left too', async (t) => {
  const page = await open(t, '&data-locale=he-IL');
  assert.equal(await page.getByTestId('nps-widget').getAttribute('dir'), 'rtl');
  assert.equal(await question(page), 'עד כמה סביר שתמליצו עלינו לחבר או לעמית?');
});

test('a survey made with only a name asks a German visitor in German, naming the brand', async (t) => {
  const brand = `Acme ${Date.now()}`;
  const made = await admin('/v1/surveys', { method: 'POST', body: { name: brand } });
  assert.equal(made.status, 201);
  assert.equal(made.body.default_locale, 'en');
  assert.deepEqual(Object.keys(made.body.texts).sort(),
    ['ar', 'de', 'en', 'es', 'fr', 'he', 'it', 'ja', 'nl', 'pl', 'pt', 'sv']);
  const id = made.body.id;
  const allowed = await admin(`/v1/surveys/${id}`, {
    method: 'PATCH', body: { allowed_origins: [new URL(BASE_URL).origin] },
  });
  assert.equal(allowed.status, 200);

  // A German browser on a page that names no language.
  const context = await browser.newContext({ locale: 'de-DE' });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.route('**/demo/triggers.html*', async (route) => {
    const response = await route.fetch();
    route.fulfill({ response, body: (await response.text()).replace('<html lang="en">', '<html>') });
  });
  await page.goto(`${BASE_URL}/demo/triggers.html?data-force=true&survey=${id}`);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await question(page),
    `Wie wahrscheinlich ist es, dass Sie ${brand} einem Freund oder Kollegen empfehlen?`);
  assert.equal(await page.getByTestId('nps-widget').getAttribute('lang'), 'de');
  assert.equal(await page.getByTestId('nps-dismiss').getAttribute('aria-label'), 'Schließen');
  await page.getByRole('radio', { name: '10 – Äußerst wahrscheinlich', exact: true }).click();
  await page.getByText('Was gefällt Ihnen am besten?').waitFor({ timeout: 10_000 });
});
