// API keys with scopes, who a change is made by, and the audit log: a `read` key reads
// reports and is refused changes (403 naming the scope); a revoked key is 401; a
// `cases` key works a case under its own name (whatever X-Actor says); the audit log
// shows who edited a survey; and in the dashboard a person creates a key, sees its
// secret once, and revokes it — on pages that pass axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { admin, call, eventually, BASE_URL, demoDefinition } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Calls the API with `secret` as the bearer token; `{ status, headers, body }`. */
async function as(secret, path, { method = 'GET', body, headers = {} } = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: {
      authorization: `Bearer ${secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: response.status, headers: response.headers, body: parsed };
}

async function newKey(name, scopes) {
  const created = await admin('/v1/api-keys', { method: 'POST', body: { name, scopes } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

function assertProblem(r, status) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal(r.body.status, status);
}

test('a read key gets the report, and a change is 403 problem+json naming the scope', async () => {
  const key = await newKey(`reports-${Date.now()}`, ['read']);
  assert.match(key.secret, /^nps_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(key.scopes, ['read']);
  assert.equal(key.last_used_at, null);

  const report = await as(key.secret, '/v1/surveys/s_demo/report');
  assert.equal(report.status, 200);
  assert.equal(typeof report.body.overall, 'object');

  const me = await as(key.secret, '/v1/me');
  assert.deepEqual(me.body, { actor: key.name, scopes: ['read'], kind: 'api_key', key_id: key.id });

  const patch = await as(key.secret, '/v1/surveys/s_demo', { method: 'PATCH', body: { name: 'Taken over' } });
  assertProblem(patch, 403);
  assert.match(patch.body.detail, /'admin' scope/);
  const keys = await as(key.secret, '/v1/api-keys');
  assertProblem(keys, 403);
  assert.equal((await admin('/v1/surveys/s_demo')).body.name === 'Taken over', false);

  // The key list shows its use and never a secret.
  const listed = await admin('/v1/api-keys');
  const row = listed.body.find((k) => k.id === key.id);
  assert.ok(row.last_used_at, 'last_used_at is set on use');
  assert.equal(row.revoked_at, null);
  assert.ok(!JSON.stringify(listed.body).includes(key.secret));
  assert.ok(!JSON.stringify(listed.body).includes('secret'));
});

test('a revoked key gets 401, and revoking an unknown key is 404', async () => {
  const key = await newKey(`short-lived-${Date.now()}`, ['admin']);
  assert.equal((await as(key.secret, '/v1/surveys')).status, 200);
  const revoked = await admin(`/v1/api-keys/${key.id}`, { method: 'DELETE' });
  assert.equal(revoked.status, 204);
  assertProblem(await as(key.secret, '/v1/surveys'), 401);
  assertProblem(await as(key.secret, '/v1/me'), 401);
  const row = (await admin('/v1/api-keys')).body.find((k) => k.id === key.id);
  assert.ok(row.revoked_at);
  assertProblem(await admin('/v1/api-keys/key_nope', { method: 'DELETE' }), 404);
  // Revoking again changes nothing.
  assert.equal((await admin(`/v1/api-keys/${key.id}`, { method: 'DELETE' })).status, 204);
});

test('a key request with an unknown field or scope is 422 naming the field', async () => {
  const extra = await admin('/v1/api-keys', { method: 'POST', body: { name: 'x', scopes: ['read'], owner: 'me' } });
  assertProblem(extra, 422);
  assert.equal(extra.body.errors[0].field, 'owner');
  const scope = await admin('/v1/api-keys', { method: 'POST', body: { name: 'x', scopes: ['write'] } });
  assertProblem(scope, 422);
  assert.equal(scope.body.errors[0].field, 'scopes');
  const empty = await admin('/v1/api-keys', { method: 'POST', body: { name: '', scopes: [] } });
  assertProblem(empty, 422);
  assert.deepEqual(empty.body.errors.map((e) => e.field).sort(), ['name', 'scopes']);
});

test("a cases key's case change carries the key's name on the timeline, not X-Actor", async () => {
  const demo = await demoDefinition();
  const surveyId = `s_keys-${Date.now()}`;
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...demo, id: surveyId, cases: { threshold: 6, sla_hours: 48 }, throttle: { days: 0, dismissed_days: 0 } },
  });
  assert.equal(created.status, 201);
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 2, channel: 'api', respondent: { id: `cust-${Date.now()}` } }),
  });
  assert.equal(answered.status, 201);
  const key = await newKey(`helpdesk-${Date.now()}`, ['cases']);
  const opened = await eventually(async () => {
    const list = await as(key.secret, `/v1/cases?survey_id=${surveyId}`);
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    return list.body.items[0];
  });
  const worked = await as(key.secret, `/v1/cases/${opened.id}`, {
    method: 'PATCH',
    headers: { 'x-actor': 'someone-else@shop.example' },
    body: { status: 'contacted', note: 'Called back' },
  });
  assert.equal(worked.status, 200, JSON.stringify(worked.body));
  const steps = worked.body.timeline.map((e) => [e.kind, e.actor]);
  assert.deepEqual(steps, [['opened', null], ['status_changed', key.name], ['note', key.name]]);
  // The same key may not change the survey the case belongs to.
  assertProblem(await as(key.secret, `/v1/surveys/${surveyId}`, { method: 'PATCH', body: { name: 'x' } }), 403);

  const audit = await admin(`/v1/audit?action=case.updated&actor=${encodeURIComponent(key.name)}`);
  assert.equal(audit.status, 200);
  assert.equal(audit.body.items.length, 1);
  const [entry] = audit.body.items;
  assert.equal(entry.target_id, opened.id);
  assert.equal(entry.principal_kind, 'api_key');
  assert.equal(entry.principal_id, key.id);
  assert.equal(entry.summary, 'status contacted, note added');
  assert.ok(!entry.summary.includes('Called back'), 'a note stays on the case');
});

test('the audit log lists a survey edit with its actor, newest first and paged', async () => {
  const surveyId = `s_audit-${Date.now()}`;
  assert.equal((await admin('/v1/surveys', { method: 'POST', body: { ...(await demoDefinition()), id: surveyId } })).status, 201);
  const editor = await newKey(`editor-${Date.now()}`, ['admin']);
  const edited = await as(editor.secret, `/v1/surveys/${surveyId}`, { method: 'PATCH', body: { name: 'Renamed by a key' } });
  assert.equal(edited.status, 200);
  // The bootstrap token's holder may say who they are.
  const byAnna = await fetch(`${BASE_URL}/v1/surveys/${surveyId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'content-type': 'application/json', 'x-actor': 'anna@shop.example' },
    body: JSON.stringify({ throttle: { days: 30, dismissed_days: 7 } }),
  });
  assert.equal(byAnna.status, 200);

  const log = await admin('/v1/audit?action=survey.updated&limit=200');
  assert.equal(log.status, 200);
  const mine = log.body.items.filter((e) => e.target_id === surveyId);
  assert.deepEqual(mine.map((e) => [e.actor, e.principal_kind, e.summary]), [
    ['anna@shop.example', 'bootstrap', 'changed throttle'],
    [editor.name, 'api_key', 'changed name'],
  ]);
  const created = await admin(`/v1/audit?action=survey.created&actor=admin`);
  assert.ok(created.body.items.some((e) => e.target_id === surveyId));
  const page = await admin('/v1/audit?limit=1');
  assert.equal(page.body.items.length, 1);
  assert.ok(page.body.next_cursor);
  const next = await admin(`/v1/audit?limit=1&cursor=${page.body.next_cursor}`);
  assert.ok(next.body.items[0].id < page.body.items[0].id);
  assertProblem(await admin('/v1/audit?action=survey.deleted'), 422);
  // Only admin reads the log.
  const reader = await newKey(`auditor-${Date.now()}`, ['read', 'cases']);
  assertProblem(await as(reader.secret, '/v1/audit'), 403);
});

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

