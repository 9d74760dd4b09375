// npm run bench [-- --runs 5] [--json] [--workload a,b] [--lib a,b] [--timeout 120]
// Runs every (library, workload) in its own Node process (--expose-gc), --runs times, and reports
// medians. A run that takes longer than --timeout seconds is stopped and reported as such.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Result } from './workloads.js';

const LIBS = ['crdt-genome', 'yjs', 'loro', 'json-joy', 'automerge'];
const WORKLOADS = ['trace-local', 'trace-ranges', 'trace-remote', 'genome-local', 'genome-merge', 'snapshot', 'catch-up', 'wire', 'replication', 'soak', 'store-soak'];
/** Workloads that take minutes: they run once, with a longer time limit, unless --runs or --timeout say otherwise. */
const LONG: Record<string, number> = { 'store-soak': 1800 };

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    json: { type: 'boolean', default: false },
    workload: { type: 'string' },
    lib: { type: 'string' },
    timeout: { type: 'string' },
  },
});
const timeoutS = Number(values.timeout ?? '120');
if (!(timeoutS > 0)) throw new Error(`expected --timeout to be a positive number of seconds, got ${values.timeout}`);
const runs = Number(values.runs ?? '5');
if (!Number.isInteger(runs) || runs < 1) throw new Error(`expected --runs to be a positive integer, got ${values.runs}`);
const pick = (given: string | undefined, all: string[], flag: string): string[] => {
  if (given === undefined) return all;
  const names = given.split(',');
  for (const n of names) if (!all.includes(n)) throw new Error(`unknown ${flag} ${n}; expected one of ${all.join(', ')}`);
  return names;
};
/** The time limit of one run of `workload`, in seconds. */
const limitS = (workload: string): number => (values.timeout === undefined ? (LONG[workload] ?? timeoutS) : timeoutS);
const libs = pick(values.lib, LIBS, '--lib');
const workloads = pick(values.workload, WORKLOADS, '--workload');
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));

/** A worker's result, named by library; `timeout` when the run was stopped. */
type Row = Result & { lib: string; timeout?: boolean };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

const rows: Row[] = [];
for (const workload of workloads) {
  for (const lib of libs) {
    const samples = new Map<string, Row[]>();
    const n = LONG[workload] === undefined || values.runs !== undefined ? runs : 1;
    for (let i = 0; i < n; i++) {
      const out = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', worker, lib, workload], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: limitS(workload) * 1000 });
      if (out.error !== undefined || out.signal !== null) {
        // Too slow to finish: report it, and spare the remaining runs.
        samples.set('', [{ lib, workload, ms: NaN, heapMB: NaN, bytes: null, ok: false, timeout: true }]);
        break;
      }
      if (out.status !== 0) {
        process.stderr.write(`${lib} ${workload}: worker failed (${out.status})\n${out.stderr}\n`);
        break;
      }
      for (const line of out.stdout.split('\n').filter((l) => l.startsWith('{'))) {
        const r = JSON.parse(line) as Row;
        const key = r.of ?? '';
        samples.set(key, [...(samples.get(key) ?? []), r]);
      }
    }
    for (const [of, rs] of samples) {
      const row: Row = {
        lib,
        workload,
        ...(of === '' ? {} : { of }),
        ms: round(median(rs.map((r) => r.ms))),
        heapMB: round(median(rs.map((r) => r.heapMB))),
        bytes: rs[0]?.bytes ?? null,
        ok: rs.every((r) => r.ok),
        ...(rs[0]?.tombstones === undefined ? {} : { tombstones: rs[0].tombstones }),
        ...(rs[0]?.rssMB === undefined ? {} : { rssMB: round(median(rs.map((r) => r.rssMB ?? NaN))) }),
        ...(rs.some((r) => r.timeout) ? { timeout: true } : {}),
      };
      rows.push(row);
      if (values.json) console.log(JSON.stringify(row));
      else process.stderr.write(`  ${lib} ${workload}${of ? ` (${of})` : ''}: ${row.ms} ms\n`);
    }
  }
}

if (!values.json) printTable(rows);

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x;
}

function printTable(all: Row[]): void {
  const header = ['workload', 'lib', 'ms', 'heap MB', 'rss MB', 'bytes', 'tombstones', 'ok', 'ours / this'];
  const lines: string[][] = [header];
  for (const r of all) {
    const ours = all.find((o) => o.lib === 'crdt-genome' && o.workload === r.workload && o.of === r.of);
    const ratio = ours === undefined || r.lib === 'crdt-genome' || !Number.isFinite(r.ms) || r.ms === 0 ? '' : `${(ours.ms / r.ms).toFixed(3)}×`;
    const ms = r.timeout ? `> ${limitS(r.workload) * 1000}` : Number.isFinite(r.ms) ? String(r.ms) : '—';
    lines.push([`${r.workload}${r.of ? ` (${r.of})` : ''}`, r.lib, ms, Number.isFinite(r.heapMB) ? String(r.heapMB) : '—', r.rssMB === undefined ? '' : String(r.rssMB), r.bytes === null ? '' : String(r.bytes), r.tombstones === undefined ? '' : String(r.tombstones), r.ok ? 'yes' : 'NO', ratio]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  for (const l of lines) console.log(l.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '));
  const once = values.runs === undefined ? [...new Set(all.map((r) => r.workload))].filter((w) => LONG[w] !== undefined) : [];
  console.log(`\n${runs} run(s) each, median${once.length > 0 ? ` (${once.join(', ')}: once)` : ''}; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
}
