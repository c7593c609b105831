// The "same design, nothing else" reference of the ingest benchmark
// (e2e/bench/ingest.sh): for POST /v1/responses the worker parses the JSON body, builds
// the bare worker's row (../baseline/worker.js) and sends it to one Durable Object per
// survey; the object writes every row that arrived while its last write ran as one D1
// batch (multi-row INSERTs of at most 4 rows: 21 columns, D1's 100 bound parameters)
// and answers each request when its row is stored. No validation, no idempotent replay,
// no rules, no cases or webhooks: what it costs over the bare worker is the hop alone.
import { DurableObject } from 'cloudflare:workers';
import { COLUMNS, WIDTH, serve } from '../baseline/answer.js';

const PER_INSERT = 4;
const placeholders = (rows) => Array.from({ length: rows }, (_, r) => `(${Array.from(
  { length: WIDTH }, (_, c) => `?${r * WIDTH + c + 1}`,
).join(', ')})`).join(', ');

export class Gate extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.waiting = [];
    this.writing = false;
  }

  /** One row, or (from ../baseline-outbox/) an array of rows; 204 once all are stored. */
  async fetch(request) {
    const body = await request.json();
    const rows = Array.isArray(body[0]) ? body : [body];
    const stored = Promise.all(rows.map((row) => new Promise(
      (resolve, reject) => this.waiting.push({ row, resolve, reject }),
    )));
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
  fetch: (request, env) => serve(request, async (row, surveyId) => {
    const gate = env.GATE.get(env.GATE.idFromName(surveyId));
    const stored = await gate.fetch('https://gate/', { method: 'POST', body: JSON.stringify(row) });
    return stored.status === 204;
  }),
};
