// Webhook endpoints worked from the dashboard, in Chromium against the real worker and
// queue: a Slack endpoint added through the form (the server's 422 shown at the field
// first), its secret shown once; a test event; a secret rotation, during whose overlap
// the receiver verifies each request with the old and with the new secret using the
// official Standard Webhooks library (it accepts a header when any of its v1
// signatures matches); a rotation without overlap, after which only the newest
// verifies; disabled, a detractor's answer no longer reaches it; deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Webhook } from 'standardwebhooks';
import { launch } from '../lib/browser.mjs';
import { admin, call, eventually, freshSurvey } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** axe-core's WCAG 2.2 A/AA violations inside the given selectors. */
async function violations(page, selectors) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async (include) => {
    const result = await window.axe.run({ include: include.map((s) => [s]) }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selectors);
}

const verifies = (secret, request) => {
  try {
    new Webhook(secret).verify(request.body, request.headers);
    return true;
  } catch {
    return false;
  }
};

const isTest = (body) => typeof body.text === 'string' && body.text.includes('Test event');

test('a dashboard user adds a Slack endpoint, tests it, rotates its secret with an overlap, disables and deletes it', async (t) => {
  const surveyId = await freshSurvey('hooks-ui');
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  // axe-core is injected as a script, which the dashboard's CSP would refuse.
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, bypassCSP: true });
  t.after(() => context.close());
  const dashboard = await new DashboardPage(await context.newPage()).open();
  const page = dashboard.page;
  await dashboard.signIn();
  await dashboard.section('Webhooks').click();
  const form = page.getByRole('form', { name: 'Add an endpoint' });
  await form.waitFor();

  // The server's validation, shown at the field it names.
  await form.getByLabel('URL').fill('ftp://files.example/x');
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  const urlError = form.locator('.field-error[data-field="url"]');
  await urlError.waitFor();
  assert.equal(await form.getByLabel('URL').getAttribute('aria-invalid'), 'true');
  assert.equal(await form.getByLabel('URL').getAttribute('aria-describedby'), await urlError.getAttribute('id'));
  await form.getByRole('checkbox', { name: 'response.created' }).uncheck();
  await form.getByLabel('URL').fill(receiver.url);
  await form.getByRole('button', { name: 'Create endpoint' }).click();
  await form.locator('.field-error[data-field="events"]').waitFor();
  assert.equal(await urlError.count(), 0, 'the URL is fine now');

  await form.getByRole('checkbox', { name: 'response.created' }).check();
  await form.getByLabel('Format').selectOption('slack');
  await form.getByLabel('Survey').selectOption(surveyId);
  await form.getByRole('checkbox', { name: 'detractor' }).check();
  await form.getByRole('button', { name: 'Create endpoint' }).click();

  const panel = page.getByTestId('secret-panel');
  await panel.waitFor();
  const firstSecret = (await panel.getByTestId('secret').textContent()).trim();
  assert.match(firstSecret, /^whsec_/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'secret-title-new', 'the secret takes the focus');
  assert.deepEqual(await violations(page, ['.webhook-form', '[data-testid="secret-panel"]']), []);

  const hook = (await admin('/v1/webhooks')).body.find((h) => h.url === receiver.url);
  assert.ok(hook, 'the endpoint exists');
  t.after(() => admin(`/v1/webhooks/${hook.id}`, { method: 'DELETE' }));
  assert.equal(hook.format, 'slack');
  assert.deepEqual(hook.events, ['response.created']);
  assert.deepEqual(hook.filter.survey_ids, [surveyId]);
  assert.deepEqual(hook.filter.categories, ['detractor']);
  assert.equal(hook.enabled, true);
  assert.ok(!JSON.stringify((await admin('/v1/webhooks')).body).includes(firstSecret), 'the list never shows it');
  await panel.getByRole('button', { name: 'Done, I have copied it' }).click();
  assert.equal(await panel.count(), 0, 'shown once');

  const card = dashboard.webhook(hook.id);
  assert.equal((await card.getByTestId('webhook-state').textContent()).trim(), 'enabled');

  // A test event: the real queue, signed with the one secret, and its outcome shown.
  await card.getByRole('button', { name: 'Send test event' }).click();
  const [first] = await receiver.waitFor(isTest, 1);
  assert.equal(first.headers['webhook-signature'].split(' ').length, 1);
  assert.ok(verifies(firstSecret, first));
  await card.getByTestId('test-status').getByText(/Delivered: HTTP 204/).waitFor({ timeout: 30_000 });
  const testDelivery = (await admin(`/v1/webhooks/${hook.id}/deliveries`)).body.items[0];
  assert.equal(testDelivery.event_type, 'webhook.test');
  assert.equal(testDelivery.id, first.headers['webhook-id']);

  // Rotate, with the default overlap: both secrets sign.
  await card.getByRole('button', { name: 'Rotate secret' }).click();
  const confirm = card.getByTestId('confirm');
  await confirm.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Rotate secret now',
    'the confirmation takes the focus');
  assert.equal(await confirm.getByLabel(/Old secret keeps signing for/).inputValue(), '24');
  assert.deepEqual(await violations(page, ['[data-testid="confirm"]', '.webhook-actions']), []);
  await confirm.getByRole('button', { name: 'Rotate secret now' }).click();
  const rotated = card.getByTestId('secret-panel');
  await rotated.waitFor();
  const secondSecret = (await rotated.getByTestId('secret').textContent()).trim();
  assert.match(secondSecret, /^whsec_/);
  assert.notEqual(secondSecret, firstSecret);
  assert.match(await rotated.getByTestId('secret-note').textContent(), /keeps signing beside this one until/);
  const overlapEnds = (await admin('/v1/webhooks')).body.find((h) => h.id === hook.id).previous_secret_expires_at;
  const hours = (Date.parse(overlapEnds) - Date.now()) / 3_600_000;
  assert.ok(hours > 23.9 && hours <= 24, `the overlap ends in 24 hours (${hours})`);
  await card.getByTestId('overlap').waitFor();
  await dashboard.screenshot('webhook-endpoints');
  await rotated.getByRole('button', { name: 'Done, I have copied it' }).click();

  await card.getByRole('button', { name: 'Send test event' }).click();
  const during = (await receiver.waitFor(isTest, 2))[1];
  assert.equal(during.headers['webhook-signature'].split(' ').length, 2, 'two signatures during the overlap');
  assert.ok(verifies(firstSecret, during), 'a receiver still on the old secret accepts it');
  assert.ok(verifies(secondSecret, during), 'a receiver already on the new secret accepts it');
  assert.ok(!verifies('whsec_' + Buffer.alloc(24, 7).toString('base64'), during), 'another secret does not');
  await card.getByTestId('test-status').getByText(/Delivered: HTTP 204/).waitFor({ timeout: 30_000 });

  // Rotate again with no overlap: only the newest secret signs, the first is long gone.
  await card.getByRole('button', { name: 'Rotate secret' }).click();
  await confirm.getByLabel(/Old secret keeps signing for/).fill('0');
  await confirm.getByRole('button', { name: 'Rotate secret now' }).click();
  await rotated.waitFor();
  const thirdSecret = (await rotated.getByTestId('secret').textContent()).trim();
  assert.notEqual(thirdSecret, secondSecret);
  await rotated.getByRole('button', { name: 'Done, I have copied it' }).click();
  await card.getByRole('button', { name: 'Send test event' }).click();
  const afterwards = (await receiver.waitFor(isTest, 3))[2];
  assert.equal(afterwards.headers['webhook-signature'].split(' ').length, 1);
  assert.ok(verifies(thirdSecret, afterwards));
  assert.ok(!verifies(secondSecret, afterwards), 'the replaced secret no longer verifies');
  assert.ok(!verifies(firstSecret, afterwards));

  // Enabled, a detractor's answer reaches it; disabled, the next one does not.
  const answer = (score, comment) => call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', comment }),
  });
  const before = await answer(1, 'Reached the channel');
  assert.equal(before.status, 201);
  await receiver.waitFor((b) => JSON.stringify(b).includes(before.body.id));
  await card.getByRole('button', { name: 'Disable' }).click();
  await card.getByTestId('webhook-state').getByText('disabled').waitFor();
  assert.equal((await admin('/v1/webhooks')).body.find((h) => h.id === hook.id).enabled, false);
  assert.ok(await card.getByRole('button', { name: 'Send test event' }).isDisabled());
  const unheard = await answer(0, 'Nobody hears this');
  assert.equal(unheard.status, 201);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(receiver.requests.filter((r) => r.body.includes(unheard.body.id)).length, 0,
    'a disabled endpoint receives nothing new');
  const deliveries = (await admin(`/v1/webhooks/${hook.id}/deliveries`)).body.items;
  assert.ok(!deliveries.some((d) => d.payload.includes(unheard.body.id)), 'no delivery was even made');

  // Delete, confirmed.
  await card.getByRole('button', { name: 'Delete' }).click();
  await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
  await card.waitFor({ state: 'detached' });
  await page.getByTestId('webhooks-notice').getByText(`Endpoint ${receiver.url} deleted.`).waitFor();
  assert.ok(!(await admin('/v1/webhooks')).body.some((h) => h.id === hook.id));
});

