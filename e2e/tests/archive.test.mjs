// Retention and archive, end to end: answers past a survey's retention_days leave D1
// for R2 (the local bucket of `wrangler dev`) when the cron runs, the reports of their
// months keep their numbers, and the archive gives back exactly the answers deleted; a
// GDPR erase takes a person's answers out of the archive too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { DatabaseSync } from 'node:sqlite';
import { BASE_URL, admin, eventually, freshSurvey } from '../lib/server.mjs';
import { d1File, seedAnswers } from '../lib/storage.mjs';

const DAY = 86_400_000;
const TOKEN = process.env.NPS_ADMIN_TOKEN;

async function allAnswers(surveyId) {
  const items = [];
  let cursor = '';
  do {
    const page = await admin(`/v1/surveys/${surveyId}/responses?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

const byTime = (a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1);

/** The UTC month starts from `from`'s month to the one after `to`'s. */
function months(from, to) {
  const starts = [];
  const d = new Date(Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), 1));
  while (d.getTime() <= to) {
    starts.push(d.toISOString());
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  starts.push(d.toISOString());
  return starts;
}

/** What a report keeps exact over archived answers. */
function numbers(report) {
  const { overall, distribution, trend, groups, flagged_excluded } = report;
  return { overall, distribution, trend, groups, flagged_excluded };
}

test('answers past retention are archived to R2, deleted, still counted, and read back exactly', async () => {
  const surveyId = await freshSurvey('archive');
  const now = Date.now();
  // 400 answers over the last 90 days: about two thirds are past a 30-day retention.
  await seedAnswers({ surveyId, answers: 400, days: 90, endMs: now - 60_000 });
  const before = (await allAnswers(surveyId)).sort(byTime);
  assert.equal(before.length, 400);
  const cut = new Date(Math.floor(now / DAY) * DAY - 30 * DAY).toISOString();
  const old = before.filter((a) => a.created_at < cut);
  const recent = before.filter((a) => a.created_at >= cut);
  assert.ok(old.length > 200 && recent.length > 50, `${old.length} old, ${recent.length} recent`);

  // The report of every month, by day and by store, before anything is archived.
  const starts = months(Date.parse(before[0].created_at), now);
  const reportOf = (from, to) =>
    admin(`/v1/surveys/${surveyId}/report?from=${from}&to=${to}&interval=day&group_by=store&min_group_size=1`);
  const reportsBefore = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const r = await reportOf(starts[i], starts[i + 1]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.archived, undefined);
    reportsBefore.push(r.body);
  }

  const set = await admin(`/v1/surveys/${surveyId}`, { method: 'PATCH', body: { retention_days: 30 } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.body.retention_days, 30);
  const tooShort = await admin(`/v1/surveys/${surveyId}`, { method: 'PATCH', body: { retention_days: 7 } });
  assert.equal(tooShort.status, 422);
  assert.equal(tooShort.body.errors[0].field, 'retention_days');

  // The cron (wrangler dev --test-scheduled): a run archives a bounded number of parts.
  let listed;
  for (let run = 0; run < 10; run++) {
    const cron = await fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);
    assert.equal(cron.status, 200);
    listed = await admin(`/v1/surveys/${surveyId}/archive`);
    assert.equal(listed.status, 200);
    if (listed.body.items.reduce((n, p) => n + p.count, 0) === old.length) break;
  }

  // D1 keeps exactly the recent answers.
  const after = (await allAnswers(surveyId)).sort(byTime);
  assert.deepEqual(after.map((a) => a.id), recent.map((a) => a.id));

  // The archive lists parts of one month each; together they hold the old answers.
  const parts = listed.body.items;
  assert.equal(parts.reduce((n, p) => n + p.count, 0), old.length);
  assert.equal(listed.body.archived_until, old[old.length - 1].created_at);
  const archived = [];
  for (const part of parts) {
    assert.match(part.key, new RegExp(`^archive/${surveyId}/${part.month}/part-\\d{4}\\.ndjson\\.gz$`));
    const download = await fetch(BASE_URL + part.href, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/gzip');
    assert.equal(download.headers.get('content-encoding'), null, 'a file to save, not a transfer encoding');
    assert.match(download.headers.get('content-disposition'), /attachment; filename=".+\.ndjson\.gz"/);
    const gzip = Buffer.from(await download.arrayBuffer());
    assert.equal(gzip.length, part.bytes);
    assert.deepEqual([...gzip.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const lines = gunzipSync(gzip).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, part.count);
    assert.ok(lines.every((a) => a.created_at.slice(0, 7) === part.month));
    archived.push(...lines);
  }
  assert.deepEqual(archived, old, 'the archive holds exactly the deleted answers, every field');

  // Every month's report keeps its numbers, and says what it no longer includes.
  for (let i = 0; i + 1 < starts.length; i++) {
    const r = await reportOf(starts[i], starts[i + 1]);
    assert.equal(r.status, 200);
    assert.deepEqual(numbers(r.body), numbers(reportsBefore[i]), `${starts[i]}`);
    // The months that reach back to archived answers say so.
    if (starts[i] <= listed.body.archived_until) {
      assert.deepEqual(r.body.archived.sections_without_archived, ['revenue_bands', 'themes']);
      assert.equal(r.body.archived.rounded, false);
    }
  }

  // Reading the archive takes the read scope, and a part that is not there is a 404.
  const anonymous = await fetch(BASE_URL + parts[0].href);
  assert.equal(anonymous.status, 401);
  const missing = await admin(`/v1/surveys/${surveyId}/archive/${parts[0].month}/9999`);
  assert.equal(missing.status, 404);
  const malformed = await admin(`/v1/surveys/${surveyId}/archive/2026-13/1`);
  assert.equal(malformed.status, 422);

  // A second cron run finds nothing more to archive.
  await fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);
  assert.equal((await allAnswers(surveyId)).length, recent.length);
});

test('an erased respondent leaves the archive and the report, and nobody else does', async () => {
  const surveyId = await freshSurvey('archive-erase');
  const now = Date.now();
  await seedAnswers({ surveyId, answers: 60, days: 90, endMs: now - 60_000 });
  const cut = new Date(Math.floor(now / DAY) * DAY - 30 * DAY).toISOString();
  // Three old answers become Kim's (an id no other test uses), and a fourth claims to be
  // Kim's without proof (as an answer sent without a valid user_hash is kept).
  const kim = `kim-${surveyId}`;
  const db = new DatabaseSync(d1File());
  let kims;
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    kims = db.prepare('SELECT id FROM responses WHERE survey_id = ? AND created_at < ? ORDER BY created_at, id LIMIT 4')
      .all(surveyId, cut).map((r) => r.id);
    db.prepare('UPDATE responses SET respondent_id = ? WHERE id IN (?, ?, ?)').run(kim, ...kims.slice(0, 3));
    db.prepare("UPDATE responses SET claimed_id = ?1, properties = json_set(properties, '$.claimed_id', ?1) WHERE id = ?2")
      .run(kim, kims[3]);
  } finally {
    db.close();
  }
  assert.equal(kims.length, 4);
  const old = (await allAnswers(surveyId)).filter((a) => a.created_at < cut).sort(byTime);
  const from = months(Date.parse(old[0].created_at), now)[0];
  const to = new Date(now + DAY).toISOString();
  const reportBefore = await admin(`/v1/surveys/${surveyId}/report?from=${from}&to=${to}`);
  assert.equal(reportBefore.status, 200);
  // What the report counts of Kim's (flagged and unconfirmed answers it leaves out).
  const kimCounted = old.filter((a) => kims.includes(a.id) && !a.flagged && !a.provisional).length;
  assert.ok(kimCounted > 0);

  assert.equal((await admin(`/v1/surveys/${surveyId}`, { method: 'PATCH', body: { retention_days: 30 } })).status, 200);
  const archivedCount = async () => (await admin(`/v1/surveys/${surveyId}/archive`)).body.items.reduce((n, p) => n + p.count, 0);
  for (let run = 0; run < 10 && (await archivedCount()) < old.length; run++) {
    assert.equal((await fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`)).status, 200);
  }
  assert.equal(await archivedCount(), old.length);

  const erased = await admin(`/v1/respondents/${encodeURIComponent(kim)}`, { method: 'DELETE' });
  assert.equal(erased.status, 200, JSON.stringify(erased.body));
  assert.equal(erased.body.answers, 0, 'archived already: nothing left in D1');
  // The background job rewrites the parts that name Kim.
  await eventually(async () => (await archivedCount()) === old.length - 4, { what: 'the archive without Kim' });
  const parts = (await admin(`/v1/surveys/${surveyId}/archive`)).body.items;
  const lines = [];
  for (const part of parts) {
    const download = await fetch(BASE_URL + part.href, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(download.status, 200);
    const gzip = Buffer.from(await download.arrayBuffer());
    assert.equal(gzip.length, part.bytes);
    const text = gunzipSync(gzip).toString('utf8');
    const these = text ? text.trimEnd().split('\n').map((l) => JSON.parse(l)) : [];
    assert.equal(these.length, part.count);
    lines.push(...these);
  }
  assert.deepEqual(lines.map((a) => a.id).sort(), old.map((a) => a.id).filter((id) => !kims.includes(id)).sort(),
    'everybody else\'s answers, and not one of Kim\'s');
  assert.ok(parts.some((p) => /\.er_[^/]+\.ndjson\.gz$/.test(p.key)), 'a rewritten part has a new object');
  const reportAfter = await admin(`/v1/surveys/${surveyId}/report?from=${from}&to=${to}`);
  assert.equal(reportAfter.body.overall.responses, reportBefore.body.overall.responses - kimCounted,
    'Kim\'s answers left the report counters');
});
