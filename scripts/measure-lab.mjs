#!/usr/bin/env node
// Runs `crdt-genome cluster` with the given arguments and measures its processes from /proc (Linux):
// every second, the resident memory (VmRSS) and CPU time of the runner and of each actor. Build
// first (npm run build). Usage:
//   node scripts/measure-lab.mjs [--stop-after <ms>] [--warmup <ms>] -- <cluster arguments>
// With --stop-after, the cluster is stopped (SIGTERM) after that long; otherwise it runs to its own
// end (a timed run: --duration). Prints one JSON line: wall time; RSS in MiB per actor at the last
// sample (taken before the actors stop) and at each one's peak, the runner's peak, all processes
// together at their peak; CPU in cores (CPU seconds over wall seconds) of the actors and of the
// runner from --warmup (default 0) to the end; and the cluster's report if it printed one. The
// cluster's stderr (its log) goes to this script's.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({ options: { 'stop-after': { type: 'string' }, warmup: { type: 'string', default: '0' } }, allowPositionals: true });
const stopAfter = opts['stop-after'] === undefined ? null : Number(opts['stop-after']);
const warmup = Number(opts.warmup);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TICKS = 100; // USER_HZ on Linux
const mib = (kb) => Math.round(kb / 1024);

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(read(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
const cpuTicks = (pid) => {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
};
const children = (pid) => readdirSync(`/proc/${pid}/task`).flatMap((t) => (read(`/proc/${pid}/task/${t}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number));

const started = Date.now();
const lab = spawn(process.execPath, [cli, 'cluster', ...positionals], { stdio: ['ignore', 'pipe', 'inherit'] });
const peak = new Map(); // actor pid → peak RSS, kB
const ticks = new Map(); // pid → CPU ticks at the last sample
const atWarmup = new Map(); // pid → CPU ticks at the first sample after the warm-up (0 for a process started since)
let warmedAt = null;
let last = [];
let stopping = false;
let peakTotal = 0;
let runnerPeak = 0;

function sample() {
  if (lab.exitCode !== null || stopping) return;
  const pids = [lab.pid, ...children(lab.pid)];
  const warm = Date.now() - started >= warmup;
  const firstWarm = warm && warmedAt === null;
  if (firstWarm) warmedAt = Date.now();
  let total = 0;
  last = [];
  for (const pid of pids) {
    const kb = rssKb(pid);
    const t = cpuTicks(pid);
    if (t === null || kb === 0) continue;
    if (warm && !atWarmup.has(pid)) atWarmup.set(pid, firstWarm ? t : 0);
    ticks.set(pid, t);
    total += kb;
    if (pid === lab.pid) runnerPeak = Math.max(runnerPeak, kb);
    else {
      peak.set(pid, Math.max(peak.get(pid) ?? 0, kb));
      last.push(kb);
    }
  }
  peakTotal = Math.max(peakTotal, total);
}

let stdout = '';
// The report comes before the actors are stopped: the last sample is taken then.
lab.stdout.on('data', (d) => {
  stdout += d;
  sample();
  stopping = true;
});
const timer = setInterval(sample, 1000);
if (stopAfter !== null) {
  setTimeout(() => {
    sample();
    stopping = true;
    lab.kill('SIGTERM');
  }, stopAfter);
}
const code = await new Promise((resolve) => lab.on('exit', resolve));
const endedAt = Date.now();
clearInterval(timer);

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)] ?? 0;
const used = (pids) => pids.reduce((sum, pid) => sum + (ticks.get(pid) ?? 0) - (atWarmup.get(pid) ?? ticks.get(pid) ?? 0), 0) / TICKS;
const seconds = warmedAt === null ? 0 : (endedAt - warmedAt) / 1000;
const actorPids = [...ticks.keys()].filter((pid) => pid !== lab.pid);
const cores = (pids) => (seconds === 0 ? null : Math.round((used(pids) / seconds) * 100) / 100);
const reportLine = stdout.trim().split('\n').at(-1) ?? '';
console.log(JSON.stringify({
  exitCode: code,
  wallMs: endedAt - started,
  actors: last.length,
  actorRssMiB: { median: mib(median(last)), min: mib(sorted(last)[0] ?? 0), max: mib(sorted(last).at(-1) ?? 0) },
  actorPeakRssMiB: { median: mib(median([...peak.values()])), max: mib(sorted([...peak.values()]).at(-1) ?? 0) },
  runnerPeakRssMiB: mib(runnerPeak),
  allPeakRssMiB: mib(peakTotal),
  coresAfterWarmup: { actors: cores(actorPids), runner: cores([lab.pid]) },
  report: reportLine.startsWith('{') ? JSON.parse(reportLine) : null,
}));
