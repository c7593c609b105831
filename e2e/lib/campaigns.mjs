// The dashboard's Campaigns section seen through its labels and test ids, and the rows
// the campaign tests read from or put into the worker's local storage directly (D1, and
// a kept list in the local R2 bucket).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { d1File } from './storage.mjs';

export class CampaignsPage {
  constructor(page) {
    this.page = page;
  }

  form() { return this.page.getByTestId('campaign-form'); }
  name() { return this.form().getByLabel('Name'); }
  schedule() { return this.form().getByLabel('Schedule'); }
  file() { return this.page.getByTestId('campaign-file'); }
  create() { return this.form().getByRole('button', { name: 'Create and send' }); }
  detail() { return this.page.getByTestId('campaign-detail'); }
  detailIn(status) { return this.page.locator(`[data-testid="campaign-detail"][data-status="${status}"]`); }
  bar() { return this.detail().getByTestId('campaign-bar'); }
  number(name) { return this.detail().getByTestId(`campaign-${name}`); }
  row(name) { return this.page.getByTestId('campaign-row').filter({ hasText: name }); }

  /** Creates a campaign of `csv` (a file chosen in the form, as a person would). */
  async createFrom({ name, csv, schedule = 'once' }) {
    await this.name().fill(name);
    await this.schedule().selectOption(schedule);
    await this.file().setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await this.create().click();
  }
}

/**
 * Suppresses `email` for every survey: the row the unsubscribe link or a provider's
 * bounce webhook writes. The dashboard campaign test has no mail provider (so no e-mail
 * whose link could be clicked) and writes it into the local D1 file itself; the real
 * one-click unsubscribe and bounce webhook before a campaign are in
 * `after-delivery.test.mjs`.
 */
export function suppress(email, reason) {
  const db = new DatabaseSync(d1File());
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    db.prepare('INSERT INTO suppressions (email_key, reason, source, created_at) VALUES (?, ?, ?, ?)')
      .run(email.trim().toLowerCase(), reason, 'e2e', new Date().toISOString());
  } finally {
    db.close();
  }
}

/** What the worker stored for the campaign's invitations: e-mail key and token each. */
export function campaignInvitations(campaignId) {
  const db = new DatabaseSync(d1File(), { readOnly: true });
  try {
    return db.prepare("SELECT respondent_email_key AS email, json_extract(invitation, '$.token') AS token, "
      + "json_extract(invitation, '$.url') AS url, released_at FROM invitations WHERE campaign_id = ?").all(campaignId);
  } finally {
    db.close();
  }
}

/**
 * The text of part `part` of a campaign's kept list, read from the local R2 bucket that
 * `wrangler dev` keeps in the state directory (miniflare: the object index in a SQLite
 * file, the bodies as blob files); `null` when there is no such object.
 */
export function keptListPart(campaignId, part = 0, state = process.env.NPS_STATE_DIR) {
  if (!state) throw new Error('NPS_STATE_DIR is not set (run the tests through e2e/run.sh)');
  const key = `campaigns/${campaignId}/part-${String(part).padStart(5, '0')}.ndjson`;
  const index = join(state, 'v3', 'r2', 'miniflare-R2BucketObject');
  for (const file of readdirSync(index).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')) {
    const db = new DatabaseSync(join(index, file), { readOnly: true });
    let row;
    try {
      db.exec('PRAGMA busy_timeout = 10000');
      const hasObjects = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_mf_objects'").get();
      row = hasObjects && db.prepare('SELECT blob_id FROM _mf_objects WHERE key = ?').get(key);
    } finally {
      db.close();
    }
    if (!row) continue;
    for (const bucket of readdirSync(join(state, 'v3', 'r2'))) {
      const blob = join(state, 'v3', 'r2', bucket, 'blobs', row.blob_id);
      if (existsSync(blob)) return readFileSync(blob, 'utf8');
    }
    throw new Error(`${key}: its blob ${row.blob_id} is not in the state directory`);
  }
  return null;
}
