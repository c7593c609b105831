// The probe of e2e/bench/baseline-outbox/probe.sh: ../baseline-gate/ with an isolate
// outbox. A request puts its row in the isolate's outbox and waits on a promise; the
// first of them (the leader) sends every row waiting to the Durable Object in one
// request and resolves the others' promises. If the runtime allowed it, concurrent
// answers would cost less than one subrequest each. It does not: the requests that
// were carried are canceled as hung (their own context has no I/O pending).
import { serve } from '../baseline/answer.js';

export { Gate } from '../baseline-gate/worker.js';

let outbox = [];
let leader = null;

/** Resolves `true` once the leader's request to the gate stored `row`. */
function send(env, surveyId, row) {
  const mine = new Promise((resolve) => outbox.push({ row, resolve }));
  if (!leader) {
    leader = (async () => {
      // Linger a little, so that the answers arriving meanwhile ride along.
      await new Promise((r) => setTimeout(r, 20));
      while (outbox.length) {
        const batch = outbox;
        outbox = [];
        const gate = env.GATE.get(env.GATE.idFromName(surveyId));
        let ok = false;
        try {
          const r = await gate.fetch('https://gate/', { method: 'POST', body: JSON.stringify(batch.map((b) => b.row)) });
          ok = r.status === 204;
        } catch {
          ok = false;
        }
        for (const b of batch) b.resolve(ok);
      }
      leader = null;
    })();
  }
  return mine;
}

export default {
  fetch: (request, env) => serve(request, (row, surveyId) => send(env, surveyId, row)),
};
