// Export jobs: an export written to R2 in chunks, one queue message each (EXPORT_ROWS_PER_CHUNK
// is 700 in e2e/run.sh, so a few thousand answers take several messages), then downloaded
// whole: every answer once, newest first, one header, the formula guard of export.csv.
// And the dashboard: a progress bar while it runs, a download once it is done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch } from '../lib/browser.mjs';
import { BASE_URL, admin, call, eventually, freshSurvey } from '../lib/server.mjs';
import { seedAnswers } from '../lib/storage.mjs';
import { DashboardPage } from '../lib/dashboard.mjs';

const SEEDED = 3000;
const ROWS_PER_CHUNK = 700;

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

/** Every answer id of the survey, newest first, through the paged JSON list. */
async function allIds(surveyId) {
  const ids = [];
  let cursor = null;
  do {
    const page = await admin(`/v1/surveys/${surveyId}/responses?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    ids.push(...page.body.items.map((r) => r.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  return ids;
}

let surveyId;
let detractorId;
let browser;

before(async () => {
  browser = await launch();
  surveyId = await freshSurvey('exportjob');
  await seedAnswers({ surveyId, answers: SEEDED, days: 30, endMs: Date.now() - 60_000 });
  const created = await call('/v1/responses', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: surveyId, score: 0, channel: 'api', comment: '=HYPERLINK("http://evil.example","click") , and more' }),
  });
  assert.equal(created.status, 201);
  detractorId = created.body.id;
});
after(async () => { await browser?.close(); });

test('an export job writes every answer once, in chunks, and the download holds them all', async () => {
  const expected = await allIds(surveyId);
  assert.equal(expected.length, SEEDED + 1);

  const started = await admin(`/v1/surveys/${surveyId}/exports`, { method: 'POST', body: {} });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  assert.equal(started.body.status, 'queued');
  assert.equal(started.body.rows_total, expected.length);
  assert.equal(started.body.download_url, null);
  assert.equal(started.headers.get('location'), `/v1/exports/${started.body.id}`);
  // Not done yet (or just done): the download says so instead of sending half a file.
  const early = await admin(`/v1/exports/${started.body.id}/download`);
  assert.ok([200, 409].includes(early.status));

  const seen = new Set();
  const done = await eventually(async () => {
    const job = await admin(`/v1/exports/${started.body.id}`);
    assert.equal(job.status, 200);
    seen.add(`${job.body.status}:${job.body.rows_written}`);
    assert.notEqual(job.body.status, 'failed', job.body.error);
    return job.body.status === 'done' && job.body;
  }, { timeoutMs: 90_000, everyMs: 250, what: 'the export to finish' });
  assert.equal(done.rows_written, expected.length);
  assert.equal(done.parts, Math.ceil(expected.length / ROWS_PER_CHUNK), 'one chunk per 700 answers');
  assert.equal(done.download_url, `/v1/exports/${done.id}/download`);
  assert.ok(done.finished_at);

  const response = await fetch(BASE_URL + done.download_url, { headers: { authorization: `Bearer ${process.env.NPS_ADMIN_TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/csv/);
  assert.match(response.headers.get('content-disposition'), new RegExp(`^attachment; filename="${surveyId}-${done.id}.csv"$`));
  const text = await response.text();
  assert.equal(Buffer.byteLength(text), done.bytes);
  const [header, ...records] = parseCsv(text);
  assert.deepEqual(header.slice(0, 5), ['id', 'survey_id', 'created_at', 'score', 'category']);
  assert.ok(records.every((r) => r.length === header.length), 'every record has every column');
  const ids = records.map((r) => r[0]);
  assert.equal(records.filter((r) => r[0] === 'id').length, 0, 'the header once');
  assert.equal(new Set(ids).size, ids.length, 'no answer twice');
  assert.deepEqual(ids, expected, 'every answer, newest first, as the list has them');
  const mine = records.find((r) => r[0] === detractorId);
  assert.equal(mine[header.indexOf('category')], 'detractor');
  assert.equal(mine[header.indexOf('comment')], '\'=HYPERLINK("http://evil.example","click") , and more');

  const filtered = await admin(`/v1/surveys/${surveyId}/exports`, { method: 'POST', body: { category: 'fans' } });
  assert.equal(filtered.status, 422);
  assert.equal((await admin('/v1/surveys/s_nope/exports', { method: 'POST', body: {} })).status, 404);
  assert.equal((await admin('/v1/exports/ex_nope')).status, 404);
});

test('the dashboard starts an export, shows its progress and offers the CSV when done', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  t.after(() => context.close());
  const page = await new DashboardPage(await context.newPage()).open();
  await page.signIn();
  await page.surveyPicker().selectOption(surveyId);
  const panel = page.page.getByTestId('export-panel');
  await panel.waitFor();
  await panel.getByLabel('Answers').selectOption('detractor');
  const detractors = (await admin(`/v1/surveys/${surveyId}/report`)).body.overall.detractors;
  await panel.getByRole('button', { name: 'Export as CSV' }).click();

  const progress = panel.getByTestId('export-progress');
  await progress.waitFor();
  assert.match(await panel.getByTestId('export-status').textContent(), /answers (written|exported)/);
  await panel.locator('[data-testid="export-progress"][data-status="done"]').waitFor({ timeout: 90_000 });
  assert.equal(await panel.getByTestId('export-bar').getAttribute('value'), '100');
  const status = await panel.getByTestId('export-status').textContent();
  const exported = Number(status.match(/^(\d+) answers exported$/)?.[1]);
  assert.ok(exported >= detractors && exported > 0, `${status} (the report counts ${detractors} detractors)`);

  const link = panel.getByRole('link', { name: 'Download CSV' });
  const [download] = await Promise.all([page.page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^${surveyId}-ex_.*\\.csv$`));
  const [header, ...records] = parseCsv(readFileSync(await download.path(), 'utf8'));
  assert.equal(header[0], 'id');
  assert.equal(records.length, exported);
  assert.ok(records.every((r) => r[header.indexOf('category')] === 'detractor'));
  assert.ok(records.some((r) => r[0] === detractorId));
});
