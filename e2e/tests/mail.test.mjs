// E-mail that sends itself (issue 16): the worker mails due invitations through the
// provider's HTTP API. The providers are the part we cannot run, so a local receiver
// plays them (e2e/run.sh points POSTMARK_API_URL / RESEND_API_URL at it) and checks
// each request against the provider's documented API: method, path, headers, JSON
// fields. Then retries, one-click unsubscribe and a bounce webhook, and the e-mail
// rendered in Chromium at 320 and 600 px for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { admin, call, eventually, freshSurvey, BASE_URL } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

const PORT = Number(process.env.NPS_MAIL_PORT);
/** Every request the "providers" got. */
const requests = [];
/** Statuses to answer per recipient (then 200). */
const plans = new Map();
let server;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(body); } catch { /* recorded as text */ }
      const to = json?.To ?? json?.to?.[0];
      requests.push({ method: req.method, url: req.url, headers: req.headers, json, to });
      const status = plans.get(to)?.shift() ?? 200;
      const n = requests.length;
      const answer = status !== 200
        ? { ErrorCode: 500, Message: 'down for the test' }
        : req.url.startsWith('/postmark')
          ? { To: to, SubmittedAt: new Date().toISOString(), MessageID: `pm-${n}-${Date.now()}`, ErrorCode: 0, Message: 'OK' }
          : { id: `re-${n}-${Date.now()}` };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
});

after(() => new Promise((resolve) => server.close(resolve)));

const cron = () => fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);

