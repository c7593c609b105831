// The bare reference worker of the ingest benchmark (e2e/bench/ingest.sh): for
// POST /v1/responses it parses the JSON body and runs the same INSERT as the Rust
// worker's store (worker/src/store/sql/responses.rs) with the same columns and
// the same ON CONFLICT rule, and answers 201 with the same shape (answer.js). Nothing
// else: no validation beyond the JSON parse, no survey lookup, no idempotent replay, no
// cases, no webhooks. What our worker costs on top of this is the overhead the benchmark
// reports.
import { COLUMNS, WIDTH, serve } from './answer.js';

const INSERT = `INSERT INTO responses (${COLUMNS}) VALUES `
  + `(${Array.from({ length: WIDTH }, (_, i) => `?${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`;

export default {
  fetch: (request, env) => serve(request, async (row) => {
    await env.DB.prepare(INSERT).bind(...row).run();
    return true;
  }),
};
