// A receiver that is down is retried, not dropped: the same webhook-id on every
// attempt, each attempt freshly signed, until a 2xx ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { admin, call } from '../lib/server.mjs';
import { startReceiver } from '../lib/receiver.mjs';

test('a failed delivery is retried with the same webhook-id until the receiver accepts it', async (t) => {
  const demo = (await admin('/v1/surveys/s_demo')).body;
  const surveyId = `s_retry-${Date.now()}`;
  const created = await admin('/v1/surveys', { method: 'POST', body: { ...demo, id: surveyId, name: 'Retry test' } });
  assert.equal(created.status, 201);

  const receiver = await startReceiver({ statuses: [500, 503] });
  const hook = await admin('/v1/webhooks', {
    method: 'POST',
    body: { url: receiver.url, filter: { categories: ['detractor'], survey_ids: [surveyId] } },
  });
  assert.equal(hook.status, 201);
  t.after(async () => {
    await admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' });
    await receiver.close();
  });

  const post = (score) => call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score, channel: 'api' }),
  });
  const promoter = await post(10);
  const detractor = await post(1);
  assert.equal(detractor.status, 201);

  const attempts = await receiver.waitFor((b) => b.data?.id === detractor.body.id, 3, 30_000);
  const ids = new Set(attempts.map((a) => a.headers['webhook-id']));
  assert.equal(ids.size, 1, 'every attempt carries the same webhook-id');
  const webhook = new Webhook(hook.body.secret);
  for (const a of attempts) webhook.verify(a.body, a.headers);
  assert.equal(receiver.requests.filter((r) => JSON.parse(r.body).data?.id === promoter.body.id).length, 0,
    'the detractor-only endpoint never hears of the promoter');

  // A 2xx ends it: no fourth attempt arrives.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(receiver.requests.filter((r) => JSON.parse(r.body).data?.id === detractor.body.id).length, 3);
});