/** A fresh survey that mails through `provider`. */
async function mailingSurvey(name, provider) {
  const id = await freshSurvey(name);
  const patched = await admin(`/v1/surveys/${id}`, {
    method: 'PATCH',
    body: { name: 'Demo shop', mail: { provider, from_address: 'nps@shop.example', from_name: 'Demo shop', reply_to: 'help@shop.example' } },
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  return id;
}

/** An invitation to `email`, due now; the cron run that releases it. */
async function dueInvitation(surveyId, email) {
  const inv = await admin('/v1/invitations', {
    method: 'POST',
    body: {
      survey_id: surveyId, order_id: `M-${Date.now()}-${Math.random()}`, locale: 'en',
      respondent: { id: `c-${Date.now()}`, email }, send_after: new Date(Date.now() - 1000).toISOString(),
    },
  });
  assert.equal(inv.status, 201, JSON.stringify(inv.body));
  await cron();
  return inv.body;
}

const to = (email) => requests.filter((r) => r.to === email);
const sendsOf = async (surveyId) => (await admin(`/v1/mail-sends?survey_id=${surveyId}`)).body.items;

test('a due invitation goes out through Postmark exactly as its API documents', async () => {
  const survey = await mailingSurvey('mail-postmark', 'postmark');
  const email = `kim-${Date.now()}@example.com`;
  const inv = await dueInvitation(survey, email);
  const [request] = await eventually(() => to(email).length ? to(email) : null, { what: 'the Postmark request' });
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/postmark/email');
  assert.equal(request.headers['x-postmark-server-token'], process.env.NPS_POSTMARK_TOKEN);
  assert.equal(request.headers.accept, 'application/json');
  assert.match(request.headers['content-type'], /^application\/json/);
  const body = request.json;
  assert.deepEqual(Object.keys(body).sort(), ['From', 'Headers', 'HtmlBody', 'MessageStream', 'ReplyTo', 'Subject', 'TextBody', 'To']);
  assert.equal(body.From, '"Demo shop" <nps@shop.example>');
  assert.equal(body.To, email);
  assert.equal(body.ReplyTo, 'help@shop.example');
  assert.equal(body.MessageStream, 'outbound');
  assert.equal(body.Subject, 'How did we do? A quick question from Demo shop');
  assert.ok(body.HtmlBody.includes(`${inv.url.replaceAll('&', '&amp;')}&amp;score=10`), 'the HTML links each score');
  assert.ok(body.TextBody.includes(`${inv.url}&score=0`), 'the text part too');
  assert.ok(Buffer.byteLength(body.HtmlBody) < 102 * 1024, "under Gmail's clip");
  const headers = Object.fromEntries(body.Headers.map((h) => [h.Name, h.Value]));
  assert.match(headers['List-Unsubscribe'], /^<http:\/\/localhost:\d+\/u\/ml_[^>]+>$/);
  assert.equal(headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  const [send] = await eventually(async () => {
    const sends = await sendsOf(survey);
    return sends[0]?.status === 'sent' ? sends : null;
  }, { what: 'the send logged as sent' });
  assert.equal(send.email, email);
  assert.equal(send.attempts, 1);
  assert.match(send.provider_message_id, /^pm-/);
});

test('a provider answering 500 then 200 is retried and the e-mail sent once', async () => {
  const survey = await mailingSurvey('mail-retry', 'postmark');
  const email = `retry-${Date.now()}@example.com`;
  plans.set(email, [500]);
  await dueInvitation(survey, email);
  const [send] = await eventually(async () => {
    const sends = await sendsOf(survey);
    return sends[0]?.status === 'sent' ? sends : null;
  }, { what: 'the retried send' });
  assert.equal(send.attempts, 2);
  await cron();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(to(email).length, 2, 'one failed attempt, one sent: no third');
});

test('a due invitation goes out through Resend exactly as its API documents', async () => {
  const survey = await mailingSurvey('mail-resend', 'resend');
  const email = `jo-${Date.now()}@example.com`;
  plans.set(email, [500]);
  const inv = await dueInvitation(survey, email);
  const sent = await eventually(() => to(email).length >= 2 ? to(email) : null, { what: 'the Resend requests' });
  for (const request of sent) {
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/resend/emails');
    assert.equal(request.headers.authorization, `Bearer ${process.env.NPS_RESEND_KEY}`);
  }
  assert.equal(sent[0].headers['idempotency-key'], sent[1].headers['idempotency-key'], 'a retry is the same e-mail');
  const body = sent[1].json;
  assert.deepEqual(Object.keys(body).sort(), ['from', 'headers', 'html', 'reply_to', 'subject', 'text', 'to']);
  assert.deepEqual(body.to, [email]);
  assert.equal(body.from, '"Demo shop" <nps@shop.example>');
  assert.ok(body.html.includes(`${inv.url.replaceAll('&', '&amp;')}&amp;score=0`));
  assert.ok(body.text.includes(inv.url));
  assert.equal(body.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  assert.match(body.headers['List-Unsubscribe'], /^<http:\/\/localhost:\d+\/u\/ml_/);
  const [send] = await eventually(async () => {
    const sends = await sendsOf(survey);
    return sends[0]?.status === 'sent' ? sends : null;
  }, { what: 'the send logged' });
  assert.match(send.provider_message_id, /^re-/);
});

test('one-click unsubscribe: the next invitation to that person is suppressed and nothing is sent', async () => {
  const survey = await mailingSurvey('mail-unsub', 'postmark');
  const email = `leave-${Date.now()}@example.com`;
  await dueInvitation(survey, email);
  const [first] = await eventually(() => to(email).length ? to(email) : null, { what: 'the first e-mail' });
  const link = first.json.Headers.find((h) => h.Name === 'List-Unsubscribe').Value.slice(1, -1);
  const page = await fetch(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<form method="post">/);
  // What a mail client does for RFC 8058: POST the body, no cookies, no auth.
  const clicked = await fetch(link, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  assert.equal(clicked.status, 200);
  const forged = await fetch(`${link.slice(0, -3)}AAA`, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
  assert.equal(forged.status, 403);
  const suppressions = (await admin('/v1/suppressions?limit=200')).body.items;
  assert.equal(suppressions.find((s) => s.email === email)?.reason, 'unsubscribed');
  await dueInvitation(survey, email);
  await eventually(async () => (await sendsOf(survey)).some((s) => s.status === 'suppressed'), { what: 'a suppressed send' });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(to(email).length, 1, 'nothing more sent');
});

test('a Postmark hard bounce suppresses the address and marks the e-mail bounced', async () => {
  const survey = await mailingSurvey('mail-bounce', 'postmark');
  const email = `gone-${Date.now()}@example.com`;
  await dueInvitation(survey, email);
  const [send] = await eventually(async () => {
    const sends = await sendsOf(survey);
    return sends[0]?.status === 'sent' ? sends : null;
  }, { what: 'the sent e-mail' });
  const bounce = { RecordType: 'Bounce', Type: 'HardBounce', TypeCode: 1, MessageID: send.provider_message_id,
    Email: email.toUpperCase(), BouncedAt: new Date().toISOString(), Inactive: true };
  const wrong = await call('/v1/mail/postmark/not-the-token', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(bounce) });
  assert.equal(wrong.status, 401);
  const taken = await call(`/v1/mail/postmark/${process.env.NPS_POSTMARK_WEBHOOK_TOKEN}`, {
    headers: { 'content-type': 'application/json' }, body: JSON.stringify(bounce),
  });
  assert.equal(taken.status, 204);
  assert.equal((await sendsOf(survey))[0].status, 'bounced');
  const suppressed = (await admin('/v1/suppressions?limit=200')).body.items.find((s) => s.email === email);
  assert.deepEqual([suppressed.reason, suppressed.source], ['bounced', 'postmark']);
  await dueInvitation(survey, email);
  await eventually(async () => (await sendsOf(survey)).some((s) => s.status === 'suppressed'), { what: 'a suppressed send' });
  assert.equal(to(email).length, 1, 'a bounced address gets nothing more');
  const lifted = await admin(`/v1/suppressions/${encodeURIComponent(email)}`, { method: 'DELETE' });
  assert.equal(lifted.status, 204);
});

test('a Resend complaint signed by Svix suppresses the address; a bad signature is 401', async () => {
  const { Webhook } = await import('standardwebhooks');
  const email = `spam-${Date.now()}@example.com`;
  const payload = JSON.stringify({ type: 'email.complained', created_at: new Date().toISOString(),
    data: { email_id: 'none', to: [email], subject: 'x' } });
  const id = `msg_${Date.now()}`;
  const at = new Date();
  const signature = new Webhook(process.env.NPS_RESEND_WEBHOOK_SECRET).sign(id, at, payload);
  const headers = { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(Math.floor(at / 1000)) };
  const bad = await call('/v1/mail/resend', { headers: { ...headers, 'svix-signature': 'v1,AAAA' }, body: payload });
  assert.equal(bad.status, 401);
  const good = await call('/v1/mail/resend', { headers: { ...headers, 'svix-signature': signature }, body: payload });
  assert.equal(good.status, 204);
  const suppressed = (await admin('/v1/suppressions?limit=200')).body.items.find((s) => s.email === email);
  assert.equal(suppressed.reason, 'complained');
});

test('the e-mail renders in Chromium at 320 and 600 px (the README screenshots)', async (t) => {
  const sent = requests.find((r) => r.url === '/postmark/email' && r.json?.HtmlBody);
  assert.ok(sent, 'an e-mail was sent above');
  const browser = await launch();
  t.after(() => browser.close());
  mkdirSync('docs', { recursive: true });
  for (const width of [320, 600]) {
    const page = await browser.newPage({ viewport: { width, height: 280 } });
    await page.setContent(sent.json.HtmlBody);
    const links = await page.$$eval('a[aria-label]', (as) => as.map((a) => a.getBoundingClientRect()));
    assert.equal(links.length, 11);
    assert.ok(links.every((r) => r.height >= 28 && r.width >= 22), `tappable buttons at ${width} px`);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width + 1, `no sideways scrolling at ${width} px (${scrollWidth})`);
    await page.screenshot({ path: `docs/email-${width}.png`, fullPage: true });
    await page.close();
  }
});

test('the survey editor shows the mail settings and the send log with each status', async (t) => {
  const survey = await mailingSurvey('mail-dash', 'postmark');
  const email = `dash-${Date.now()}@example.com`;
  await dueInvitation(survey, email);
  await eventually(async () => (await sendsOf(survey))[0]?.status === 'sent', { what: 'the sent e-mail' });
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  const dashboard = await new DashboardPage(page).open();
  await dashboard.signIn();
  await dashboard.surveyPicker().selectOption(survey);
  await dashboard.section('Survey').click();
  const card = page.getByRole('region', { name: 'E-mail' });
  await card.waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await card.getByLabel('Provider').inputValue(), 'postmark');
  assert.equal(await card.getByLabel('From address').inputValue(), 'nps@shop.example');
  const row = card.getByTestId('mail-send').first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  assert.match(await row.textContent(), new RegExp(`${email}.*sent`));
});
