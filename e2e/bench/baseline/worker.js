// The bare reference worker of the ingest benchmark (e2e/bench/ingest.sh): for
// POST /v1/responses it parses the JSON body and runs the same INSERT as the Rust
// worker's store (worker/src/store/d1.rs, insert_response) with the same columns and
// the same ON CONFLICT rule, and answers 201 with the same shape. Nothing else: no
// validation beyond the JSON parse, no survey lookup, no idempotent replay, no cases,
// no webhooks. What our worker costs on top of this is the overhead the benchmark
// reports.
const COLUMNS = 'id, survey_id, score, comment, channel, locale, page_url, respondent_id, '
  + 'respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, '
  + 'order_id, invitation_id, flagged, person_key, provisional';
const INSERT = `INSERT INTO responses (${COLUMNS}, category) VALUES `
  + `(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) ON CONFLICT DO NOTHING`;

const token = () => crypto.randomUUID().replaceAll('-', '');

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
    await env.DB.prepare(INSERT).bind(
      id, String(body.survey_id), score, body.comment ?? null, String(body.channel ?? 'api'),
      body.locale ?? null, body.page_url ?? null, body.respondent?.id ?? null,
      body.respondent?.email ?? null, JSON.stringify(body.properties ?? {}), editToken,
      request.headers.get('idempotency-key'), null, now, now, null, null, null, null, 0, category,
    ).run();
    return Response.json({ id, category, edit_token: editToken }, { status: 201 });
  },
};
