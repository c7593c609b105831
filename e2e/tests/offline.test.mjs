// Never lose an answer: without a connection the answer waits in the outbox
// (localStorage), the widget says it will be sent, and it is sent when the connection
// is back — by the open page, or by the next page load — always with the same
// Idempotency-Key, so the server stores it exactly once. Also when the server got the
// first POST but its answer was lost on the way back. The follow-up comment (a PATCH
// with the answer's edit token) goes through the same outbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, eventually, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

/** The answers of s_demo whose `run` property is `marker` (admin API). */
async function stored(marker) {
  const list = await admin('/v1/surveys/s_demo/responses?limit=100');
  assert.equal(list.status, 200);
  return list.body.items.filter((r) => r.properties?.run === marker);
}

/** The trigger page showing s_demo, answers marked with `run`, POSTs (their keys)
 * and comment PATCHes (their bodies) logged. */
async function open(context, marker, force = true) {
  const page = await context.newPage();
  const posts = [];
  const patches = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/v1/responses')) posts.push(r.headers()['idempotency-key']);
    if (r.method() === 'PATCH' && /\/v1\/responses\/[^/]+$/.test(r.url())) patches.push(r.postData());
  });
  await page.goto(`${BASE_URL}/demo/triggers.html?data-prop-run=${marker}${force ? '&data-force=true' : ''}`);
  return { page, posts, patches };
}

const outbox = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('nps:o:')));

test('offline: the answer is kept, the widget says so, and it is stored once when back online', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const marker = `offline-${Date.now()}`;
  const { page, posts } = await open(context, marker);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });

  await context.setOffline(true);
  await page.getByRole('radio', { name: '4', exact: true }).click();
  const line = page.getByTestId('nps-queued');
  await line.waitFor({ timeout: 10_000 });
  assert.match(await line.textContent(), /saved and will be sent/);
  assert.equal((await outbox(page)).length, 1, 'kept in localStorage');
  assert.equal((await stored(marker)).length, 0);

  await context.setOffline(false);
  await page.getByRole('textbox').waitFor({ timeout: 20_000 }); // stored: the follow-up
  assert.deepEqual(await outbox(page), [], 'the outbox is empty once stored');
  const keys = new Set(posts);
  assert.equal(keys.size, 1, `one Idempotency-Key for every attempt: ${posts}`);

  // A reload flushes whatever is left (nothing) and shows no second answer.
  await page.reload();
  await page.waitForTimeout(1500);
  const answers = await eventually(() => stored(marker).then((a) => (a.length ? a : null)), { what: 'the answer' });
  assert.equal(answers.length, 1, 'stored exactly once');
  assert.equal(answers[0].score, 4);
});

test('an answer left in the outbox by a closed page is sent by the next page load, once', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const marker = `closed-${Date.now()}`;
  const first = await open(context, marker);
  await first.page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  await context.setOffline(true);
  await first.page.getByRole('radio', { name: '9', exact: true }).click();
  await first.page.getByTestId('nps-queued').waitFor({ timeout: 10_000 });
  const [entry] = await outbox(first.page);
  assert.ok(entry, 'in the outbox');
  await first.page.close();
  await context.setOffline(false);

  // The next page: the device throttle (set when the answer was queued) keeps the
  // survey from showing, but the loader still sends the outbox.
  const next = await open(context, marker, false);
  await eventually(async () => (await outbox(next.page)).length === 0, { what: 'the outbox to empty' });
  assert.equal(await next.page.getByTestId('nps-widget').count(), 0, 'not asked again');
  assert.deepEqual(next.posts, [entry.slice('nps:o:'.length)], 'sent with its own key');
  const answers = await eventually(() => stored(marker).then((a) => (a.length ? a : null)), { what: 'the answer' });
  assert.equal(answers.length, 1);
  assert.equal(answers[0].score, 9);

  // Another load sends nothing more.
  const again = await open(context, marker, false);
  await again.page.waitForTimeout(1500);
  assert.deepEqual(again.posts, []);
  assert.equal((await stored(marker)).length, 1);
});

