// Team sign-in with Cloudflare Access: Access's edge puts a signed assertion in the
// Cf-Access-Jwt-Assertion header of every request it lets through; the worker verifies
// it against the team's published keys (a local key server here, real RS256 keys) and
// takes the signed-in person's e-mail as the actor of what they change.
import { test } from 'node:test';
import { createHmac, createPublicKey } from 'node:crypto';
import assert from 'node:assert/strict';
import { admin, call, BASE_URL, demoDefinition } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';
import { keyServer, newKey, rotateKeys, signAccessJwt, teamKeys } from '../lib/access.mjs';

const HEADER = 'cf-access-jwt-assertion';
const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** The worker asks for an unknown key again at most once a second (REFETCH_FLOOR_MS). */
const pastRefetchFloor = () => new Promise((resolve) => setTimeout(resolve, 1100));

/** An admin call carrying an assertion and no admin token. */
function asSignedIn(path, assertion, { method = 'GET', headers = {}, body } = {}) {
  return call(path, {
    method,
    headers: { [HEADER]: assertion, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A survey whose detractors open cases, and one open case in it. */
async function openCase(name) {
  const demo = await demoDefinition();
  const surveyId = `s_${name}-${Date.now()}`;
  const created = await admin('/v1/surveys', {
    method: 'POST',
    body: { ...demo, id: surveyId, cases: { threshold: 6, sla_hours: 48, default_owner: 'support@shop.example' }, throttle: { days: 0, dismissed_days: 0 } },
  });
  assert.equal(created.status, 201);
  const answered = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 2, channel: 'api', comment: 'Late again', respondent: { id: `cust-${Date.now()}` } }),
  });
  assert.equal(answered.status, 201);
  const cases = await admin(`/v1/cases?survey_id=${surveyId}`);
  assert.equal(cases.body.items.length, 1);
  return cases.body.items[0].id;
}

test('a person signed in through Access works a case in the browser and their e-mail is on its timeline', async (t) => {
  const caseId = await openCase('access-case');
  const browser = await launch();
  t.after(() => browser.close());
  // What Access's edge does for a signed-in browser: the assertion on every request.
  const context = await browser.newContext({ extraHTTPHeaders: { [HEADER]: signAccessJwt({ email: 'kim@shop.example' }) } });
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/healthz`);

  const worked = await page.evaluate(async (id) => {
    const response = await fetch(`/v1/cases/${id}`, {
      method: 'PATCH',
      // No admin token; a self-declared actor that must not win over the sign-in.
      headers: { 'content-type': 'application/json', 'x-actor': 'mallory@evil.example' },
      body: JSON.stringify({ status: 'contacted', note: 'Called, a voucher is on its way' }),
    });
    return { status: response.status, body: await response.json() };
  }, caseId);
  assert.equal(worked.status, 200, JSON.stringify(worked.body));
  assert.deepEqual(
    worked.body.timeline.map((e) => [e.kind, e.actor]),
    [['opened', null], ['status_changed', 'kim@shop.example'], ['note', 'kim@shop.example']],
  );

  const read = await page.evaluate(async (id) => (await fetch(`/v1/cases/${id}`)).json(), caseId);
  assert.equal(read.status, 'contacted');
});

test('the admin token with X-Actor still names its actor, and a signed-in person outranks X-Actor beside it', async () => {
  const caseId = await openCase('access-actor');
  const byToken = await call(`/v1/cases/${caseId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'content-type': 'application/json', 'x-actor': 'desk@shop.example' },
    body: JSON.stringify({ note: 'from the help desk' }),
  });
  assert.equal(byToken.status, 200);
  const both = await asSignedIn(`/v1/cases/${caseId}`, signAccessJwt({ email: 'lea@shop.example' }), {
    method: 'PATCH',
    headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}`, 'x-actor': 'desk@shop.example' },
    body: { note: 'signed in' },
  });
  assert.equal(both.status, 200);
  assert.deepEqual(both.body.timeline.filter((e) => e.kind === 'note').map((e) => e.actor), ['desk@shop.example', 'lea@shop.example']);
});

test('an assertion that is expired, foreign, for another application or unsigned is a 401 problem+json', async () => {
  const now = Math.floor(Date.now() / 1000);
  const [teamKey] = teamKeys();
  const forged = { ...newKey(), kid: teamKey.kid };
  const cases = {
    expired: signAccessJwt({ exp: now - 3600 }),
    'signed by another key under the team key id': signAccessJwt({ key: forged }),
    'for another application': signAccessJwt({ aud: 'another-application-aud' }),
    'from another team': signAccessJwt({ iss: 'https://evil.cloudflareaccess.com' }),
    'not yet valid': signAccessJwt({ claims: { nbf: now + 3600 } }),
    'with alg none': `${b64url({ alg: 'none', kid: teamKey.kid })}.${signAccessJwt().split('.')[1]}.`,
    'with alg HS256 keyed by the public key': (() => {
      const input = `${b64url({ alg: 'HS256', kid: teamKey.kid })}.${signAccessJwt().split('.')[1]}`;
      const publicJwk = createPublicKey(teamKey.pem).export({ format: 'jwk' });
      return `${input}.${createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url')}`;
    })(),
    'with a changed e-mail': (() => {
      const [h, c, s] = signAccessJwt({ email: 'kim@shop.example' }).split('.');
      const claims = JSON.parse(Buffer.from(c, 'base64url'));
      return `${h}.${b64url({ ...claims, email: 'boss@shop.example' })}.${s}`;
    })(),
    'not a JWT': 'hello',
  };
  for (const [what, assertion] of Object.entries(cases)) {
    const refused = await asSignedIn('/v1/surveys', assertion);
    assert.equal(refused.status, 401, what);
    assert.match(refused.headers.get('content-type'), /^application\/problem\+json/, what);
    assert.equal(refused.body.status, 401, what);
  }
  // An invalid assertion is never ignored in favour of the token beside it.
  const withToken = await asSignedIn('/v1/surveys', cases.expired, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } });
  assert.equal(withToken.status, 401);
  assert.equal((await asSignedIn('/v1/surveys', signAccessJwt())).status, 200, 'a genuine one gets in');
});

