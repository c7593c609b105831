// After delivery, with no code (issue 16), end to end: a shop's own webhook — Shopify,
// WooCommerce, or any other system through the generic connector — signed exactly as
// the platform signs it, becomes an invitation; after the survey's delay the cron
// mails it through the provider (a local receiver plays Postmark's documented API, as
// in mail.test.mjs); the customer's click in that e-mail stores the answer, which
// carries the order's properties. And a relationship campaign of 1,000 customers goes
// out by the same mail path, where an unsubscribed and a bounced person get nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { admin, call, demoDefinition, eventually, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

const PORT = Number(process.env.NPS_MAIL_PORT);
const fixture = (name) => readFileSync(new URL(`../fixtures/connectors/${name}`, import.meta.url), 'utf8');
const bodySignature = (secret, body) => createHmac('sha256', secret).update(body).digest('base64');
function standardSignature(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
const cron = () => fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);
const hook = (url, headers, body) =>
  call(new URL(url).pathname, { headers: { 'content-type': 'application/json', ...headers }, body });

/** Every e-mail "Postmark" was asked to send. */
const mails = [];
let server;
let survey;
let browser;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      // Postmark's documented request: POST /email with the server token.
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/postmark/email');
      assert.equal(req.headers['x-postmark-server-token'], process.env.NPS_POSTMARK_TOKEN);
      mails.push(json);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ To: json.To, SubmittedAt: new Date().toISOString(), MessageID: `pm-${mails.length}-${Date.now()}`, ErrorCode: 0, Message: 'OK' }));
    });
  });
  await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
  // A survey of this file's own: mailed through Postmark, sent at once after delivery.
  survey = await mailingSurvey('after', 0);
  browser = await launch();
});

/** A survey mailed through Postmark, `hours` after delivery. */
async function mailingSurvey(name, hours) {
  const demo = await demoDefinition();
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: {
      ...demo, id: `s_${name}-${Date.now()}`, name: 'Delivered shop', delay_after_delivery_hours: hours,
      mail: { provider: 'postmark', from_address: 'nps@shop.example', from_name: 'Delivered shop' },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server.close(resolve));
});

const mailsTo = (email) => mails.filter((m) => m.To === email);

/** The cron mails the invitation to `email`; the click on 9 in it stores the answer. */
async function clickNineInTheMail(email, order, surveyId = survey) {
  await cron();
  const [mail] = await eventually(() => mailsTo(email).length ? mailsTo(email) : null, { what: `the e-mail to ${email}` });
  assert.match(mail.Subject, /Delivered shop/);
  const link = mail.TextBody.match(/https?:\/\/\S*score=9\b/)?.[0];
  assert.ok(link, `the text part links the score 9: ${mail.TextBody}`);
  assert.ok(mail.HtmlBody.includes(link.replaceAll('&', '&amp;')), 'the HTML links it too');
  const page = await browser.newPage();
  await page.goto(link);
  const comment = page.getByRole('textbox');
  await comment.waitFor({ timeout: 20_000 });
  await comment.fill('Arrived on time');
  // The generic fixture's customer reads German: the e-mail and the page are in it.
  await page.getByRole('button', { name: /^(Send|Senden)$/ }).click();
  await page.getByTestId('nps-thanks').waitFor({ timeout: 10_000 });
  await page.close();
  const list = await admin(`/v1/surveys/${surveyId}/responses?limit=100`);
  const stored = list.body.items.filter((r) => r.order_id === order);
  assert.equal(stored.length, 1, `one answer for order ${order}`);
  assert.equal(stored[0].score, 9);
  assert.equal(stored[0].channel, 'email');
  assert.equal(stored[0].respondent.email, email);
  return stored[0];
}

