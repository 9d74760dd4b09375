// npm run bench:scale [-- --actors 10,100,1000] [--loss 0.1] [--ops-per-actor 1] [--seed 1] [--timeout 1800]
// Dissemination at scale: for each cluster size, `crdt-genome sim --report json` with gossip (fan-out
// 3) and all-to-all (a fan-out as large as the peers: every peer directly), each run in a process
// of its own. Prints rounds beside log2 N + ln N (push gossip's rounds, Pittel 1987), and requests
// and bytes per actor and round. A run past --timeout seconds is stopped and shown as such:
// all-to-all at 1,000 actors sends about a million requests a round.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    actors: { type: 'string', default: '10,100,1000' },
    loss: { type: 'string', default: '0.1' },
    'ops-per-actor': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '1800' },
    json: { type: 'boolean', default: false },
  },
});
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const sizes = values.actors.split(',').map(Number);
for (const n of sizes) if (!Number.isInteger(n) || n < 2) throw new Error(`expected --actors to list cluster sizes of 2 or more, got ${values.actors}`);

interface Report {
  actors: number;
  ops: number;
  converged: boolean;
  rounds: number;
  maxMessagesPerActorPerRound: number;
  messagesPerActorPerRound: number;
  bytesPerActorPerRound: number;
}

const rows: string[][] = [['actors', 'mode', 'rounds', 'log2 N + ln N', 'converged', 'max req/actor/round', 'req/actor/round', 'bytes/actor/round', 'wall s']];
for (const n of sizes) {
  for (const [mode, fanout] of [['gossip', 3], ['all-to-all', n - 1]] as const) {
    if (mode === 'gossip' && n - 1 <= fanout) continue;
    const args = [cli, 'sim', '--actors', String(n), '--fanout', String(fanout), '--loss', values.loss, '--ops-per-actor', values['ops-per-actor'], '--seed', values.seed, '--report', 'json'];
    const t0 = Date.now();
    const out = spawnSync(process.execPath, ['--max-old-space-size=12288', ...args], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: Number(values.timeout) * 1000 });
    const wall = ((Date.now() - t0) / 1000).toFixed(1);
    if (out.signal !== null) {
      rows.push([String(n), mode, `> ${values.timeout} s`, (Math.log2(n) + Math.log(n)).toFixed(1), '—', '', '', '', wall]);
      continue;
    }
    const last = out.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) {
      process.stderr.write(`${n} ${mode}: no report (exit ${out.status})\n${out.stderr}\n`);
      rows.push([String(n), mode, '—', '', 'NO', '', '', '', wall]);
      continue;
    }
    const r = JSON.parse(last) as Report;
    if (values.json) console.log(JSON.stringify({ mode, ...r, wallS: Number(wall) }));
    rows.push([String(n), mode, String(r.rounds), (Math.log2(n) + Math.log(n)).toFixed(1), r.converged ? 'yes' : 'NO', String(r.maxMessagesPerActorPerRound), String(r.messagesPerActorPerRound), String(r.bytesPerActorPerRound), wall]);
    // Long runs: each row as it comes, on stderr; the table at the end.
    process.stderr.write(`${(rows[rows.length - 1] as string[]).join('  ')}\n`);
  }
}
if (!values.json) {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  '));
}
