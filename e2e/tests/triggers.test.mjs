// When the script-tag survey shows itself: the loader decides from the survey's
// triggers (delay, scroll, exit intent, URL rules, tracked events, sampling, manual)
// and the device throttle before it downloads the wasm; the page drives it with
// nps('show' | 'identify' | 'track' | 'hide') and hears nps:shown / nps:submitted /
// nps:dismissed. Each test makes its own copy of s_demo with the triggers under test
// and opens worker/public/demo/triggers.html?survey=<id> in a fresh browser context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, eventually, BASE_URL, userHash, demoDefinition } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { bucket } from '../../widget/loader/triggers.js';

const DAY = 864e5;
let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

/** A copy of s_demo with `triggers` (and `more` fields of the definition); its id. */
async function survey(triggers, more = {}) {
  const definition = await demoDefinition();
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...definition, name: `Triggers ${JSON.stringify(triggers)}`, triggers, ...more },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

/** The trigger page in a fresh context (empty localStorage), with its requests logged. */
async function open(t, surveyId, { query = '', init, viewport } = {}) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  t.after(() => context.close());
  const page = await context.newPage();
  if (init) await page.addInitScript(init.fn, init.arg);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const config = page.waitForResponse((r) => r.url().includes(`/v1/surveys/${surveyId}/config`));
  await page.goto(`${BASE_URL}/demo/triggers.html?survey=${surveyId}${query}`);
  await config;
  const shown = () => page.getByTestId('nps-widget').isVisible();
  const appRequested = () => requests.some((u) => /\/widget\/(nps_widget_bg\.wasm|nps-app\.js)/.test(u));
  const waitShown = (timeout = 15_000) => page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout });
  return { page, context, requests, shown, appRequested, waitShown };
}

/** Waits until the widget's animations (the slide-in, the fade) have finished. */
const settled = (page) => page.getByTestId('nps-widget').evaluate((el) =>
  Promise.all(el.getRootNode().getAnimations().map((a) => a.finished)));

/** Lets the loader run whatever it would run, then checks nothing showed or loaded. */
async function assertStaysHidden(p, why, ms = 1500) {
  await p.page.waitForTimeout(ms);
  assert.equal(await p.shown(), false, why);
  assert.equal(p.appRequested(), false, `${why}: neither nps-app.js nor the wasm is fetched`);
}

const seen = (page) => page.evaluate(() => window.npsSeen);

test('delay: not shown before delay_seconds, shown after, and the wasm only loads then', async (t) => {
  const id = await survey({ delay_seconds: 3 });
  const start = Date.now();
  const p = await open(t, id);
  await p.page.waitForTimeout(1500);
  assert.equal(await p.shown(), false, 'not yet');
  assert.equal(p.appRequested(), false, 'the wasm waits for the moment too');
  await p.waitShown();
  assert.ok(Date.now() - start >= 2900, `shown after ${Date.now() - start} ms`);
});

test('scroll percent: shown once the visitor scrolled that far down', async (t) => {
  const id = await survey({ scroll_percent: 60 });
  const p = await open(t, id);
  await p.page.evaluate(() => window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) * 0.3));
  await assertStaysHidden(p, 'at 30 %');
  await p.page.evaluate(() => window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) * 0.7));
  await p.waitShown();
});

test('exit intent: shown when the pointer leaves through the top of the window', async (t) => {
  const id = await survey({ exit_intent: true });
  const p = await open(t, id);
  await p.page.mouse.move(400, 300);
  await p.page.mouse.move(400, 500);
  await assertStaysHidden(p, 'moving within the page');
  await p.page.mouse.move(400, 20);
  await p.page.mouse.move(400, -10);
  await p.waitShown();
});

test('URL rule: shown on a matching URL, and nothing loaded on another', async (t) => {
  const id = await survey({ url_rules: [{ match: 'contains', value: 'step=done' }] });
  const other = await open(t, id, { query: '&step=cart' });
  await assertStaysHidden(other, 'step=cart does not match');
  const done = await open(t, id, { query: '&step=done' });
  await done.waitShown();

  const regex = await survey({ url_rules: [{ match: 'regex', value: 'order=\\d+$' }, { match: 'regex', value: '(' }] });
  await (await open(t, regex, { query: '&order=42' })).waitShown();
  await assertStaysHidden(await open(t, regex, { query: '&order=x' }), 'no rule matches');
});

