// What the bare reference workers of the ingest and burst benchmarks share
// (baseline/, baseline-gate/, baseline-outbox/): the routes, the JSON parse, and the row of
// the Rust worker's INSERT (worker/src/store/sql/responses.rs) with the same columns. Each
// worker passes `store(row, surveyId)`: how it stores the row, `true` when it did.
export const COLUMNS = 'id, survey_id, score, comment, channel, locale, page_url, respondent_id, '
  + 'respondent_email, properties, edit_token, idempotency_key, fingerprint, created_at, updated_at, '
  + 'order_id, invitation_id, flagged, person_key, provisional, category';
/** Columns (bound parameters) a row has. */
export const WIDTH = 21;

const token = () => crypto.randomUUID().replaceAll('-', '');

/** GET /healthz, and POST /v1/responses: parse, build the row, `store` it, 201. */
export async function serve(request, store) {
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
  if (!(await store(row, surveyId))) return new Response('not stored', { status: 503 });
  return Response.json({ id, category, edit_token: editToken }, { status: 201 });
}
