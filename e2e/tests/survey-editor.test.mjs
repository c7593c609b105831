// The dashboard's survey editor, its live preview and the lists that page, in Chromium
// against the real worker: an edit shows in the preview as it is typed and reaches the
// widget's config when saved; a refused field is named at the field; a new survey is
// created; the case inbox and a webhook's delivery log load their next page; the
// revenue chart draws the seeded bands; times are in the browser's zone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { admin, call } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function dashboard(t, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, ...options });
  t.after(() => context.close());
  return new DashboardPage(await context.newPage()).open();
}

/** Puts s_demo back as it was, so the other test files see the seeded survey. */
async function keepDemo(t) {
  const before = (await admin('/v1/surveys/s_demo')).body;
  t.after(async () => {
    const { texts, theme, allowed_origins: origins } = before;
    const restored = await admin('/v1/surveys/s_demo', { method: 'PATCH', body: { texts, theme, allowed_origins: origins } });
    assert.equal(restored.status, 200);
  });
  return before;
}

test('the German question and the brand colour show in the preview as typed, and saving reaches the widget config', async (t) => {
  await keepDemo(t);
  const page = await dashboard(t);
  await page.signIn();
  await page.section('Survey').click();
  await page.languageTab('German').click();
  assert.equal(await page.previewCard().getAttribute('lang'), 'de');

  const question = `Würden Sie uns einer Freundin empfehlen? (${Date.now()})`;
  await page.localeField('Question').fill(question);
  // No save yet: the preview already shows it, and the page knows it is unsaved.
  assert.equal(await page.previewQuestion().textContent(), question);
  await page.unsaved().waitFor();

  await page.accentField().fill('#d9480f');
  await page.previewCard().getByRole('radio', { name: '9', exact: true }).click();
  const selected = page.previewCard().getByRole('radio', { name: '9', exact: true });
  assert.equal(await selected.getAttribute('aria-checked'), 'true');
  assert.equal(await selected.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(217, 72, 15)');
  // A promoter's score shows the promoters' follow-up, in German.
  const demo = (await admin('/v1/surveys/s_demo')).body;
  assert.equal(await page.page.getByTestId('preview-follow-up').textContent(), demo.texts.de.follow_up.promoter);

  const saved = page.page.waitForResponse((r) => r.url().endsWith('/v1/surveys/s_demo') && r.request().method() === 'PATCH');
  await page.saveButton().click();
  const patch = await saved;
  assert.equal(patch.status(), 200);
  // Only what changed was sent.
  assert.deepEqual(Object.keys(JSON.parse(patch.request().postData())).sort(), ['texts', 'theme']);
  await page.editorStatus().getByText(/^Saved at/).waitFor();
  await page.unsaved().waitFor({ state: 'detached' });

  const config = await call('/v1/surveys/s_demo/config?locale=de', { method: 'GET' });
  assert.equal(config.status, 200);
  assert.equal(config.body.locale, 'de');
  assert.equal(config.body.texts.question, question);
  assert.equal(config.body.theme.accent, '#d9480f');
  await page.screenshot('survey-editor-saved', { fullPage: false });
});

test('fields the server refuses are named at the field, and nothing is stored', async (t) => {
  const before = await keepDemo(t);
  const page = await dashboard(t);
  await page.signIn();
  await page.section('Survey').click();

  await page.accentField().fill('brand blue');
  const origins = page.editor().locator('textarea[data-field="allowed_origins"]');
  await origins.fill('http://localhost:*\nftp://shop.example');
  const refused = page.page.waitForResponse((r) => r.url().endsWith('/v1/surveys/s_demo') && r.request().method() === 'PATCH');
  await page.saveButton().click();
  assert.equal((await refused).status(), 422);

  await page.fieldError('theme.accent').waitFor();
  assert.match(await page.fieldError('theme.accent').textContent(), /must be a colour like #2563eb/);
  assert.equal(await page.accentField().getAttribute('aria-invalid'), 'true');
  assert.match(await page.fieldError('allowed_origins[1]').textContent(), /Line 2 “ftp:\/\/shop\.example” must be an origin/);
  assert.match(await page.editorStatus().textContent(), /Not saved: 2 fields need to be fixed/);
  await page.unsaved().waitFor();

  // The summary at the top leads to each field.
  await page.page.getByTestId('error-summary').getByRole('button', { name: 'Brand colour' }).click();
  await page.page.waitForFunction(() => document.activeElement?.id === 'accent-text');
  await page.screenshot('survey-editor-errors', { fullPage: true });

  // A number that is not one is caught before anything is sent.
  const throttle = page.editor().locator('input[data-field="throttle.days"]');
  await throttle.fill('ninety');
  await page.saveButton().click();
  await page.fieldError('throttle.days').getByText('must be a whole number from 0 to 3650').waitFor();

  const stored = (await admin('/v1/surveys/s_demo')).body;
  assert.deepEqual(stored.theme, before.theme);
  assert.deepEqual(stored.allowed_origins, before.allowed_origins);
  assert.equal(stored.throttle.days, before.throttle.days);

  // Another section and back: the unsaved edits are still there.
  await page.section('Embed').click();
  await page.page.getByTestId('embed-snippet').waitFor();
  assert.equal(await page.page.locator('.nav-dot').count(), 1, 'the Survey section is marked unsaved');
  await page.section('Survey').click();
  assert.equal(await page.accentField().inputValue(), 'brand blue');
  await page.unsaved().waitFor();

  // Discard puts the stored values back.
  await page.editor().getByRole('button', { name: 'Discard' }).click();
  assert.equal(await page.accentField().inputValue(), before.theme.accent);
  assert.equal(await page.fieldError('theme.accent').count(), 0);
  await page.unsaved().waitFor({ state: 'detached' });
  assert.equal(await page.page.locator('.nav-dot').count(), 0);
});

test('a new survey with an Arabic translation is created from the editor, mirrored in the preview', async (t) => {
  const page = await dashboard(t);
  await page.signIn();
  await page.section('Survey').click();
  await page.editor().getByRole('button', { name: 'New survey' }).click();
  await page.editor().getByRole('heading', { name: 'New survey' }).waitFor();

  const id = `s_e2e_${Date.now()}`;
  await page.editor().getByLabel('Name', { exact: true }).fill('Checkout survey');
  await page.editor().getByLabel('Survey id (optional)').fill(id);
  await page.editor().getByLabel('Add a language').fill('ar');
  await page.editor().getByRole('button', { name: 'Add', exact: true }).click();
  await page.languageTab('Arabic').waitFor();
  assert.equal(await page.languageTab('Arabic').getAttribute('aria-selected'), 'true');
  const arabic = 'ما مدى احتمال أن توصي بنا لصديق؟';
  await page.localeField('Question').fill(arabic);
  assert.equal(await page.previewQuestion().textContent(), arabic);
  assert.equal(await page.previewCard().getAttribute('dir'), 'rtl');
  // What is typed is shown as text, never run as HTML.
  const markup = '<img src=x onerror="window.pwned=1"><b>شكرا</b>';
  await page.localeField('Thank-you message').fill(markup);
  await page.preview().getByRole('tab', { name: 'Thanks' }).click();
  assert.equal(await page.page.getByTestId('preview-thanks').textContent(), markup);
  assert.equal(await page.previewCard().locator('img, b').count(), 0);
  assert.equal(await page.page.evaluate(() => window.pwned), undefined);
  await page.preview().getByRole('tab', { name: 'Question' }).click();
  // Mirrored: the scale starts at the right.
  const [zero, ten] = await Promise.all(['0', '10'].map((n) =>
    page.previewCard().getByRole('radio', { name: n, exact: true }).evaluate((b) => b.getBoundingClientRect().x)));
  assert.ok(zero > ten, `0 at ${zero}, 10 at ${ten}`);

  const created = page.page.waitForResponse((r) => r.url().endsWith('/v1/surveys') && r.request().method() === 'POST');
  await page.saveButton().click();
  assert.equal((await created).status(), 201);
  // The created survey is chosen and edited from now on.
  await page.editor().getByRole('heading', { name: /Checkout survey/ }).waitFor();
  assert.match(await page.page.getByTestId('editor-snippet').textContent(), new RegExp(`data-survey="${id}"`));
  const picker = page.page.locator('.topbar select');
  assert.equal(await picker.inputValue(), id);

  const stored = await admin(`/v1/surveys/${id}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.body.name, 'Checkout survey');
  assert.deepEqual(Object.keys(stored.body.texts).sort(), ['ar', 'en']);
  assert.equal(stored.body.texts.ar.question, arabic);
  assert.equal(stored.body.texts.ar.thanks, markup);

  // Its overview is empty, and says so rather than drawing empty charts.
  await page.section('Overview').click();
  await page.revenueChart().or(page.page.getByTestId('revenue-empty')).waitFor();
  assert.equal(await page.revenueChart().count(), 0);
  assert.match(await page.page.getByTestId('revenue-empty').textContent(), /No answers carry a revenue property yet/);
  assert.equal((await page.headline().textContent()).replace(/\s+/g, ' ').trim(), 'NPS —');
});

test('the case inbox and a delivery log load their next page', async (t) => {
  const receiver = await startReceiver();
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, events: ['case.opened'], filter: { survey_ids: ['s_demo'] }, description: 'Paging e2e' },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  // 23 detractors: 23 open cases and 23 case.opened deliveries, more than a page of each.
  for (let i = 0; i < 23; i += 1) {
    const answered = await call('/v1/responses', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ survey_id: 's_demo', score: 2, channel: 'api', comment: `Paging ${i}`, properties: { store: 'munich' } }),
    });
    assert.equal(answered.status, 201);
  }
  const open = [];
  for (let cursor = null; ;) {
    const page = await admin(`/v1/cases?survey_id=s_demo&status=open&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    open.push(...page.body.items.map((c) => c.id));
    cursor = page.body.next_cursor;
    if (!cursor) break;
  }
  assert.ok(open.length > 20);

  const page = await dashboard(t);
  await page.signIn();
  await page.section('Cases').click();
  await page.caseRows().first().waitFor();
  assert.equal(await page.caseRows().count(), 20);
  for (let shown = 20; shown < open.length;) {
    await page.page.getByTestId('cases-load-more').click();
    const next = Math.min(shown + 20, open.length);
    await page.caseRows().nth(next - 1).waitFor();
    shown = next;
  }
  await page.page.getByTestId('cases-load-more').waitFor({ state: 'detached' });
  assert.deepEqual(await page.caseRows().evaluateAll((rows) => rows.map((r) => r.dataset.caseId)), open);

  await page.section('Webhooks').click();
  const card = page.webhook(hook.body.id);
  await card.locator('[data-testid="delivery"]').first().waitFor();
  assert.equal(await card.locator('[data-testid="delivery"]').count(), 20);
  await card.getByTestId('deliveries-load-more').click();
  await card.locator('[data-testid="delivery"]').nth(22).waitFor();
  assert.equal(await card.locator('[data-testid="delivery"]').count(), 23);
  await card.getByTestId('deliveries-load-more').waitFor({ state: 'detached' });
});

test('the revenue chart draws one bar per band of the report, with its count', async (t) => {
  const page = await dashboard(t);
  const report = await page.signIn();
  assert.ok(report.revenue_bands.length >= 3, 'the seeded answers carry revenues');
  const chart = page.revenueChart();
  await chart.waitFor();
  assert.equal(await chart.getAttribute('role'), 'img');
  const bands = chart.getByTestId('revenue-band');
  assert.equal(await bands.count(), report.revenue_bands.length);
  const counts = await bands.locator('text.small').allTextContents();
  assert.deepEqual(counts, report.revenue_bands.map((b) => `n = ${b.responses}`));
  const whiskers = await chart.locator('.whisker').count();
  assert.equal(whiskers, report.revenue_bands.filter((b) => b.margin_of_error !== null).length);
});

test("a zone the server's runtime does not know: the overview asks again at the browser's offset", async (t) => {
  const page = await dashboard(t, { timezoneId: 'Asia/Kolkata' });
  // The server's answer to a zone its ICU lacks, for the first request only (both
  // runtimes here know every zone, so the refusal is made up at the network edge).
  const asked = [];
  await page.page.route('**/v1/surveys/*/report?*', async (route) => {
    const url = route.request().url();
    asked.push(url);
    if (url.includes('time_zone=')) {
      await route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: '/problems/validation', title: 'Invalid request', status: 422,
          errors: [{ field: 'time_zone', message: 'time_zone must be an IANA time zone name such as Europe/Berlin' }],
        }),
      });
    } else {
      await route.continue();
    }
  });
  await page.signIn();
  await page.headline().waitFor();
  assert.match(await page.headline().textContent(), /\d/);
  assert.equal(asked.length, 2, JSON.stringify(asked));
  assert.match(asked[0], /time_zone=/);
  assert.match(asked[1], /utc_offset_minutes=330/);
  assert.doesNotMatch(asked[1], /time_zone=/);
});

test('times are shown in the browser\'s zone, and the report is asked for in it', async (t) => {
  const page = await dashboard(t, { timezoneId: 'Asia/Kolkata' });
  const requested = page.page.waitForRequest((r) => r.url().includes('/report?'));
  await page.signIn();
  // Chromium's ICU still calls it by its old name.
  assert.match((await requested).url(), /time_zone=Asia%2F(Kolkata|Calcutta)/);

  await page.section('Cases').click();
  const row = page.caseRows().first();
  await row.waitFor();
  const stored = (await admin(`/v1/cases/${await row.getAttribute('data-case-id')}`)).body;
  const local = new Date(Date.parse(stored.due_at) + 330 * 60_000).toISOString();
  assert.equal(await row.locator('.case-due .small').textContent(), `due ${local.slice(0, 10)} ${local.slice(11, 16)}`);
});