test('tracked event: nps(track) queued before the loader arrived opens the gate', async (t) => {
  const id = await survey({ events: ['checkout'] });
  const queued = await open(t, id, { query: `&queue=${encodeURIComponent('[["track","checkout"]]')}` });
  await queued.waitShown();

  // Tracked later, on the real nps(): only a listed event counts.
  const later = await open(t, id);
  await assertStaysHidden(later, 'no event yet');
  await later.page.evaluate(() => window.nps('track', 'viewed'));
  await assertStaysHidden(later, 'an event the survey does not list', 500);
  await later.page.evaluate(() => window.nps('track', 'checkout'));
  await later.waitShown();
});

test('sampling: 100 % always shows; at 1 % a device whose stored bucket is out never loads', async (t) => {
  const all = await survey({ sample_percent: 100 });
  await (await open(t, all)).waitShown();

  // The device value lives in localStorage['nps:sample']; the survey's bucket is
  // (value + FNV-1a(survey id)) % 100 and must be below sample_percent. Force bucket 99.
  const few = await survey({ sample_percent: 1 });
  const out = (199 - (bucket(0, few) % 100)) % 100;
  assert.equal(bucket(out, few), 99);
  const init = { fn: (v) => localStorage.setItem('nps:sample', String(v)), arg: out };
  const p = await open(t, few, { init });
  await assertStaysHidden(p, 'sampled out');
  assert.equal(await p.page.evaluate(() => localStorage.getItem('nps:sample')), String(out), 'the value is kept');

  // The same survey on a device in bucket 0 shows.
  const inside = (100 - (bucket(0, few) % 100)) % 100;
  await (await open(t, few, { init: { ...init, arg: inside } })).waitShown();
});

test('manual: only nps(show) shows it, also on a throttled device', async (t) => {
  const id = await survey({ manual: true });
  const p = await open(t, id, {
    init: { fn: (key) => localStorage.setItem(key, String(Date.now())), arg: `nps:${id}` },
  });
  await assertStaysHidden(p, 'manual');
  await p.page.evaluate(() => window.nps('show'));
  await p.waitShown();
  await p.page.evaluate(() => window.nps('hide'));
  await p.page.getByTestId('nps-widget').waitFor({ state: 'detached' });
  assert.equal(await p.page.locator('nps-widget').count(), 0, 'hide removes the host element');
});

test('identify: the respondent and properties reach the stored answer', async (t) => {
  const id = await survey({});
  const marker = `cust-${Date.now()}`;
  // user_hash: what the shop's server computed for this id (identity verification).
  const queue = JSON.stringify([['identify', {
    id: marker, email: `${marker}@example.com`, user_hash: userHash(marker), properties: { plan: 'pro', seats: 3 },
  }]]);
  const p = await open(t, id, { query: `&data-prop-store=berlin&queue=${encodeURIComponent(queue)}` });
  await p.waitShown();
  // Identified again after the survey appeared: still counts for the answer.
  await p.page.evaluate(() => window.nps('identify', { properties: { step: 'late' } }));
  // Addressed to another survey: ignored.
  await p.page.evaluate(() => window.nps('identify', { survey: 's_elsewhere', id: 'nobody' }));
  await p.page.getByRole('radio', { name: '9', exact: true }).click();
  await p.page.getByRole('textbox').waitFor({ timeout: 10_000 });

  const stored = await eventually(async () => {
    const list = await admin(`/v1/surveys/${id}/responses?limit=10`);
    assert.equal(list.status, 200);
    return list.body.items.find((r) => r.respondent.id === marker);
  }, { what: 'the identified answer' });
  // The hash vouches for the id; the e-mail beside it is kept as a claim.
  assert.deepEqual(stored.respondent, { id: marker });
  assert.deepEqual(stored.properties,
    { plan: 'pro', seats: '3', store: 'berlin', step: 'late', claimed_email: `${marker}@example.com` });
  assert.equal(stored.score, 9);
});