async function connector(platform, extra = {}, surveyId = survey) {
  const r = await admin('/v1/connectors', { method: 'POST', body: { platform, survey_id: surveyId, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('Shopify: order, then delivery, signed as Shopify signs → one e-mail after the delay → the click answers with the order', async () => {
  const secret = `shpss_after_${Date.now()}`;
  const c = await connector('shopify', { secret });
  // The fixtures' customer, made unique so that no earlier run's suppression or answer meets it.
  const email = `jon-${Date.now()}@example.com`;
  const order = fixture('shopify-orders-create.json').replaceAll('jon@example.com', email);
  const delivered = fixture('shopify-fulfillment_events-create.json');
  const shopify = (topic, eventId, body) => hook(c.url, {
    'x-shopify-topic': topic, 'x-shopify-event-id': eventId, 'x-shopify-webhook-id': `wh-${eventId}`,
    'x-shopify-hmac-sha256': bodySignature(secret, body), 'x-shopify-shop-domain': 'shop.myshopify.com',
  }, body);
  assert.equal((await shopify('orders/create', 'ev-o', order)).body.outcome, 'ignored');
  const first = await shopify('fulfillment_events/create', 'ev-d', delivered);
  assert.equal(first.body.outcome, 'accepted', JSON.stringify(first.body));
  assert.equal((await shopify('fulfillment_events/create', 'ev-d', delivered)).body.outcome, 'duplicate');

  const stored = await clickNineInTheMail(email, '820982911946154508');
  assert.equal(stored.properties.revenue, '403.00');
  assert.equal(stored.properties.shipping_method, 'Generic Shipping');
  await cron();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(mailsTo(email).length, 1, 'the platform retry sent no second e-mail');
});

test('WooCommerce: a completed order signed as WooCommerce signs → one e-mail → the click answers with the order', async () => {
  const c = await connector('woocommerce');
  const email = `john-${Date.now()}@example.com`;
  const body = fixture('woocommerce-order-updated.json').replaceAll('john.doe@example.com', email);
  const sent = await hook(c.url, {
    'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-resource': 'order', 'x-wc-webhook-event': 'updated',
    'x-wc-webhook-delivery-id': 'd-after', 'x-wc-webhook-id': '3', 'x-wc-webhook-signature': bodySignature(c.secret, body),
  }, body);
  assert.equal(sent.body.outcome, 'accepted', JSON.stringify(sent.body));
  const stored = await clickNineInTheMail(email, '727');
  assert.equal(stored.properties.revenue, '29.35');
  assert.equal(stored.properties.shipping_method, 'Flat Rate');
});

test('generic: a Standard Webhooks delivery waits the survey\'s delay, then one e-mail → the click answers with its properties', async () => {
  // An hour after delivery; delivered 59 min 50 s ago: due in ten seconds.
  const delayed = await mailingSurvey('after-delay', 1);
  const c = await connector('generic', {}, delayed);
  const email = `kim-${Date.now()}@example.com`;
  const orderId = `G-after-${Date.now()}`;
  const deliveredAt = new Date(Date.now() - 3_590_000).toISOString();
  const body = fixture('generic-delivered.json').replace('"1001"', `"${orderId}"`)
    .replaceAll('kim@example.com', email).replace('2026-11-30T10:00:00Z', deliveredAt);
  const now = Math.floor(Date.now() / 1000);
  const sent = await hook(c.url, {
    'webhook-id': 'msg_after', 'webhook-timestamp': String(now), 'webhook-signature': standardSignature(c.secret, 'msg_after', now, body),
  }, body);
  assert.equal(sent.body.outcome, 'accepted', JSON.stringify(sent.body));
  await cron();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(mailsTo(email).length, 0, 'not before the delay after delivery');
  await new Promise((resolve) => setTimeout(resolve, 9000));
  const stored = await clickNineInTheMail(email, orderId, delayed);
  assert.equal(stored.properties.store, 'berlin');
  assert.equal(stored.properties.revenue, '89.90');
});

test('a campaign of 1,000 customers is mailed once each; an unsubscribed and a bounced person get nothing', async () => {
  const stamp = Date.now();
  const person = (i) => `cust${i}-${stamp}@example.com`;
  // Two of them already left: one by the one-click link of an earlier e-mail, one bounced.
  const [leaver, bouncer] = [person(7), person(8)];
  for (const email of [leaver, bouncer]) {
    const inv = await admin('/v1/invitations', {
      method: 'POST',
      body: { survey_id: survey, order_id: `pre-${email}`, respondent: { email }, send_after: new Date(Date.now() - 1000).toISOString() },
    });
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
  }
  await cron();
  await eventually(() => mailsTo(leaver).length && mailsTo(bouncer).length, { what: 'the two earlier e-mails' });
  const unsubscribe = mailsTo(leaver)[0].Headers.find((h) => h.Name === 'List-Unsubscribe').Value.slice(1, -1);
  const clicked = await fetch(unsubscribe, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  assert.equal(clicked.status, 200);
  const sends = (await admin(`/v1/mail-sends?survey_id=${survey}&limit=100`)).body.items;
  const bounced = await eventually(() => sends.find((s) => s.email === bouncer && s.status === 'sent'), { what: 'the send to bounce' });
  const bounce = await call(`/v1/mail/postmark/${process.env.NPS_POSTMARK_WEBHOOK_TOKEN}`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ RecordType: 'Bounce', Type: 'HardBounce', TypeCode: 1, MessageID: bounced.provider_message_id,
      Email: bouncer, BouncedAt: new Date().toISOString(), Inactive: true }),
  });
  assert.equal(bounce.status, 204);

  const csv = ['email,name,plan', ...Array.from({ length: 1000 }, (_, i) => `${person(i)},Customer ${i},${i % 2 ? 'pro' : 'basic'}`)].join('\n');
  // A quarterly relationship survey with the default throttle: the two invited above
  // count as suppressed (suppression is checked first), nobody else was invited lately.
  const created = await call(`/v1/campaigns?survey_id=${survey}&name=Q1+relationship&schedule=quarterly`, {
    method: 'POST', headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: csv,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const done = await eventually(async () => {
    const c = (await admin(`/v1/campaigns/${id}`)).body;
    return c.sent >= 998 ? c : null;
  }, { what: 'the campaign sent', timeoutMs: 240_000, everyMs: 1000 });
  assert.equal(done.recipients, 1000);
  assert.deepEqual([done.suppressed, done.throttled, done.sent, done.bounced], [2, 0, 998, 0], JSON.stringify(done));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const campaignMails = mails.filter((m) => m.To.endsWith(`-${stamp}@example.com`));
  assert.equal(mailsTo(leaver).length, 1, 'the unsubscribed person got only the earlier e-mail');
  assert.equal(mailsTo(bouncer).length, 1, 'the bounced person got only the earlier e-mail');
  assert.equal(new Set(campaignMails.map((m) => m.To)).size, 1000, 'everyone else once');
  assert.equal(campaignMails.length, 1000, '998 campaign e-mails and the two earlier ones, none twice');

  // Taking the bounced address off the list is an admin's act the audit log keeps,
  // like creating the campaign and the connectors above — the address by hash only.
  assert.equal((await admin(`/v1/suppressions/${encodeURIComponent(bouncer)}`, { method: 'DELETE' })).status, 204);
  const audit = async (action) => (await admin(`/v1/audit?action=${action}&limit=100`)).body.items;
  assert.ok((await audit('campaign.created')).some((e) => e.target_id === id), 'campaign.created');
  assert.ok((await audit('connector.created')).length >= 3, 'connector.created for each platform');
  const lifted = (await audit('suppression.lifted'))[0];
  assert.match(lifted.target_id, /^sha256:[0-9a-f]{16}$/);
  assert.ok(!JSON.stringify(lifted).includes(bouncer), 'the address is not in the audit log');
});
