// The probe of e2e/bench/baseline-outbox/probe.sh: ../baseline-gate/worker.js with an isolate
// outbox. A request puts its row in the isolate's outbox and waits on a promise; the
// first of them (the leader) sends every row waiting to the Durable Object in one
// request and resolves the others' promises. If the runtime allowed it, concurrent
// answers would cost less than one subrequest each. It does not: the requests that
// were carried are canceled as hung (their own context has no I/O pending).
import { DurableObject } from 'cloudflare:workers';

const COLUMNS = 'id, survey_id, score, comment, channel, locale, page_url, respondent_id, '
  + 'respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, '
  + 'order_id, invitation_id, flagged, person_key, provisional, category';
const WIDTH = 21;
const PER_INSERT = 4;
const placeholders = (rows) => Array.from({ length: rows }, (_, r) => `(${Array.from(
  { length: WIDTH }, (_, c) => `?${r * WIDTH + c + 1}`,
).join(', ')})`).join(', ');

const token = () => crypto.randomUUID().replaceAll('-', '');

export class Gate extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.waiting = [];
    this.writing = false;
  }

  async fetch(request) {
    const rows = await request.json();
    const stored = Promise.all(rows.map((row) => new Promise((resolve, reject) => this.waiting.push({ row, resolve, reject }))));
    if (!this.writing) this.write();
    await stored;
    return new Response(null, { status: 204 });
  }

  async write() {
    this.writing = true;
    while (this.waiting.length) {
      const group = this.waiting.splice(0, 100);
      const statements = [];
      for (let k = 0; k < group.length; k += PER_INSERT) {
        const part = group.slice(k, k + PER_INSERT);
        statements.push(this.env.DB.prepare(
          `INSERT INTO responses (${COLUMNS}) VALUES ${placeholders(part.length)} ON CONFLICT DO NOTHING`,
        ).bind(...part.flatMap((w) => w.row)));
      }
      try {
        await this.env.DB.batch(statements);
        for (const w of group) w.resolve();
      } catch (e) {
        for (const w of group) w.reject(e);
      }
    }
    this.writing = false;
  }
}

// Isolate outbox: rows of concurrent requests ride one DO request.
let outbox = [];
let leader = null;
async function send(env, surveyId, row) {
  const mine = new Promise((resolve) => outbox.push({ row, resolve }));
  if (!leader) {
    leader = (async () => {
      // Linger a little, so that the answers arriving meanwhile ride along.
      await new Promise((r) => setTimeout(r, 20));
      while (outbox.length) {
        const batch = outbox; outbox = [];
        const gate = env.GATE.get(env.GATE.idFromName(surveyId));
        let ok = false;
        try {
          const r = await gate.fetch('https://gate/', { method: 'POST', body: JSON.stringify(batch.map((b) => b.row)) });
          ok = r.status === 204;
        } catch (e) { ok = false; }
        for (const b of batch) b.resolve(ok);
      }
      leader = null;
    })();
  }
  return mine;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
    if (request.method !== 'POST' || url.pathname !== '/v1/responses') {
      return new Response('not found', { status: 404 });
    }
    let body;
    try {
      body = await request.json();
    } catch {
      return new Response('bad json', { status: 400 });
    }
    const score = Number(body.score);
    const category = score <= 6 ? 'detractor' : score <= 8 ? 'passive' : 'promoter';
    const now = new Date().toISOString();
    const id = `r_${token()}`;
    const editToken = token();
    const surveyId = String(body.survey_id);
    const row = [
      id, surveyId, score, body.comment ?? null, String(body.channel ?? 'api'),
      body.locale ?? null, body.page_url ?? null, body.respondent?.id ?? null,
      body.respondent?.email ?? null, JSON.stringify(body.properties ?? {}), editToken,
      request.headers.get('idempotency-key'), null, now, now, null, null, null, null, 0, category,
    ];
    const ok = await send(env, surveyId, row);
    if (!ok) return new Response('not stored', { status: 503 });
    return Response.json({ id, category, edit_token: editToken }, { status: 201 });
  },
};
