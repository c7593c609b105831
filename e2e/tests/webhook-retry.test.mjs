// Delivery that loses nothing: a receiver that is down is retried with the same
// webhook-id until it accepts; one that never accepts ends in the dead letter with
// every attempt logged, and replay sends it again. Real receivers, real queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { admin, call, eventually, freshSurvey } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

async function hookFor(t, surveyId, receiver, extra = {}) {
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, filter: { categories: ['detractor'], survey_ids: [surveyId] }, ...extra },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });
  return hook.body;
}

function answer(surveyId, score, comment) {
  return call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api', comment, properties: { store: 'berlin' } }),
  });
}

/** Matches webhook bodies (of any format) that are about this answer. */
const about = (responseId) => (body) => JSON.stringify(body).includes(responseId);

async function deliveriesOf(hookId) {
  const r = await admin(`/v1/webhooks/${hookId}/deliveries`);
  assert.equal(r.status, 200);
  return r.body.items;
}

test('a receiver that is down, then up, gets the alert with one webhook-id, and the attempts are logged', async (t) => {
  const surveyId = await freshSurvey('retry');
  const receiver = await startReceiver({ statuses: [500, 503] });
  const hook = await hookFor(t, surveyId, receiver);

  const promoter = await answer(surveyId, 10);
  const detractor = await answer(surveyId, 1);
  assert.equal(detractor.status, 201);

  const attempts = await receiver.waitFor(about(detractor.body.id), 3, 60_000);
  assert.equal(new Set(attempts.map((a) => a.headers['webhook-id'])).size, 1, 'one webhook-id for every attempt');
  const webhook = new Webhook(hook.secret);
  for (const a of attempts) webhook.verify(a.body, a.headers);
  assert.equal(receiver.requests.filter((r) => r.body.includes(promoter.body.id)).length, 0,
    'the detractor-only endpoint never hears of the promoter');

  const [delivery] = await eventually(async () => {
    const items = await deliveriesOf(hook.id);
    return items.length === 1 && items[0].status === 'delivered' ? items : null;
  }, { what: 'the delivery to be marked delivered' });
  assert.equal(delivery.id, attempts[0].headers['webhook-id']);
  assert.deepEqual(delivery.attempts.map((a) => a.status_code), [500, 503, 204]);
  assert.ok(delivery.attempts[0].next_attempt_at, 'a failed attempt says when the next one comes');
  assert.equal(delivery.attempts[2].next_attempt_at, null);

  // A 2xx ended it: no fourth attempt.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(receiver.requests.filter((r) => r.body.includes(detractor.body.id)).length, 3);
});

test('a receiver that always fails ends in the dead letter, and replay sends it again', async (t) => {
  const surveyId = await freshSurvey('dead');
  // The e2e schedule is 1,1,1,1: five attempts, then the dead letter.
  const receiver = await startReceiver({ statuses: [500, 500, 500, 500, 502], bodies: ['x'.repeat(5000)] });
  const hook = await hookFor(t, surveyId, receiver);
  const detractor = await answer(surveyId, 0, 'Never again');

  const failed = await eventually(async () => {
    const [d] = await deliveriesOf(hook.id);
    return d?.status === 'failed' ? d : null;
  }, { timeoutMs: 90_000, what: "the delivery to fail for good" });
  assert.deepEqual(failed.attempts.map((a) => a.status_code), [500, 500, 500, 500, 502]);
  assert.ok(failed.attempts.every((a) => Number.isInteger(a.latency_ms)));
  assert.ok(failed.attempts[0].response_body.length <= 1024, 'the logged body is truncated');
  assert.equal(failed.next_attempt_at, null);
  assert.equal(receiver.requests.length, 5);

  const replay = await admin(`/v1/webhooks/${hook.id}/deliveries/${failed.id}/replay`, { method: 'POST' });
  assert.equal(replay.status, 202);
  const [again] = await receiver.waitFor(about(detractor.body.id), 6, 60_000).then((hits) => hits.slice(5));
  assert.equal(again.headers['webhook-id'], failed.id, 'a replay keeps the webhook-id');
  new Webhook(hook.secret).verify(again.body, again.headers);
  await eventually(async () => (await deliveriesOf(hook.id))[0].status === 'delivered',
    { what: 'the replayed delivery to be delivered' });
  const twice = await admin(`/v1/webhooks/${hook.id}/deliveries/${failed.id}/replay`, { method: 'POST' });
  assert.equal(twice.status, 202, 'a delivered delivery can be replayed too');
});

test('a Slack endpoint gets a message Slack accepts', async (t) => {
  const surveyId = await freshSurvey('slack');
  const receiver = await startReceiver();
  await hookFor(t, surveyId, receiver, { format: 'slack' });
  await answer(surveyId, 2, 'The <b>box</b> was broken & wet');

  const [request] = await eventually(() => (receiver.requests.length ? receiver.requests : null),
    { what: 'the Slack message' });
  assert.equal(request.headers['content-type'], 'application/json');
  const message = JSON.parse(request.body);
  // Slack's incoming webhooks take `text` (required as the fallback) and `blocks`.
  assert.equal(typeof message.text, 'string');
  assert.match(message.text, /Detractor \(2\/10\)/);
  assert.ok(Array.isArray(message.blocks) && message.blocks.length <= 50);
  for (const block of message.blocks) {
    assert.ok(['section', 'context'].includes(block.type));
    const texts = block.type === 'section' ? [block.text] : block.elements;
    for (const text of texts) {
      assert.equal(text.type, 'mrkdwn');
      assert.ok(text.text.length > 0 && text.text.length <= 3000);
    }
  }
  assert.match(message.blocks[0].text.text, /&lt;b&gt;box&lt;\/b&gt; was broken &amp; wet/, 'user text is escaped');
  assert.match(message.blocks[1].elements[0].text, /store: berlin/);
});
