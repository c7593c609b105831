// Shop connectors: a shop's own webhooks, signed exactly as the platform signs them
// (Node's crypto over the fixture's raw bytes, not the worker's code), become one
// invitation per delivered order; the same event again creates nothing; a wrong
// signature is a 401 and is logged; the invitation's link opens the hosted page, and
// the answer carries the order's properties. Fixtures: e2e/fixtures/connectors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { admin, call, demoDefinition, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

const fixture = (name) => readFileSync(new URL(`../fixtures/connectors/${name}`, import.meta.url));

/** Shopify's and WooCommerce's signature: base64 of HMAC-SHA256 over the raw body. */
const bodySignature = (secret, body) => createHmac('sha256', secret).update(body).digest('base64');

/** Standard Webhooks: v1,base64(HMAC-SHA256(base64-decoded whsec_ key, "id.timestamp.body")). */
function standardSignature(secret, id, timestamp, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

function post(url, headers, body) {
  return call(new URL(url).pathname, { headers: { 'content-type': 'application/json', ...headers }, body });
}

// A survey of this file's own, sent at once after delivery (no delay), so that its
// answers do not meet other files' answers to the same fixture orders.
let survey;
before(async () => {
  const demo = await demoDefinition();
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...demo, id: `s_conn-${Date.now()}`, name: 'Connector shop', delay_after_delivery_hours: 0 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  survey = created.body.id;
  assert.equal(created.body.delay_after_delivery_hours, 0);
});

async function connector(platform, extra = {}) {
  const r = await admin('/v1/connectors', { method: 'POST', body: { platform, survey_id: survey, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.body.id, /^con_/);
  assert.equal(r.body.url, `${BASE_URL}/hooks/connectors/${r.body.id}`);
  return r.body;
}

async function events(id) {
  const r = await admin(`/v1/connectors/${id}/events`);
  assert.equal(r.status, 200);
  return r.body.items;
}

/** Opens the invitation's link, gives 8, and returns the stored answer for the order. */
async function answer(t, url, order) {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByRole('radio', { name: '8', exact: true }).click();
  await page.getByText('What would make it a 10 for you?').waitFor({ timeout: 20_000 });
  const list = await admin(`/v1/surveys/${survey}/responses?limit=50`);
  const stored = list.body.items.find((r) => r.order_id === order);
  assert.ok(stored, `an answer for order ${order}`);
  assert.equal(stored.score, 8);
  return stored;
}

test('a signed Shopify fulfillment_events/create creates one invitation whose answer carries the order', async (t) => {
  // Shopify's admin shows the key its webhooks are signed with: the connector is given it.
  const secret = `shpss_${Date.now()}`;
  const c = await connector('shopify', { secret });
  assert.equal(c.secret, secret);
  const listed = await admin('/v1/connectors');
  assert.ok(listed.body.some((x) => x.id === c.id && x.secret === undefined), 'listed without its secret');

  const shopify = (topic, eventId, body, signature = bodySignature(secret, body)) => post(c.url, {
    'x-shopify-topic': topic, 'x-shopify-event-id': eventId, 'x-shopify-webhook-id': `wh-${eventId}`,
    'x-shopify-hmac-sha256': signature, 'x-shopify-shop-domain': 'shop.myshopify.com',
  }, body);

  // The order first (it names the customer), then its delivery.
  const order = await shopify('orders/create', 'ev-order', fixture('shopify-orders-create.json'));
  assert.equal(order.status, 200);
  assert.equal(order.body.outcome, 'ignored');
  const delivered = fixture('shopify-fulfillment_events-create.json');
  const first = await shopify('fulfillment_events/create', 'ev-delivered', delivered);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.outcome, 'accepted');
  assert.match(first.body.invitation_id, /^inv_/);

  const again = await shopify('fulfillment_events/create', 'ev-delivered', delivered);
  assert.equal(again.status, 200);
  assert.equal(again.body.outcome, 'duplicate');
  assert.equal(again.body.invitation_id, undefined, 'nothing created');

  const wrong = await shopify('fulfillment_events/create', 'ev-forged', delivered, bodySignature('not the secret', delivered));
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('content-type'), /problem\+json/);

  const log = await events(c.id);
  assert.deepEqual(log.map((e) => e.outcome), ['bad_signature', 'duplicate', 'accepted', 'ignored']);
  const accepted = log[2];
  assert.equal(accepted.invitation_id, first.body.invitation_id);
  assert.equal(accepted.order_id, '820982911946154508');
  assert.equal(accepted.topic, 'fulfillment_events/create');
  assert.equal(log[1].invitation_id, accepted.invitation_id, 'the duplicate names the invitation it repeats');
  assert.ok(accepted.invitation_url.startsWith(`${BASE_URL}/s/${survey}?token=`));

  const stored = await answer(t, accepted.invitation_url, '820982911946154508');
  assert.deepEqual(stored.respondent, { id: '115310627314723954', email: 'jon@example.com' });
  assert.equal(stored.properties.revenue, '403.00');
  assert.equal(stored.properties.currency, 'USD');
  assert.equal(stored.properties.shipping_method, 'Generic Shipping');
  assert.equal(stored.properties.order_count, '0');
});

test('a completed WooCommerce order signed with the connector secret invites once', async (t) => {
  const c = await connector('woocommerce');
  // WooCommerce pings the URL, unsigned, when the webhook is saved.
  const ping = await call(new URL(c.url).pathname, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'webhook_id=3',
  });
  assert.equal(ping.status, 200);
  const body = fixture('woocommerce-order-updated.json');
  const woo = (delivery, signature = bodySignature(c.secret, body)) => post(c.url, {
    'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-resource': 'order', 'x-wc-webhook-event': 'updated',
    'x-wc-webhook-delivery-id': delivery, 'x-wc-webhook-id': '3', 'x-wc-webhook-signature': signature,
  }, body);
  const first = await woo('d-1');
  assert.equal(first.body.outcome, 'accepted', JSON.stringify(first.body));
  assert.equal((await woo('d-1')).body.outcome, 'duplicate');
  assert.equal((await woo('d-2', bodySignature('guess', body))).status, 401);
  const log = await events(c.id);
  assert.deepEqual(log.map((e) => e.outcome), ['bad_signature', 'duplicate', 'accepted', 'ignored']);
  const stored = await answer(t, log[2].invitation_url, '727');
  assert.equal(stored.respondent.email, 'john.doe@example.com');
  assert.equal(stored.properties.revenue, '29.35');
  assert.equal(stored.properties.shipping_method, 'Flat Rate');
});

