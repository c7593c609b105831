// E-commerce after delivery and e-mail: an invitation is kept by the server for one
// order, and its link carries only an opaque reference and a MAC; its e-mail HTML holds
// eleven score links to the hosted page, where the clicked score is stored and the
// follow-up asked; one answer per order; tampered or expired tokens are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { admin, call, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

const json = { 'content-type': 'application/json' };

async function invite(order, extra = {}) {
  const r = await admin('/v1/invitations', {
    method: 'POST',
    body: {
      survey_id: 's_demo', order_id: order, respondent: { id: `cust-${order}`, email: `kim+${order}@example.com` },
      properties: { store: 'hamburg', order_id: order }, locale: 'en', ...extra,
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

function answerWith(token, score, key) {
  return call('/v1/responses', {
    headers: { ...json, ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({ survey_id: 's_demo', score, channel: 'email', token }),
  });
}

test('the invitation e-mail has eleven score links that open the hosted page', async (t) => {
  const inv = await invite(`A-${Date.now()}`);
  assert.match(inv.id, /^inv_/);
  assert.ok(inv.url.startsWith(`${BASE_URL}/s/s_demo?token=`));

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  // Parse the HTML as a mail client would (no scripts) and read its links.
  await page.setContent(`<!doctype html><body>${inv.email_html}</body>`);
  const hrefs = await page.$$eval('a', (links) => links.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(hrefs.map(([text]) => text), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  hrefs.forEach(([text, href]) => assert.equal(href, `${inv.url}&score=${text}`));
  const roundTrip = await page.evaluate(() => document.body.innerHTML.length > 0 && !document.querySelector('parsererror'));
  assert.ok(roundTrip);

  const hosted = await fetch(hrefs[3][1]);
  assert.equal(hosted.status, 200);
  assert.match(hosted.headers.get('content-type'), /text\/html/);
  assert.equal(hosted.headers.get('referrer-policy'), 'no-referrer');
  const html = await hosted.text();
  assert.match(html, /data-score="3"/);
  assert.match(html, /data-channel="email"/);
});

test('one answer per order: the token sets order and customer, a second answer is a 409', async () => {
  const order = `B-${Date.now()}`;
  const inv = await invite(order);
  const first = await answerWith(inv.token, 4, `k-${order}`);
  assert.equal(first.status, 201);
  const replay = await answerWith(inv.token, 4, `k-${order}`);
  assert.equal(replay.status, 200, 'the same click again is a replay, not a new answer');
  assert.deepEqual(replay.body, first.body);
  const second = await answerWith(inv.token, 9, `other-${order}`);
  assert.equal(second.status, 409);
  assert.match(second.body.detail, /already answered/);

  // The first answer can still get its comment.
  const comment = await call(`/v1/responses/${first.body.id}`, {
    method: 'PATCH', headers: json, body: JSON.stringify({ edit_token: first.body.edit_token, comment: 'Parcel was fine' }),
  });
  assert.equal(comment.status, 200);

  const list = await admin('/v1/surveys/s_demo/responses?limit=50');
  const stored = list.body.items.find((r) => r.id === first.body.id);
  assert.equal(stored.order_id, order);
  assert.equal(stored.channel, 'email');
  assert.equal(stored.respondent.id, `cust-${order}`);
  assert.equal(stored.properties.store, 'hamburg');
});

test('a tampered, foreign or expired token is refused with 403 and stores nothing', async () => {
  const order = `C-${Date.now()}`;
  const inv = await invite(order);
  const other = await invite(`C2-${Date.now()}`);
  // Another invitation's reference under this one's MAC.
  const [version, , mac] = inv.token.split('.');
  const tampered = `${version}.${other.id}.${mac}`;
  const r1 = await answerWith(tampered, 10);
  assert.equal(r1.status, 403);
  assert.match(r1.headers.get('content-type'), /problem\+json/);
  // A reference nobody issued, signed the way the server signs (v2.<id>.<HMAC-SHA256>).
  const unknown = `v2.inv_${'0'.repeat(26)}`;
  const unknownMac = createHmac('sha256', process.env.NPS_INVITATION_SECRET).update(unknown).digest('base64url');
  const r2 = await answerWith(`${unknown}.${unknownMac}`, 10);
  assert.equal(r2.status, 403);
  assert.match(r2.body.detail, /withdrawn/);

  // An expired v1 token (the format before v2: claims in the link), correctly signed.
  const claims = { i: inv.id, s: 's_demo', o: order, e: Math.floor(Date.now() / 1000) - 60 };
  const signed = `v1.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const expiredMac = createHmac('sha256', process.env.NPS_INVITATION_SECRET).update(signed).digest('base64url');
  const r3 = await answerWith(`${signed}.${expiredMac}`, 10);
  assert.equal(r3.status, 403);
  assert.match(r3.body.detail, /expired/);

  const foreign = await call('/v1/responses', {
    headers: json, body: JSON.stringify({ survey_id: 's_other', score: 5, token: inv.token }),
  });
  assert.ok([403, 404].includes(foreign.status));

  const list = await admin('/v1/surveys/s_demo/responses?limit=50');
  assert.ok(!list.body.items.some((r) => r.order_id === order), 'nothing stored for the order');
});

test('the link holds neither the e-mail nor the respondent id nor the order in any decodable form', async () => {
  const order = `P-${Date.now()}`;
  const inv = await invite(order);
  assert.match(inv.token, /^v2\.inv_[0-9a-z]{26}\.[A-Za-z0-9_-]{43}$/);
  const readable = [inv.url, decodeURIComponent(inv.url), inv.email_html];
  for (const part of inv.url.split(/[?&=./]/)) {
    readable.push(Buffer.from(part, 'base64url').toString('latin1'), Buffer.from(part, 'base64').toString('latin1'));
  }
  for (const personal of [`cust-${order}`, `kim+${order}@example.com`, order, 'hamburg']) {
    assert.ok(readable.every((text) => !text.includes(personal)), `${personal} is not in the link`);
  }
  // The server still knows what the link stands for.
  const answered = await answerWith(inv.token, 6);
  assert.equal(answered.status, 201);
  const stored = (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.id === answered.body.id);
  assert.deepEqual(stored.respondent, { id: `cust-${order}`, email: `kim+${order}@example.com` });
  assert.equal(stored.order_id, order);
});

test("an invitation's properties cannot be changed or, unless the survey allows it, extended by the answer", async () => {
  const order = `Q-${Date.now()}`;
  const inv = await invite(order);
  const answer = (properties) => call('/v1/responses', {
    headers: json, body: JSON.stringify({ survey_id: 's_demo', score: 8, channel: 'link', token: inv.token, properties }),
  });
  const changed = await answer({ store: 'berlin' });
  assert.equal(changed.status, 422);
  assert.deepEqual(changed.body.errors.map((e) => e.field), ['properties.store']);
  const added = await answer({ coupon: 'FREE' });
  assert.equal(added.status, 422);
  assert.deepEqual(added.body.errors.map((e) => e.field), ['properties.coupon']);
  const same = await answer({ store: 'hamburg' });
  assert.equal(same.status, 201, 'the value the invitation fixed, sent again, is taken');
});

test('a v1 link from before the change still works until it expires', async () => {
  const order = `V-${Date.now()}`;
  const inv = await invite(order);
  // What an e-mail sent before holds: the claims, signed (v1.<claims>.<HMAC-SHA256>).
  const claims = { i: inv.id, s: 's_demo', o: order, r: { id: `cust-${order}` }, p: { store: 'hamburg' },
    e: Math.floor(Date.now() / 1000) + 3600 };
  const signed = `v1.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const mac = createHmac('sha256', process.env.NPS_INVITATION_SECRET).update(signed).digest('base64url');
  const answered = await answerWith(`${signed}.${mac}`, 9);
  assert.equal(answered.status, 201, JSON.stringify(answered.body));
  const stored = (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.id === answered.body.id);
  assert.equal(stored.order_id, order);
  assert.equal(stored.respondent.id, `cust-${order}`);
});

test('bad invitation requests get field errors', async () => {
  const r = await admin('/v1/invitations', { method: 'POST', body: { survey_id: 's_demo', order_id: '', expires_in_days: 0 } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['expires_in_days', 'order_id']);
  const unknown = await admin('/v1/invitations', { method: 'POST', body: { survey_id: 's_missing' } });
  assert.equal(unknown.status, 404);
});

test('a click in the e-mail stores the score on the hosted page, which then asks the follow-up', async (t) => {
  const order = `D-${Date.now()}`;
  const inv = await invite(order, { locale: 'de' });
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const link = inv.email_html.match(/href="([^"]*score=2)"/)[1].replaceAll('&amp;', '&');
  await page.goto(link);

  // The score from the e-mail is stored without asking again; the follow-up is German.
  await page.getByText('Das tut uns leid. Was ist schiefgelaufen?').waitFor({ timeout: 20_000 });
  await page.getByRole('textbox').fill('Die Lieferung kam zu spät');
  await page.getByRole('button', { name: 'Senden', exact: true }).click();
  await page.getByTestId('nps-thanks').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: 'e2e/artifacts/hosted-page.png', fullPage: true });

  const list = await admin('/v1/surveys/s_demo/responses?limit=50');
  const stored = list.body.items.find((r) => r.order_id === order);
  assert.ok(stored, 'the answer is stored for the order');
  assert.equal(stored.score, 2);
  assert.equal(stored.channel, 'email');
  assert.equal(stored.comment, 'Die Lieferung kam zu spät');
  assert.equal(stored.respondent.email, `kim+${order}@example.com`);
  assert.equal(stored.provisional, undefined, 'typing on the page confirmed it');

  // Opening the link again finds the stored answer instead of storing a second one.
  const again = await browser.newPage();
  await again.goto(link);
  await again.getByText('Das tut uns leid. Was ist schiefgelaufen?').waitFor({ timeout: 20_000 });
  const after = await admin('/v1/surveys/s_demo/responses?limit=50');
  assert.equal(after.body.items.filter((r) => r.order_id === order).length, 1);

  // Another score for the same order is refused, and the page says so.
  const other = await browser.newPage();
  await other.goto(link.replace('score=2', 'score=9'));
  await other.getByTestId('nps-already').waitFor({ timeout: 20_000 });
});

test('a link survey with properties, no token: the person picks the score', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const marker = `qr-${Date.now()}`;
  await page.goto(`${BASE_URL}/s/s_demo?locale=en&p.campaign=${marker}&p.BadName=x`);
  await page.getByRole('radio', { name: '8', exact: true }).click();
  await page.getByText('What would make it a 10 for you?').waitFor({ timeout: 10_000 });
  const stored = (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.properties.campaign === marker);
  assert.ok(stored);
  assert.equal(stored.channel, 'link');
  assert.equal(stored.score, 8);
  assert.equal(stored.properties.BadName, undefined, 'only lower-case property names are taken');
});

test('the hosted page carries its config: no config request, the glue and wasm once each, the answer stored', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  // A German browser and no locale in the link: the page picks German as the loader would.
  const page = await browser.newPage({ locale: 'de-DE' });
  const requests = [];
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  const marker = `inline-${Date.now()}`;
  await page.goto(`${BASE_URL}/s/s_demo?p.campaign=${marker}`);
  await page.getByRole('radio', { name: '3', exact: true }).click();
  await page.getByText('Das tut uns leid. Was ist schiefgelaufen?').waitFor({ timeout: 20_000 });
  const stored = (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.properties.campaign === marker);
  assert.ok(stored, 'the answer is stored');
  assert.equal(stored.score, 3);
  assert.equal(stored.channel, 'link');
  assert.deepEqual(requests.filter((path) => path.startsWith('/v1/surveys/')), [], 'no config request');
  // The preloads are the loader's requests, not extra ones.
  assert.equal(requests.filter((path) => path === '/widget/nps-app.js').length, 1);
  assert.equal(requests.filter((path) => path === '/widget/nps_widget_bg.wasm').length, 1);
});

test('an invitation held back with send_after reaches the mail tool as invitation.due, once', async (t) => {
  const { startReceiver } = await import('../lib/receiver.mjs');
  const { Webhook } = await import('standardwebhooks');
  const receiver = await startReceiver();
  const hook = await admin('/v1/webhooks', {
    method: 'POST', body: { url: receiver.url, events: ['invitation.due'], filter: { survey_ids: ['s_demo'] } },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  const order = `E-${Date.now()}`;
  const sendAfter = new Date(Date.now() + 6000).toISOString();
  const inv = await invite(order, { send_after: sendAfter });
  assert.equal(inv.send_after, sendAfter);

  // The cron runs every minute; `wrangler dev --test-scheduled` lets the test run it now.
  const cron = () => fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);
  await cron();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(receiver.requests.length, 0, 'not before its time');
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(sendAfter) - Date.now()) + 200));
  await cron();
  const [due] = await receiver.waitFor((b) => b.type === 'invitation.due' && b.data.order_id === order);
  const event = new Webhook(hook.body.secret).verify(due.body, due.headers);
  assert.equal(event.data.url, inv.url);
  assert.equal(event.data.email_html, inv.email_html);
  await cron();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(receiver.requests.filter((r) => r.body.includes(order)).length, 1, 'announced once');
});

test('an answer that looks like a mail scanner opening the link is kept but flagged', async () => {
  const order = `F-${Date.now()}`;
  const inv = await invite(order);
  const scanner = await call('/v1/responses', {
    headers: { ...json, 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' },
    body: JSON.stringify({ survey_id: 's_demo', score: 0, channel: 'email', token: inv.token }),
  });
  assert.equal(scanner.status, 201);
  const stored = (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.order_id === order);
  assert.match(stored.flagged, /scanner user agent/);
});

test('an e-mail answer nobody touches stays provisional and out of the report', async (t) => {
  const order = `G-${Date.now()}`;
  const inv = await invite(order);
  const browser = await launch();
  t.after(() => browser.close());
  // A person's browser (headless Chromium says HeadlessChrome, which is flagged as a scanner).
  const page = await browser.newPage({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' });
  const link = inv.email_html.match(/href="([^"]*score=10)"/)[1].replaceAll('&amp;', '&');
  // Later than a scanner would come (answers within seconds of sending are flagged).
  await new Promise((resolve) => setTimeout(resolve, 10_500));
  await page.goto(link); // what a scanner running scripts does: load, and nothing else
  await page.getByText('Great! What did you like most?').waitFor({ timeout: 20_000 });
  const find = async () => (await admin('/v1/surveys/s_demo/responses?limit=50')).body.items.find((r) => r.order_id === order);
  assert.equal((await find()).provisional, true);
  const before = (await admin('/v1/surveys/s_demo/report')).body;
  await page.mouse.click(5, 5); // a person taps the page
  const { eventually } = await import('../lib/server.mjs');
  await eventually(async () => (await find()).provisional === undefined, { what: 'the confirmation' });
  const after = (await admin('/v1/surveys/s_demo/report')).body;
  assert.equal(after.overall.responses, before.overall.responses + 1, 'confirmed answers count');
});
