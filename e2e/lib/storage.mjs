// Makes the worker's storage really unavailable: takes SQLite's write lock on the local
// D1 database file that workerd writes to (in the state directory e2e/run.sh passes as
// NPS_STATE_DIR). While the lock is held, every D1 write of the worker fails with
// "database is locked", as a real storage outage would; reads still work (WAL mode).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';

/**
 * The path of the local D1 database file (the one with a `responses` table) in `state`
 * (by default the e2e worker's).
 */
export function d1File(state = process.env.NPS_STATE_DIR) {
  if (!state) throw new Error('NPS_STATE_DIR is not set (run the tests through e2e/run.sh)');
  const dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const candidates = readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    .map((f) => join(dir, f))
    .filter((file) => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'responses'").get() !== undefined;
      } finally {
        db.close();
      }
    });
  if (candidates.length !== 1) throw new Error(`expected one D1 database file in ${dir}, found ${candidates.length}`);
  return candidates[0];
}

/** Holds an exclusive transaction on the D1 file until the returned function is called. */
export function lockStorage() {
  const db = new DatabaseSync(d1File());
  // The worker may be writing at this moment (a rate-limit counter, an answer): wait for
  // its transaction to end rather than fail.
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('BEGIN EXCLUSIVE');
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    db.exec('ROLLBACK');
    db.close();
  };
}

/**
 * Stores `answers` synthetic answers of survey `surveyId` (and the survey itself), given
 * over the `days` days before `endMs`, with their rollups, as the seeding tool writes
 * them (`nps-seed`, which the bench uses too): answers from the past, which the API
 * cannot make. The tool is the one `scripts/build.sh` built with the worker
 * (NPS_SEED_BIN, set by e2e/run.sh), run without blocking the event loop.
 */
export async function seedAnswers({ surveyId, answers, days, endMs }) {
  const seed = process.env.NPS_SEED_BIN;
  if (!seed) throw new Error('NPS_SEED_BIN is not set (run the tests through e2e/run.sh)');
  // The tool's ids come from its random numbers: a seed of the survey's own, so that two
  // tests seeding the same database never draw the same ids.
  let seedNumber = 7;
  for (const c of surveyId) seedNumber = (seedNumber * 31 + c.charCodeAt(0)) % 2_147_483_647;
  const { stdout: sql } = await promisify(execFile)(seed,
    ['--answers', String(answers), '--survey', surveyId, '--days', String(days), '--end-ms', String(endMs),
      '--seed', String(seedNumber)],
    { maxBuffer: 64 << 20, encoding: 'utf8' });
  const db = new DatabaseSync(d1File());
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    db.exec(sql);
  } finally {
    db.close();
  }
}
