// The dashboard's Campaigns section seen through its labels and test ids, and the rows
// the campaign tests read from or put into the worker's local storage directly.
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