async function violations(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

test('in the dashboard a person creates a key, sees the secret once, and revokes it', async (t) => {
  // bypassCSP: the dashboard's CSP (rightly) refuses the inline script axe is added as.
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'], bypassCSP: true });
  t.after(() => context.close());
  const page = await context.newPage();
  const dashboard = await new DashboardPage(page).open();
  await dashboard.signIn();
  await page.getByTestId('whoami').waitFor();
  await dashboard.section('API keys').click();
  const form = page.getByRole('form', { name: 'New API key' });
  await form.waitFor();
  assert.deepEqual(await violations(page), [], 'the API keys page');

  const name = `dashboard-key-${Date.now()}`;
  await form.getByLabel('Name').fill(name);
  await form.getByLabel(/^cases/).check();
  await form.getByRole('button', { name: 'Create key' }).click();
  const secretField = page.getByTestId('new-secret-value');
  await secretField.waitFor();
  const secret = await secretField.inputValue();
  assert.match(secret, /^nps_/);
  assert.match(await page.getByTestId('new-secret').textContent(), /shown only this once/);
  await page.getByRole('button', { name: 'Copy secret' }).click();
  await page.getByText('Copied to the clipboard.').waitFor();
  assert.deepEqual(await violations(page), [], 'the secret shown');

  const me = await as(secret, '/v1/me');
  assert.deepEqual(me.body.scopes, ['read', 'cases']);
  assert.equal(me.body.actor, name);

  await page.getByRole('button', { name: 'Done, I saved it' }).click();
  await secretField.waitFor({ state: 'detached' });
  const row = page.locator('[data-testid="api-key"]', { hasText: name });
  await row.waitFor();
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

  await row.getByRole('button', { name: 'Revoke' }).click();
  const confirm = row.getByRole('group', { name: `Confirm revoking ${name}` });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await as(secret, '/v1/me')).status, 200, 'cancel keeps the key');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await confirm.getByRole('button', { name: 'Revoke key' }).click();
  await page.locator('[data-testid="api-key"]', { hasText: name }).getByTestId('key-status').filter({ hasText: 'revoked' }).waitFor();
  assert.equal((await as(secret, '/v1/me')).status, 401);

  await dashboard.section('Audit log').click();
  const entry = page.locator('[data-testid="audit-entry"][data-action="api_key.revoked"]').first();
  await entry.waitFor();
  await page.getByRole('combobox', { name: /^Action/ }).selectOption('api_key.created');
  // The filtered page replaces the whole list.
  await page.locator('[data-testid="audit-entry"]:not([data-action="api_key.created"])').first().waitFor({ state: 'detached' });
  await page.locator('[data-testid="audit-entry"][data-action="api_key.created"]', { hasText: name }).waitFor();
  // The dashboard signed in with the bootstrap token (no X-Actor): the actor is "admin".
  await page.getByRole('textbox', { name: 'Actor', exact: true }).fill('nobody@shop.example');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByTestId('audit-empty').waitFor();
  await page.getByRole('textbox', { name: 'Actor', exact: true }).fill('admin');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('[data-testid="audit-entry"]', { hasText: name }).waitFor();
  for (const actor of await page.getByTestId('audit-actor').allTextContents()) {
    assert.equal(actor, 'admin (bootstrap)');
  }
  assert.deepEqual(await violations(page), [], 'the audit log page');
});

