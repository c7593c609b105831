// Benchmark (not a test): `POST /v1/responses` under `wrangler dev`, ours against a bare
// JavaScript worker (e2e/bench/baseline/) that does only the same D1 INSERT under the
// same wrangler/workerd. Started by e2e/bench/ingest.sh, which runs both workers and
// passes NPS_BASE_URL, NPS_ADMIN_TOKEN, BARE_URL, OURS_PGID, BARE_PGID.
//
//   node e2e/bench/ingest.mjs [--duration 10] [--connections 16] [--threads 2]
//                             [--rounds 3] [--warmup 3]
//
// Load: wrk on loopback, a fixed number of connections (each a closed loop: the next
// request when the last answer came), each request a new Idempotency-Key and scores
// 0..10 in turn (so 7 in 11 are detractors, which open a case in ours). The two
// workers take turns, round by round, so that other load on the machine hits both.
// CPU time per request: utime+stime of the workerd process that runs the worker
// (read from /proc before and after each measured run) divided by the requests of
// the run. Prints a table and `RESULT {json}` lines. Exit 0 whatever the numbers;
// 1 only when the run was broken (set-up failed, wrk failed, or over 1% non-2xx).
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { intArg as intArgOf } from './args.mjs';

const OURS = process.env.NPS_BASE_URL;
const BARE = process.env.BARE_URL;
// Optional: our worker once more, started without the static-assets router that
// `wrangler dev` puts in front of a worker with `[assets]` (on Cloudflare assets are
// routed before the worker, at no cost to it), so that the worker alone is measured.
const ALONE = process.env.ALONE_URL;
// Optional: the bare worker's INSERT behind a Durable Object that writes groups
// (e2e/bench/baseline-gate/): the cost of the design's hop, without our code.
const GATE = process.env.GATE_URL;
const TOKEN = process.env.NPS_ADMIN_TOKEN;
const LUA = fileURLToPath(new URL('./ingest.lua', import.meta.url));

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
  },
});
const intArg = (name, min, max) => intArgOf(args, name, min, max);
const DURATION = intArg('duration', 1, 120);
const CONNECTIONS = intArg('connections', 1, 256);
const THREADS = Math.min(intArg('threads', 1, 16), CONNECTIONS);
const ROUNDS = intArg('rounds', 1, 10);
const WARMUP = intArg('warmup', 0, 60);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The processes of a process group: [{ pid, comm, ticks, cmdline }]. */
function processes(pgid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    let cmdline;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    found.push({ pid: Number(entry), comm, ticks: Number(fields[11]) + Number(fields[12]), cmdline });
  }
  return found;
}

/**
 * wrangler dev runs two workerd processes: a proxy that owns the public port and the
 * runtime that runs the worker (and its local D1). CPU of the runtime, in ticks.
 */
function runtimeTicks(pgid, publicPort) {
  const group = processes(pgid);
  const all = group.filter((p) => p.comm === 'workerd');
  const runtime = all.filter((p) => !p.cmdline.includes(`entry=127.0.0.1:${publicPort} `)
    && !p.cmdline.endsWith(`entry=127.0.0.1:${publicPort}`));
  const chosen = runtime.length ? runtime : all;
  if (!chosen.length) throw new Error(`no workerd process in process group ${pgid}`);
  return {
    runtime: chosen.reduce((s, p) => s + p.ticks, 0),
    all: all.reduce((s, p) => s + p.ticks, 0),
    group: group.reduce((s, p) => s + p.ticks, 0),
  };
}

function wrk(url, seconds, survey, prefix, mode = []) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`,
      '--timeout', '10s', '-s', LUA, url, '--', survey, prefix, ...mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('WRK '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${err || out}`));
      resolve(JSON.parse(line.slice(4)));
    });
  });
}

async function adminJson(path, init = {}, base = OURS) {
  const r = await fetch(base + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: r.status, body: await r.json() };
}

const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

