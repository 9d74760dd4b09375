#!/usr/bin/env node
// Measures a real 3-actor run: time from the last mutation to full convergence, and replication
// bytes sent per op. Build first (npm run build). Usage:
//   node scripts/measure-convergence.mjs lost   # --drop-rate 0.5, 100 mutations each
//   node scripts/measure-convergence.mjs late   # actors 0 and 1 finish, then actor 2 joins
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scenario = process.argv[2] ?? 'lost';
if (scenario !== 'lost' && scenario !== 'late') throw new Error('usage: measure-convergence.mjs lost|late');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const base = 24000 + Math.floor(Math.random() * 2000);
const procs = [];
const common = ['-c', '3', '-b', String(base), '--memory', '--mutations', '100', '--interval', '5-30', '--log-level', 'warn'];
const extra = scenario === 'lost' ? ['--drop-rate', '0.5'] : [];
const start = (i) => procs.push(spawn(process.execPath, [cli, '-a', String(i), ...common, '--seed', String(i + 1), ...extra], { stdio: 'ignore' }));
const status = (i) => fetch(`http://127.0.0.1:${base + i}/status`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json()).catch(() => null);
const all = () => Promise.all([0, 1, 2].map(status));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = Date.now() + 120_000;

try {
  start(0);
  start(1);
  if (scenario === 'lost') start(2);
  else {
    for (;;) {
      const s = await all();
      if (s[0]?.mutations === 100 && s[1]?.mutations === 100) break;
      if (Date.now() > deadline) throw new Error('actors 0 and 1 did not finish');
      await sleep(20);
    }
    start(2);
  }
  let lastMutation = null;
  for (;;) {
    const s = await all();
    if (lastMutation === null && s.every((x) => x?.mutations === 100)) lastMutation = Date.now();
    const done = s.every((x) => x && x.pending === 0 && [0, 1, 2].every((a) => x.version[a] === 100)) && new Set(s.map((x) => x.digest)).size === 1;
    if (done) {
      const bytes = s.reduce((a, x) => a + x.messages.bytesOut, 0);
      console.log(JSON.stringify({ scenario, lastMutationToConvergedMs: Date.now() - lastMutation, bytesOut: bytes, bytesPerOp: Math.round((bytes / 300) * 10) / 10 }));
      break;
    }
    if (Date.now() > deadline) throw new Error('no convergence within 2 minutes');
    await sleep(10);
  }
} finally {
  for (const p of procs) p.kill('SIGTERM');
}
