import { afterAll, describe, expect, it } from 'vitest';
import { countLimit, MAX_COUNT } from '../../src/cli/cluster-command.js';
import { expectUsageError, freeBase, getJson, groupAlive, killAll, runCli, startCli, tmpDataDir, waitFor } from '../helpers/processes.js';

afterAll(killAll);

interface Report {
  faults: number;
  converged: boolean;
  convergeMs: number;
  ops: number;
  lost: number;
}

const SEED = 20261122;

describe('the lab: crdt-genome cluster with a nemesis', () => {
  it(`survives a ~20 s seeded nemesis (seed ${SEED}): converged, nothing lost, hundreds of ops`, { timeout: 120_000 }, async () => {
    const base = await freeBase(4);
    const args = ['cluster', '--count', '4', '--base', String(base), '--data-dir', tmpDataDir(), '--interval', '10-100', '--nemesis', '--duration', '20000', '--seed', String(SEED), '--report', 'json', '--sync-interval', '300'];
    const result = await runCli(args, 90_000);
    const lines = result.stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-1) as string) as Report;
    // Replay: crdt-genome <the same args> (the schedule and the mutations follow the seed).
    expect(report, `nemesis run, replay with: crdt-genome ${args.join(' ')}\n${result.stderr.slice(-3000)}`).toMatchObject({ converged: true, lost: 0 });
    expect(Object.keys(report).sort()).toEqual(['convergeMs', 'converged', 'faults', 'lost', 'ops']);
    expect(report.faults).toBeGreaterThan(5);
    expect(report.ops).toBeGreaterThan(200);
    expect(result.code).toBe(0);
    // Logs go to stderr; stdout holds only the report.
    expect(lines).toHaveLength(1);
    expect(result.stderr).toMatch(/killed \(kill -9\)/);
    expect(result.stderr).toMatch(/joins late/);
  });

  it('an actor refuses admin requests without the token and pushes without the cluster key (401), changing nothing; SIGTERM leaves no process behind', async () => {
    const base = await freeBase(3);
    const token = 'lab-test-token-0123';
    const key = 'lab-test-cluster-key-0123';
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--data-dir', tmpDataDir(), '--interval', '50-200'], { GENOME_TOKEN: token, GENOME_CLUSTER_KEY: key });
    const actor = `http://127.0.0.1:${base + 1}`;
    await waitFor('actor 1 up', () => getJson(`${actor}/status`));
    const before = (await getJson<{ faults: unknown }>(`${actor}/status`)).faults;
    for (const authorization of [undefined, 'Bearer wrong-token-123', `Basic ${token}`]) {
      const res = await fetch(`${actor}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify({ pauseMutations: true, dropRate: 1 }) });
      expect(res.status).toBe(401);
    }
    expect((await getJson<{ faults: unknown }>(`${actor}/status`)).faults).toEqual(before);
    const push = await fetch(`${actor}/genome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ v: 2, from: 2, ops: [], proof: { actor: 2, counter: 0, key: '0'.repeat(64), signature: '0'.repeat(128) } }) });
    expect(push.status).toBe(401);
    // The dashboard's controls are guarded the same way.
    const dashboard = `http://127.0.0.1:${base - 1}`;
    expect((await fetch(`${dashboard}/api/actors/1/kill`, { method: 'POST' })).status).toBe(401);
    expect((await getJson<{ actors: Array<{ phase: string }> }>(`${dashboard}/api/snapshot`)).actors[1]?.phase).not.toBe('down');
    // Neither the token nor the cluster key ever appears on a command line.
    const { execFileSync } = await import('node:child_process');
    const commandLines = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(commandLines).not.toContain(token);
    expect(commandLines).not.toContain(key);
    // With the token, the runner's admin calls work: pause actor 1 from the dashboard.
    const ok = await fetch(`${dashboard}/api/pause`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ actor: 1, paused: true }) });
    expect(ok.status).toBe(200);
    await waitFor('actor 1 paused', async () => (await getJson<{ faults: { pauseMutations: boolean } }>(`${actor}/status`)).faults.pauseMutations);
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    await waitFor('every process of the lab to exit', () => !groupAlive(cluster));
  });

  it('a timed run stopped early (SIGINT) still reports, with no verdict but "not converged", and exits non-zero', async () => {
    const base = await freeBase(3);
    const lab = startCli(['cluster', '--count', '3', '--base', String(base), '--data-dir', tmpDataDir(), '--interval', '20-100', '--nemesis', '--duration', '60000', '--report', 'json']);
    // Which actors the nemesis holds back as late joiners depends on the (random) seed: wait for any.
    await waitFor('an actor up', async () => (await getJson<{ actors: Array<{ phase: string }> }>(`http://127.0.0.1:${base - 1}/api/snapshot`)).actors.some((a) => a.phase === 'up'));
    lab.child.kill('SIGINT');
    expect(await lab.exited).toBe(130);
    const report = JSON.parse(lab.stdout.join('').trim().split('\n').at(-1) as string) as Report;
    expect(report.converged).toBe(false);
    await waitFor('every process of the lab to exit', () => !groupAlive(lab));
  });

  it('refuses contradictory flags with exit 2 and one line', async () => {
    for (const [args, needle] of [
      [['cluster', '--nemesis', '--memory'], '--memory'],
      [['cluster', '--report', 'json'], '--duration'],
      [['cluster', '--base', '9000', '--dashboard-port', '9001'], '--dashboard-port'],
      [['cluster', '--report', 'xml'], '--report'],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(needle);
    }
  });

  it(`refuses a --count above ${MAX_COUNT} without --allow-count-above-64, and above the memory's limit with it (exit 2, naming the flag and the value)`, async () => {
    expectUsageError(await runCli(['cluster', '--count', '65']), ['`--count <n>`', '`--allow-count-above-64`', '`65`']);
    expectUsageError(await runCli(['cluster', '--count', '65536', '--allow-count-above-64']), ['`--count <n>`', `at most ${countLimit()} actors`, '`65536`']);
    expectUsageError(await runCli(['cluster', '--count', '65537', '--allow-count-above-64']), ['--count <n>', '`65537`']);
  });

  it(`allows ${MAX_COUNT} actors anywhere, and above that what half the memory holds at 150 MiB an actor`, () => {
    expect(countLimit(8 * 2 ** 30)).toBe(MAX_COUNT);
    expect(countLimit(24 * 2 ** 30)).toBe(81);
    expect(countLimit(64 * 2 ** 30)).toBe(218);
  });
});
