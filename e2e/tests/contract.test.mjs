// The worker serves its OpenAPI document, and every operation in it is really routed
// (the native test in worker/src/router.rs holds the document and the route table together).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, admin } from '../lib/server.mjs';

test('GET /openapi.json is the 3.1 document, and each of its operations is served', async () => {
  const response = await fetch(`${BASE_URL}/openapi.json`);
  assert.equal(response.status, 200);
  const doc = await response.json();
  assert.equal(doc.openapi, '3.1.0');
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) {
      const url = path.replace('{survey_id}', 's_demo').replace(/\{[a-z_]+\}/g, 'x_unknown');
      const r = await admin(url, { method: method.toUpperCase(), body: method === 'get' || method === 'delete' ? undefined : {} });
      assert.notEqual(r.status, 405, `${method} ${path}`);
      assert.ok(!(r.status === 404 && /no such endpoint/.test(r.body?.detail ?? '')), `${method} ${path} is not routed`);
      checked += 1;
    }
  }
  assert.ok(checked >= 10);
});