test('a lost response is retried with backoff on the same key and stored once', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const marker = `lost-${Date.now()}`;
  const { page, posts } = await open(context, marker);
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  // The first POST reaches the server, which stores the answer; its response never
  // comes back. Later ones go through.
  let cut = 0;
  await page.route('**/v1/responses', async (route) => {
    if (route.request().method() === 'POST' && cut++ === 0) {
      await route.fetch();
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.getByRole('radio', { name: '2', exact: true }).click();
  await page.getByTestId('nps-queued').waitFor({ timeout: 10_000 });
  await page.getByRole('textbox').waitFor({ timeout: 20_000 }); // the automatic retry
  assert.equal(posts.length, 2);
  assert.equal(posts[0], posts[1], 'the retry carries the same Idempotency-Key');
  const answers = await eventually(() => stored(marker).then((a) => (a.length ? a : null)), { what: 'the answer' });
  assert.equal(answers.length, 1, 'stored once although it was sent twice');
});

/** Answers 8 online, then loses the connection and sends `comment`: it is queued. */
async function commentOffline(context, marker, comment) {
  const opened = await open(context, marker);
  const { page } = opened;
  await page.getByTestId('nps-widget').waitFor({ state: 'visible', timeout: 20_000 });
  await page.getByRole('radio', { name: '8', exact: true }).click();
  await page.getByRole('textbox').waitFor({ timeout: 10_000 }); // the score is stored
  assert.deepEqual(await outbox(page), []);

  await context.setOffline(true);
  await page.getByRole('textbox').fill(comment);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const line = page.getByTestId('nps-queued');
  await line.waitFor({ timeout: 10_000 });
  assert.match(await line.textContent(), /saved and will be sent/);
  const [entry, ...more] = await outbox(page);
  assert.deepEqual(more, []);
  assert.equal(entry, `nps:o:${opened.posts[0]}.c`, "the comment's entry, by its answer's key");
  const [answer] = await stored(marker);
  assert.equal(answer.score, 8);
  assert.equal(answer.comment ?? null, null, 'not sent yet');
  return opened;
}

/** The answer of `marker`, once it has a comment. */
const commented = (marker) =>
  eventually(() => stored(marker).then((a) => (a.length === 1 && a[0].comment ? a[0] : null)), { what: 'the comment' });

test('offline: a comment is kept, the widget says so, and it is stored when back online', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const marker = `comment-offline-${Date.now()}`;
  const comment = `Sent from a train (${marker})`;
  const { page, patches } = await commentOffline(context, marker, comment);

  await context.setOffline(false);
  await page.getByTestId('nps-thanks').waitFor({ timeout: 20_000 });
  assert.deepEqual(await outbox(page), [], 'the outbox is empty once stored');
  const answer = await commented(marker);
  assert.equal(answer.comment, comment);
  assert.equal(answer.score, 8);
  assert.ok(patches.length >= 1);
  assert.ok(patches.every((body) => body === patches[0]), 'every attempt sends the same PATCH');
});

test('a comment left in the outbox by a closed page is stored by the next page load', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const marker = `comment-closed-${Date.now()}`;
  const comment = `Typed in a tunnel (${marker})`;
  const first = await commentOffline(context, marker, comment);
  await first.page.close();
  await context.setOffline(false);

  // The next page: the survey is not shown again (answered), but the loader sends
  // the comment left behind.
  const next = await open(context, marker, false);
  await eventually(async () => (await outbox(next.page)).length === 0, { what: 'the outbox to empty' });
  assert.equal(await next.page.getByTestId('nps-widget').count(), 0, 'not asked again');
  assert.deepEqual(next.posts, [], 'the answer is not sent again');
  assert.equal(next.patches.length, 1);
  assert.match(next.patches[0], /"edit_token":"[^"]+","comment":"Typed in a tunnel/);
  const answer = await commented(marker);
  assert.equal(answer.comment, comment);
  assert.equal((await stored(marker)).length, 1, 'still one answer');
});