test('a signed-in session is refused when another site\'s page uses it', async () => {
  const refused = await asSignedIn('/v1/surveys', signAccessJwt(), { headers: { origin: 'https://evil.example' } });
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('content-type'), /^application\/problem\+json/);
});

test('a service token is no person: it still needs a token of its own', async () => {
  const service = signAccessJwt({ email: null, claims: { common_name: '88bf3b6d86161464f6509f7219099e57.access' } });
  assert.equal((await asSignedIn('/v1/surveys', service)).status, 401);
  const withToken = await asSignedIn('/v1/surveys', service, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } });
  assert.equal(withToken.status, 200);
});

test('the team keys are kept, not fetched per request, and a rotated key is picked up', async () => {
  assert.equal((await asSignedIn('/v1/surveys', signAccessJwt())).status, 200);
  const before = (await keyServer()).fetches;
  for (let i = 0; i < 5; i += 1) {
    assert.equal((await asSignedIn('/v1/surveys', signAccessJwt())).status, 200);
  }
  assert.equal((await keyServer()).fetches, before, 'no fetch while the kept keys are fresh');

  await pastRefetchFloor();
  const rotated = rotateKeys();
  const signedWithNew = await asSignedIn('/v1/surveys', signAccessJwt({ key: rotated }));
  assert.equal(signedWithNew.status, 200, JSON.stringify(signedWithNew.body));
  assert.equal((await keyServer()).fetches, before + 1, 'one fetch for the new key');
  const old = teamKeys()[1];
  assert.equal((await asSignedIn('/v1/surveys', signAccessJwt({ key: old }))).status, 200, 'the previous key still verifies');
});

test('when the team keys cannot be fetched, an assertion with a key not kept is a 503, never let through', async (t) => {
  await keyServer('/control', { method: 'PUT', body: JSON.stringify({ failing: true }) });
  t.after(() => keyServer('/control', { method: 'PUT', body: JSON.stringify({ failing: false }) }));
  await pastRefetchFloor();
  const unknown = await asSignedIn('/v1/surveys', signAccessJwt({ key: newKey() }));
  assert.equal(unknown.status, 503);
  assert.match(unknown.headers.get('content-type'), /^application\/problem\+json/);
  assert.equal((await asSignedIn('/v1/surveys', signAccessJwt())).status, 200, 'a kept key still verifies');
});

test('behind Access the dashboard asks for no token, and a case worked there names the signed-in person', async (t) => {
  const caseId = await openCase('access-dashboard');
  const surveyId = (await admin(`/v1/cases/${caseId}`)).body.survey_id;
  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ extraHTTPHeaders: { [HEADER]: signAccessJwt({ email: 'lee@shop.example' }) } });
  const dashboard = new DashboardPage(await context.newPage());
  await dashboard.page.goto(`${BASE_URL}/dashboard`);
  // Signed in by the edge: the sections show, the token form does not.
  await dashboard.section('Overview').waitFor({ timeout: 20_000 });
  assert.equal(await dashboard.tokenField().count(), 0);

  await dashboard.surveyPicker().selectOption(surveyId);
  await dashboard.section('Cases').click();
  await dashboard.caseRow(caseId).click();
  const detail = dashboard.caseDetail();
  await detail.getByLabel('Note').fill('Called back from the dashboard');
  await detail.getByRole('button', { name: 'Mark contacted' }).click();
  await detail.getByTestId('timeline').getByText('Status open → contacted').waitFor();

  const stored = await admin(`/v1/cases/${caseId}`);
  assert.deepEqual(
    stored.body.timeline.slice(-2).map((e) => [e.kind, e.actor]),
    [['status_changed', 'lee@shop.example'], ['note', 'lee@shop.example']],
  );
});