async function main() {
  if (!OURS || !BARE || !TOKEN) throw new Error('run through e2e/bench/ingest.sh (NPS_BASE_URL, BARE_URL, NPS_ADMIN_TOKEN)');
  const pgid = { ours: Number(process.env.OURS_PGID), bare: Number(process.env.BARE_PGID) };
  const port = { ours: new URL(OURS).port, bare: new URL(BARE).port };
  const WHO = ['ours', ...(ALONE ? ['alone'] : []), 'bare', ...(GATE ? ['gate'] : [])];
  if (ALONE) {
    pgid.alone = Number(process.env.ALONE_PGID);
    port.alone = new URL(ALONE).port;
  }
  if (GATE) {
    pgid.gate = Number(process.env.GATE_PGID);
    port.gate = new URL(GATE).port;
  }

  // Our survey: a copy of the demo, with any per-survey rate limit lifted.
  const demo = await adminJson('/v1/surveys/s_demo');
  if (demo.status !== 200) throw new Error(`GET /v1/surveys/s_demo: ${demo.status}`);
  // Without the fields the server sets (a create refuses them).
  const { id: _id, created_at: _c, updated_at: _u, ...definition } = demo.body;
  const survey = { ...definition, id: `s_ingest-${Date.now()}`, name: 'Ingest benchmark' };
  survey.rate_limit_per_minute = 1_000_000;
  const created = await adminJson('/v1/surveys', { method: 'POST', body: JSON.stringify(survey) });
  if (created.status !== 201) throw new Error(`POST /v1/surveys: ${created.status} ${JSON.stringify(created.body)}`);
  // The bare worker has the same seed (s_demo), and does not look the survey up.
  const surveyOf = { ours: survey.id, bare: 's_demo', gate: 's_demo' };
  const urlOf = { ours: OURS, bare: BARE, gate: GATE };
  if (ALONE) {
    const made = await adminJson('/v1/surveys', { method: 'POST', body: JSON.stringify(survey) }, ALONE);
    if (made.status !== 201) throw new Error(`POST /v1/surveys (alone): ${made.status} ${JSON.stringify(made.body)}`);
    surveyOf.alone = survey.id;
    urlOf.alone = ALONE;
  }

  const runs = Object.fromEntries(WHO.map((who) => [who, []]));
  const stamp = Date.now();
  for (const who of WHO) {
    if (WARMUP > 0) await wrk(urlOf[who], WARMUP, surveyOf[who], `warm-${stamp}`);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const who of round % 2 === 0 ? WHO : [...WHO].reverse()) {
      const before = runtimeTicks(pgid[who], port[who]);
      const result = await wrk(urlOf[who], DURATION, surveyOf[who], `run${round}-${stamp}`);
      const after = runtimeTicks(pgid[who], port[who]);
      runs[who].push({
        ...result,
        cpu_runtime_ms: ((after.runtime - before.runtime) * 1000) / TICKS,
        cpu_all_ms: ((after.all - before.all) * 1000) / TICKS,
        cpu_group_ms: ((after.group - before.group) * 1000) / TICKS,
      });
    }
  }

  // The floor: GET /healthz on each, as long as one ingest run, after them. Ingest CPU
  // minus this is what an answer costs above the invocation that carries it.
  const floor = {};
  for (const who of WHO) {
    const before = runtimeTicks(pgid[who], port[who]);
    const result = await wrk(urlOf[who], DURATION, surveyOf[who], `floor-${stamp}`, ['floor']);
    const after = runtimeTicks(pgid[who], port[who]);
    floor[who] = ((after.runtime - before.runtime) * 1000) / TICKS / Math.max(result.requests, 1);
  }

  const summary = {};
  for (const who of WHO) {
    const rs = runs[who];
    const requests = rs.reduce((s, r) => s + r.requests, 0);
    summary[who] = {
      requests,
      non_2xx: rs.reduce((s, r) => s + r.non_2xx, 0),
      socket_errors: rs.reduce((s, r) => s + r.connect_errors + r.read_errors + r.write_errors + r.timeouts, 0),
      rps: requests / (rs.reduce((s, r) => s + r.duration_us, 0) / 1e6),
      p50_ms: mean(rs.map((r) => r.p50_us)) / 1000,
      p99_ms: mean(rs.map((r) => r.p99_us)) / 1000,
      cpu_ms_per_request: rs.reduce((s, r) => s + r.cpu_runtime_ms, 0) / Math.max(requests, 1),
      cpu_all_ms_per_request: rs.reduce((s, r) => s + r.cpu_all_ms, 0) / Math.max(requests, 1),
      cpu_group_ms_per_request: rs.reduce((s, r) => s + r.cpu_group_ms, 0) / Math.max(requests, 1),
      rounds_rps: rs.map((r) => round1(r.requests / (r.duration_us / 1e6))),
      floor_ms: floor[who],
    };
    summary[who].above_floor_ms = summary[who].cpu_ms_per_request - floor[who];
  }
  const b = summary.bare;
  // Each of ours, and the bare gate, over the bare worker.
  const mine = WHO.filter((who) => who !== 'bare');
  const label = {
    ours: 'ours', alone: 'ours, worker alone', bare: 'bare JS worker', gate: 'bare JS worker + gate',
  };
  const load = `wrk ${CONNECTIONS} connections, ${THREADS} threads, ${ROUNDS}x${DURATION} s`;
  /** A row: the figure of each contender, then each of ours over the bare worker's. */
  const row = (name, figure, ratio = true) => [name, ...WHO.map((who) => figure(summary[who])),
    ...mine.map((who) => (ratio ? round2(Number(figure(summary[who])) / Number(figure(b))) : ''))];
  const rows = [
    ['', ...WHO.map((who) => label[who]), ...mine.map((who) => `${label[who]} / bare`)],
    row('requests (2xx / non-2xx / socket errors)', (x) => `${x.requests - x.non_2xx} / ${x.non_2xx} / ${x.socket_errors}`, false),
    row('requests/s', (x) => round1(x.rps)),
    row('requests/s per round', (x) => x.rounds_rps.join(', '), false),
    row('latency p50 (ms)', (x) => round2(x.p50_ms)),
    row('latency p99 (ms)', (x) => round2(x.p99_ms)),
    row('CPU ms/request, worker runtime', (x) => round2(x.cpu_ms_per_request)),
    row('CPU ms/request, both workerd', (x) => round2(x.cpu_all_ms_per_request)),
    row('CPU ms/request, all of wrangler dev', (x) => round2(x.cpu_group_ms_per_request)),
    row('CPU ms/request, GET /healthz (the invocation alone)', (x) => round2(x.floor_ms)),
    row('CPU ms/answer above that (runtime − /healthz)', (x) => round2(x.above_floor_ms)),
  ];
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => String(r[k]).length)));
  console.log(`\nIngest: POST /v1/responses under wrangler dev (${load}, loopback)\n`);
  for (const r of rows) console.log(r.map((c, k) => String(c).padEnd(widths[k])).join('  '));
  console.log('\nCPU: utime+stime of the workerd that runs the worker and its local D1 (SQLite), '
    + 'over the measured runs, divided by their requests; "both workerd" adds the wrangler dev proxy; '
    + '"all of wrangler dev" adds wrangler\'s Node process too.'
    + (ALONE ? ' "Worker alone": our worker without the static-assets router that wrangler dev runs in '
      + 'front of a worker with [assets] (a whole extra invocation per request locally; on Cloudflare, '
      + 'assets are routed before the worker and cost it nothing).' : '')
    + (GATE ? ' "Bare JS worker + gate": the bare worker\'s INSERT behind a Durable Object that writes '
      + 'the rows waiting at the time as one D1 batch (e2e/bench/baseline-gate/): the hop of our design, '
      + 'without our code.' : '') + '\n');

  const bareLabel = 'bare JS worker, same D1 INSERT, same workerd, same run';
  const result = (metric, value, unit, reference, note) => console.log(`RESULT ${JSON.stringify({
    metric, value, unit, reference, reference_label: bareLabel, note,
  })}`);
  for (const who of mine.filter((w) => w !== 'gate')) {
    const o = summary[who];
    const suffix = who === 'ours' ? '' : ' (worker alone)';
    result(`ingest throughput${suffix}`, round1(o.rps), 'requests/s', round1(b.rps), `${load}; higher is better`);
    result(`ingest latency p50${suffix}`, round2(o.p50_ms), 'ms', round2(b.p50_ms), load);
    result(`ingest latency p99${suffix}`, round2(o.p99_ms), 'ms', round2(b.p99_ms), load);
    result(`worker CPU per request${suffix}`, round2(o.cpu_ms_per_request), 'ms', round2(b.cpu_ms_per_request),
      'workerd runtime process (worker + local D1), utime+stime / requests');
    result(`worker CPU per answer above the invocation${suffix}`, round2(o.above_floor_ms), 'ms', round2(b.above_floor_ms),
      'runtime CPU per POST minus per GET /healthz of the same worker, same run');
  }

  if (GATE) {
    const g = summary.gate;
    result('ingest throughput, the design alone', round1(g.rps), 'requests/s', round1(b.rps),
      `bare INSERT behind a Durable Object that writes groups (e2e/bench/baseline-gate); ${load}`);
    result('worker CPU per request, the design alone', round2(g.cpu_ms_per_request), 'ms',
      round2(b.cpu_ms_per_request), 'bare INSERT behind a Durable Object that writes groups');
  }

  const broken = [];
  for (const [who, s] of Object.entries(summary)) {
    if (s.requests === 0) broken.push(`${who}: no requests completed`);
    else if (s.non_2xx + s.socket_errors > 0.01 * s.requests) {
      broken.push(`${who}: ${s.non_2xx} non-2xx and ${s.socket_errors} socket errors of ${s.requests}`);
    }
  }
  if (broken.length) console.error(`\nBROKEN RUN: ${broken.join('; ')}`);
  return broken.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`benchmark failed: ${e.stack ?? e}`);
}
process.exit(code);