test('a generic Standard Webhooks delivery invites once, and a stale or wrong signature is 401', async (t) => {
  const c = await connector('generic');
  assert.match(c.secret, /^whsec_/);
  const body = fixture('generic-delivered.json').toString('utf8').replace('"1001"', `"G-${Date.now()}"`);
  const order = JSON.parse(body).order_id;
  const send = (id, timestamp, signature = standardSignature(c.secret, id, timestamp, body)) => post(c.url, {
    'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature,
  }, body);
  const now = Math.floor(Date.now() / 1000);
  const first = await send('msg_1', now);
  assert.equal(first.body.outcome, 'accepted', JSON.stringify(first.body));
  assert.equal((await send('msg_1', now)).body.outcome, 'duplicate');
  assert.equal((await send('msg_2', now - 3600)).status, 401, 'a replay an hour later');
  assert.equal((await send('msg_3', now, 'v1,AAAA')).status, 401);
  const log = await events(c.id);
  assert.deepEqual(log.map((e) => e.outcome), ['bad_signature', 'bad_signature', 'duplicate', 'accepted']);
  // delivered_at (2026-11-30T10:00Z) + 0 hours, or now if that has passed.
  assert.ok(log[3].send_after, 'held back until the delay after delivery');
  const stored = await answer(t, log[3].invitation_url.replace(/&locale=de$/, '&locale=en'), order);
  assert.deepEqual(stored.respondent, { id: 'cust-42', email: 'kim@example.com' });
  assert.equal(stored.properties.store, 'berlin');
  assert.equal(stored.properties.revenue, '89.90');
});

