// Turns the RESULT lines of the benchmarks into one table (scripts/bench.sh).
//   node e2e/bench/table.mjs <results.tsv> <status.tsv> <markdown out, or - for none>
// results.tsv: "<benchmark>\t<RESULT json>" per line; status.tsv: "<benchmark>\t<status>\t<detail>".
// Each RESULT is {"metric", "value", "unit", "reference", "reference_label", "note"?};
// the ratio is value / reference, measured in the same run. Prints the table as text
// and writes it, with the date and the machine, as markdown.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const [resultsFile, statusFile, markdownFile] = process.argv.slice(2);
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));

const rows = [];
const problems = [];
for (const [bench, json] of lines(resultsFile)) {
  let r;
  try {
    r = JSON.parse(json);
  } catch {
    problems.push(`${bench}: a RESULT line that is not JSON: ${json}`);
    continue;
  }
  if (typeof r.metric !== 'string' || typeof r.value !== 'number' || !Number.isFinite(r.value)) {
    problems.push(`${bench}: a RESULT line without metric or numeric value: ${json}`);
    continue;
  }
  const reference = typeof r.reference === 'number' && Number.isFinite(r.reference) ? r.reference : null;
  rows.push({
    bench,
    metric: r.metric,
    value: r.value,
    unit: r.unit ?? '',
    reference,
    ratio: reference ? r.value / reference : null,
    label: r.reference_label ?? '',
    note: r.note ?? '',
  });
}

const fmt = (x) => {
  if (x === null || x === undefined) return '–';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
};
const ratio = (x) => (x === null ? '–' : x >= 0.1 ? x.toFixed(2) : x.toFixed(3));

const sh = (cmd, args) => { try { return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return '?'; } };
const cpuModel = os.cpus()[0]?.model?.trim() || '?';
const memGiB = (os.totalmem() / 2 ** 30).toFixed(1);
const machine = `${sh('nproc', [])} CPUs (nproc), ${cpuModel}, ${memGiB} GiB RAM, Linux ${os.release()}`;
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
const versions = `Node ${process.version}, wrangler ${sh('wrangler', ['--version']).split('\n').pop()}`;
const load = `load average ${process.env.BENCH_LOAD_START ?? '?'} at the start, ${os.loadavg()[0].toFixed(2)} at the end`;

const header = ['benchmark', 'metric', 'value', 'unit', 'reference', 'ratio', 'reference is'];
const table = rows.map((r) => [r.bench, r.metric, fmt(r.value), r.unit, fmt(r.reference), ratio(r.ratio), r.label]);
const statuses = lines(statusFile);

// Text, for the terminal.
const widths = header.map((h, k) => Math.max(h.length, ...table.map((row) => String(row[k]).length)));
const textRow = (row) => row.map((c, k) => String(c).padEnd(widths[k])).join('  ').trimEnd();
console.log(`\nBenchmarks, ${date}, ${machine}, ${load}`);
console.log(`${versions}, commit ${commit}\n`);
console.log(textRow(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(textRow(row));
console.log('\nratio = value / reference, both measured in this run (for sizes: the limit).');
for (const [bench, status, detail] of statuses) {
  if (status !== 'ok') console.log(`${bench}: ${status}${detail ? ` (${detail})` : ''}`);
}
for (const p of problems) console.log(`problem: ${p}`);

// Markdown, for the README.
const md = [];
md.push(`Measured ${date} on ${machine} (${load}); ${versions}; commit \`${commit}\`; by \`scripts/bench.sh\`.`);
md.push('');
md.push(`| ${header.join(' | ')} |`);
md.push(`|${header.map((_, k) => (k >= 2 && k <= 5 ? '---:' : '---')).join('|')}|`);
for (const row of table) md.push(`| ${row.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`);
md.push('');
md.push('ratio = value / reference, both measured in the same run (for sizes: the limit).');
const notes = rows.filter((r) => r.note);
if (notes.length) {
  md.push('');
  for (const r of notes) md.push(`- ${r.metric}: ${r.note}`);
}
const notRun = statuses.filter(([, status]) => status !== 'ok');
if (notRun.length) {
  md.push('');
  for (const [bench, status, detail] of notRun) md.push(`- ${bench}: ${status}${detail ? ` (${detail})` : ''}`);
}
if (markdownFile === '-') {
  console.log('\n(a partial run: e2e/bench/results.md is left as it was)');
} else {
  writeFileSync(markdownFile, `${md.join('\n')}\n`);
  console.log(`\nwritten to ${markdownFile}`);
}
if (rows.length === 0) process.exitCode = 1;
