// CSV export: every answer, streamed, RFC 4180, and safe to open in a spreadsheet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, admin, call } from '../lib/server.mjs';

/** A minimal RFC 4180 reader, enough to check what the export wrote. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field); rows.push(row); row = []; field = ''; i += 1;
    } else field += c;
  }
  return rows;
}

test('the CSV export holds every answer, one record each, with formulas neutralised', async () => {
  const marker = `csv-${Date.now()}`;
  const created = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: 's_demo', score: 1, channel: 'api', comment: '=HYPERLINK("http://evil.example","click"), and\na new line', properties: { marker } }),
  });
  assert.equal(created.status, 201);

  const response = await fetch(`${BASE_URL}/v1/surveys/s_demo/export.csv`, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/csv/);
  assert.match(response.headers.get('content-disposition'), /attachment; filename="s_demo-responses.csv"/);
  const rows = parseCsv(await response.text());
  const [header, ...records] = rows;
  assert.deepEqual(header.slice(0, 5), ['id', 'survey_id', 'created_at', 'score', 'category']);
  assert.ok(records.every((r) => r.length === header.length), 'every record has every column');

  const json = await admin('/v1/surveys/s_demo/responses?limit=200');
  let total = json.body.items.length;
  let cursor = json.body.next_cursor;
  while (cursor) {
    const page = await admin(`/v1/surveys/s_demo/responses?limit=200&cursor=${cursor}`);
    total += page.body.items.length;
    cursor = page.body.next_cursor;
  }
  assert.equal(records.length, total, 'the export and the paged JSON agree');

  const mine = records.find((r) => r[header.indexOf('properties')].includes(marker));
  assert.equal(mine[header.indexOf('id')], created.body.id);
  assert.equal(mine[header.indexOf('comment')], '\'=HYPERLINK("http://evil.example","click"), and\na new line');

  const detractors = parseCsv(await (await fetch(`${BASE_URL}/v1/surveys/s_demo/export.csv?category=detractor`,
    { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } })).text()).slice(1);
  assert.ok(detractors.length > 0 && detractors.every((r) => r[header.indexOf('category')] === 'detractor'));
  const bad = await admin('/v1/surveys/s_demo/export.csv?category=fans');
  assert.equal(bad.status, 422);
});