test('a deleted connector is 404 and leaves the list; bad requests name their fields', async () => {
  const c = await connector('generic');
  assert.equal((await admin(`/v1/connectors/${c.id}`, { method: 'DELETE' })).status, 204);
  const gone = await post(c.url, {}, '{}');
  assert.equal(gone.status, 404);
  assert.ok(!(await admin('/v1/connectors')).body.some((x) => x.id === c.id));
  const bad = await admin('/v1/connectors', { method: 'POST', body: { platform: 'magento', survey_id: survey } });
  assert.equal(bad.status, 422);
  const missing = await admin('/v1/connectors', { method: 'POST', body: { platform: 'shopify', survey_id: 's_nowhere' } });
  assert.equal(missing.status, 404);
  const anonymous = await call('/v1/connectors', { method: 'GET' });
  assert.equal(anonymous.status, 401);
});

test('the dashboard connects a shop, shows the URL and secret once, the events with their outcome, and deletes it', async (t) => {
  const { DashboardPage } = await import('../lib/dashboard.mjs');
  const browser = await launch();
  t.after(() => browser.close());
  const dashboard = await new DashboardPage(await browser.newPage({ viewport: { width: 1360, height: 900 } })).open();
  const page = dashboard.page;
  await dashboard.signIn();
  await dashboard.surveyPicker().selectOption(survey);
  await dashboard.section('Connectors').click();
  const form = page.getByRole('form', { name: 'Connect a shop' });
  await form.waitFor();
  await form.getByLabel('Platform').selectOption('generic');
  await form.getByRole('button', { name: 'Create connector' }).click();

  const created = page.getByTestId('new-connector');
  await created.waitFor();
  const url = await created.getByTestId('new-connector-url').inputValue();
  const secret = await created.getByTestId('new-connector-secret').inputValue();
  assert.match(url, new RegExp(`^${BASE_URL}/hooks/connectors/con_`));
  assert.match(secret, /^whsec_/);
  assert.equal(await created.getByRole('button', { name: 'Copy URL' }).count(), 1);
  assert.equal(await created.getByRole('button', { name: 'Copy secret' }).count(), 1);
  await created.getByRole('button', { name: 'Done, I saved it' }).click();
  assert.equal(await created.count(), 0, 'the secret is shown once');
  const id = url.split('/').pop();
  assert.ok(!JSON.stringify((await admin('/v1/connectors')).body).includes(secret), 'the list never shows it');

  // The shop sends a delivery, signed with that secret.
  const body = JSON.stringify({ order_id: `UI-${Date.now()}`, customer: { email: 'ui@example.com' } });
  const now = Math.floor(Date.now() / 1000);
  const sent = await post(url, {
    'webhook-id': 'msg_ui', 'webhook-timestamp': String(now), 'webhook-signature': standardSignature(secret, 'msg_ui', now, body),
  }, body);
  assert.equal(sent.body.outcome, 'accepted');

  const card = page.locator(`[data-testid="connector"][data-connector-id="${id}"]`);
  await card.getByRole('button', { name: 'Show events' }).click();
  await card.getByTestId('connector-event').first().waitFor();
  assert.equal((await card.getByTestId('event-outcome').first().textContent()).trim(), 'accepted');
  assert.equal(await card.getByRole('link', { name: 'Invitation' }).count(), 1);

  await card.getByRole('button', { name: 'Delete', exact: true }).click();
  await card.getByRole('button', { name: 'Delete connector' }).click();
  await card.waitFor({ state: 'detached' });
  assert.equal((await post(url, {}, '{}')).status, 404);
});