test('events: nps:shown, nps:submitted and nps:dismissed bubble on document with the survey', async (t) => {
  const id = await survey({});
  const p = await open(t, id);
  await p.waitShown();
  await eventually(async () => (await seen(p.page)).length === 1, { what: 'nps:shown' });
  await p.page.getByRole('radio', { name: '8', exact: true }).click();
  await p.page.getByRole('textbox').waitFor({ timeout: 10_000 });
  await p.page.getByTestId('nps-dismiss').click();
  await eventually(async () => (await seen(p.page)).length === 3, { what: 'three events' });
  const events = await seen(p.page);
  assert.deepEqual(events.map((e) => e.type), ['nps:shown', 'nps:submitted', 'nps:dismissed']);
  for (const e of events) {
    assert.equal(e.bubbles, true);
    assert.equal(e.composed, false);
    assert.equal(e.detail.survey, id);
  }
  assert.deepEqual(events[1].detail, { survey: id, score: 8, category: 'passive' });
  assert.deepEqual(events[2].detail, { survey: id, score: 8, category: 'passive' });
  // Closed after answering: the answer's record (no dismissal marker) stays.
  assert.match(await p.page.evaluate((key) => localStorage.getItem(key), `nps:${id}`), /^\d+$/);
});

test('dismissal: the marked record holds the survey back for dismissed_days, an answer for days', async (t) => {
  const id = await survey({}, { throttle: { days: 90, dismissed_days: 3 } });
  const key = `nps:${id}`;
  const p = await open(t, id);
  await p.waitShown();
  await p.page.getByTestId('nps-dismiss').click();
  await p.page.locator('nps-widget').waitFor({ state: 'detached' });
  const record = await p.page.evaluate((k) => localStorage.getItem(k), key);
  assert.match(record, /^\d+:d$/, 'a dismissal is marked');
  assert.ok(Math.abs(parseInt(record, 10) - Date.now()) < 60_000);
  assert.deepEqual((await seen(p.page)).map((e) => e.type), ['nps:shown', 'nps:dismissed']);

  // The same device (context) later: the stored time is moved back instead of the clock.
  const reload = async (stored) => {
    await p.page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, stored]);
    p.requests.length = 0;
    const config = p.page.waitForResponse((r) => r.url().includes(`/v1/surveys/${id}/config`));
    await p.page.reload();
    await config;
  };
  await reload(record);
  await assertStaysHidden(p, 'dismissed just now');
  await reload(`${Date.now() - 2 * DAY}:d`);
  await assertStaysHidden(p, 'dismissed 2 days ago, dismissed_days 3');
  await reload(`${Date.now() - 4 * DAY}`);
  await assertStaysHidden(p, 'answered 4 days ago, days 90');
  await reload(`${Date.now() - 4 * DAY}:d`);
  await p.waitShown();
});

test('floating: a bottom sheet on a small screen, a corner card on a large one', async (t) => {
  const id = await survey({});
  const phone = await open(t, id, { viewport: { width: 375, height: 700 } });
  await phone.waitShown();
  await settled(phone.page); // the slide-in
  const sheet = await phone.page.getByTestId('nps-widget').boundingBox();
  assert.equal(sheet.x, 0);
  assert.equal(sheet.width, 375);
  assert.equal(Math.round(sheet.y + sheet.height), 700);

  const desk = await open(t, id, { viewport: { width: 1280, height: 800 } });
  await desk.waitShown();
  await settled(desk.page);
  const card = await desk.page.getByTestId('nps-widget').boundingBox();
  assert.equal(Math.round(card.x + card.width), 1280 - 16);
  assert.equal(Math.round(card.y + card.height), 800 - 16);
  assert.ok(card.width <= 420);
  // Fixed: the host page's layout does not move.
  const scrollHeight = await desk.page.evaluate(() => document.documentElement.scrollHeight);
  const without = await desk.page.evaluate(() => {
    const host = document.querySelector('nps-widget');
    host.style.display = 'none';
    const h = document.documentElement.scrollHeight;
    host.style.display = '';
    return h;
  });
  assert.equal(scrollHeight, without);
});
