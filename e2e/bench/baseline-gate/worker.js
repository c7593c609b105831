// The "same design, nothing else" reference of the ingest benchmark
// (e2e/bench/ingest.sh): for POST /v1/responses the worker parses the JSON body, builds
// the bare worker's row (../baseline/worker.js) and sends it to one Durable Object per
// survey; the object writes every row that arrived while its last write ran as one D1
// batch (multi-row INSERTs of at most 4 rows: 21 columns, D1's 100 bound parameters)
// and answers each request when its row is stored. No validation, no idempotent replay,
// no rules, no cases or webhooks: what it costs over the bare worker is the hop alone.
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
    const row = await request.json();
    const stored = new Promise((resolve, reject) => this.waiting.push({ row, resolve, reject }));
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
    const gate = env.GATE.get(env.GATE.idFromName(surveyId));
    const stored = await gate.fetch('https://gate/', { method: 'POST', body: JSON.stringify(row) });
    if (stored.status !== 204) return new Response('not stored', { status: 503 });
    return Response.json({ id, category, edit_token: editToken }, { status: 201 });
  },
};