test('a dashboard signed in with a read key shows no admin sections and no case controls', async (t) => {
  const key = await newKey(`viewer-${Date.now()}`, ['read']);
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const dashboard = await new DashboardPage(page).open();
  await dashboard.signIn(key.secret);
  await page.getByTestId('whoami').filter({ hasText: key.name }).waitFor();
  assert.equal(await dashboard.section('Overview').count(), 1);
  for (const hidden of ['API keys', 'Audit log', 'Survey']) {
    assert.equal(await dashboard.section(hidden).count(), 0, hidden);
  }
  await dashboard.section('Cases').click();
  const first = dashboard.caseRows().first();
  if (await first.count()) {
    await first.click();
    await page.getByTestId('case-read-only').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add note' }).isVisible(), false);
  }
  // Endpoints and their deliveries are readable; adding, changing and replaying are not offered.
  const hook = await admin('/v1/webhooks', { method: 'POST', body: { url: 'https://hooks.example/viewer', events: ['response.created'] } });
  assert.equal(hook.status, 201);
  t.after(() => admin(`/v1/webhooks/${hook.body.id}`, { method: 'DELETE' }));
  await dashboard.section('Webhooks').click();
  await dashboard.webhook(hook.body.id).waitFor();
  assert.equal(await page.locator('form.webhook-form').count(), 0, 'no form to add an endpoint');
  assert.equal(await dashboard.webhook(hook.body.id).getByRole('button', { name: 'Rotate secret' }).isVisible(), false);
  assert.equal(await dashboard.webhook(hook.body.id).getByRole('button', { name: 'Delete' }).isVisible(), false);
});
