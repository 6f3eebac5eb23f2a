// `npm run bench`: runs every benchmark, prints a table and writes bench/results/latest.json (and a dated copy).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';

type Bench = () => Promise<Record<string, number>>;

const only = process.argv.slice(2);
const all: [string, () => Promise<{ run: Bench }>][] = [
  ['hid-decode', () => import('./hid-decode.bench.js')],
  ['input-latency', () => import('./input-latency.bench.js')],
  ['relay', () => import('./relay.bench.js')],
  ['shutdown-runner', () => import('./shutdown-runner.bench.js')],
  ['restore', () => import('./restore.bench.js')],
  ['vsphere', () => import('./vsphere.bench.js')],
  ['libvirt', () => import('./libvirt.bench.js')],
  ['nut-server', () => import('./nut-server.bench.js')],
  ['nut-detection', () => import('./nut-detection.bench.js')],
  ['console', () => import('./console.bench.js')],
  ['relay-migration-soak', () => import('./relay-migration-soak.bench.js')],
  ['history', () => import('./history.bench.js')],
  ['sse-fanout', () => import('./sse-fanout.bench.js')],
  ['notify-outage', () => import('./notify-outage.bench.js')],
  ['usbredir', () => import('./usbredir.bench.js')],
];

const results: Record<string, Record<string, number>> = {};
for (const [name, load] of all) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`${name} … `);
  const started = performance.now();
  results[name] = await (await load()).run();
  process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  for (const [k, v] of Object.entries(results[name]))
    console.log(`  ${k.padEnd(36)} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
}

const dir = resolve(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
// Running some benchmarks keeps the others' last figures, each with the time it was measured.
const previous = existsSync(resolve(dir, 'latest.json'))
  ? (JSON.parse(readFileSync(resolve(dir, 'latest.json'), 'utf8')) as {
      results?: Record<string, Record<string, number>>;
      measuredAt?: Record<string, string>;
    })
  : {};
const measuredAt: Record<string, string> = { ...previous.measuredAt };
for (const name of Object.keys(results)) measuredAt[name] = new Date().toISOString();
const merged = { ...previous.results, ...results };
const report = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  results: merged,
  measuredAt,
};
writeFileSync(resolve(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`written to ${resolve(dir, 'latest.json')}`);