test('the endpoint API: rotation bounds, unknown fields named, no test event or replay while disabled', async (t) => {
  const receiver = await startReceiver();
  const created = await admin('/v1/webhooks', { method: 'POST', body: { url: receiver.url, events: ['case.opened'] } });
  assert.equal(created.status, 201);
  const id = created.body.id;
  t.after(async () => {
    await admin(`/v1/webhooks/${id}`, { method: 'DELETE' });
    await receiver.close();
  });
  assert.equal(created.body.enabled, true);
  assert.equal(created.body.previous_secret_expires_at, null);

  const unknown = await admin(`/v1/webhooks/${id}`, { method: 'PATCH', body: { enabled: false, url: 'https://x.example' } });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.body.errors[0].field, 'url');
  const tooLong = await admin(`/v1/webhooks/${id}/rotate-secret`, { method: 'POST', body: { overlap_hours: 169 } });
  assert.equal(tooLong.status, 422);
  assert.equal(tooLong.body.errors[0].field, 'overlap_hours');
  const subscribed = await admin('/v1/webhooks', { method: 'POST', body: { url: receiver.url, events: ['webhook.test'] } });
  assert.equal(subscribed.status, 422);
  assert.equal(subscribed.body.errors[0].field, 'events');

  // Without a body: the default overlap of 24 hours.
  const rotated = await fetch(`${process.env.NPS_BASE_URL}/v1/webhooks/${id}/rotate-secret`, {
    method: 'POST', headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` },
  });
  assert.equal(rotated.status, 200);
  const body = await rotated.json();
  assert.match(body.secret, /^whsec_/);
  assert.notEqual(body.secret, created.body.secret);
  const hours = (Date.parse(body.previous_secret_expires_at) - Date.now()) / 3_600_000;
  assert.ok(hours > 23.9 && hours <= 24, `${hours}`);

  const off = await admin(`/v1/webhooks/${id}`, { method: 'PATCH', body: { enabled: false } });
  assert.equal(off.status, 200);
  assert.equal(off.body.enabled, false);
  const test = await admin(`/v1/webhooks/${id}/test`, { method: 'POST' });
  assert.equal(test.status, 409);
  const on = await admin(`/v1/webhooks/${id}`, { method: 'PATCH', body: { enabled: true } });
  assert.equal(on.body.enabled, true);
  const sent = await admin(`/v1/webhooks/${id}/test`, { method: 'POST' });
  assert.equal(sent.status, 202);
  assert.equal(sent.body.event_type, 'webhook.test');
  const [request] = await receiver.waitFor((b) => b.type === 'webhook.test');
  assert.equal(request.headers['webhook-id'], sent.body.id);
  const event = new Webhook(body.secret).verify(request.body, request.headers);
  assert.deepEqual(event.data, {
    endpoint_id: id,
    test: true,
    message: 'This is a test event from NPS loop: no answer, case or customer is behind it.',
  });
  assert.equal((await admin(`/v1/webhooks/${id}/nope`, { method: 'POST' })).status, 404);
});
