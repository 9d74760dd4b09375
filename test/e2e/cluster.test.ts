import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBase, getJson, groupAlive, killAll, pidAlive, runCli, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);

interface Status {
  actor: number;
  digest: string;
  version: Record<string, number>;
  pending: number;
  stable: Record<string, number>;
  retired: Record<string, number>;
}

const urls = (base: number, n: number): string[] => Array.from({ length: n }, (_, i) => `http://127.0.0.1:${base + i}`);

/** Pids of the direct children of a process. */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('three real actors', () => {
  it('make 30 mutations each and converge: verify --expect-ops 30 passes, logs reach match count = 2', async () => {
    const base = await freeBase(3);
    const actors: Proc[] = [0, 1, 2].map((i) =>
      startCli(['-a', String(i), '-c', '3', '-b', String(base), '--memory', '--mutations', '30', '--interval', '5-30', '--verify-interval', '300', '--seed', String(100 + i)]),
    );
    const result = await runCli(['verify', '-c', '3', '-b', String(base), '--expect-ops', '30', '--timeout', '30000']);
    expect(result.stdout).toContain('converged');
    expect(result.code).toBe(0);
    for (const url of urls(base, 3)) {
      const s = await getJson<Status>(`${url}/status`);
      expect(s.version).toEqual({ '0': 30, '1': 30, '2': 30 });
      expect(s.pending).toBe(0);
    }
    for (const a of actors) await waitFor('match count = 2 in the log', () => a.stderr.join('').includes('match count = 2'));
    // Their sync requests tell each other what they hold: each retires the deletes all of them hold.
    // (It may retire what a peer told it was retired before it has heard every peer's version
    // since: once it has, what it retired is within what it knows every actor holds.)
    const sum = (v: Record<string, number>): number => Object.values(v).reduce((a, n) => a + n, 0);
    for (const url of urls(base, 3)) {
      await waitFor(`${url} retires deletes every actor holds`, async () => sum((await getJson<Status>(`${url}/status`)).retired) > 0);
      const s = await waitFor(`${url} to know every actor holds all 90 ops`, async () => {
        const now = await getJson<Status>(`${url}/status`);
        return sum(now.stable) === 90 && now;
      });
      expect(sum(s.retired)).toBeLessThanOrEqual(90);
      expect(sum(s.stable)).toBeGreaterThanOrEqual(sum(s.retired));
    }
    const genomes = await Promise.all(urls(base, 3).map((u) => fetch(`${u}/genome`).then((r) => r.text())));
    expect(new Set(genomes).size).toBe(1);
    expect(genomes[0]).toMatch(/^([0-9a-f]{2})+$/);
  });

  it('verify exits 1 within its timeout when actors disagree or are missing', async () => {
    const base = await freeBase(2);
    startCli(['-a', '0', '-c', '2', '-b', String(base), '--memory', '--mutations', '3', '--interval', '0-0']);
    await waitFor('actor 0', () => getJson(`http://127.0.0.1:${base}/healthz`));
    const started = Date.now();
    const result = await runCli(['verify', '-c', '2', '-b', String(base), '--timeout', '1500']);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500 + 1000 + 1500); // + process start-up
    expect(result.stdout).toContain('not converged');
  });
});

describe('crdt-genome cluster', () => {
  it('runs N actors that converge, and leaves no process behind on SIGTERM', async () => {
    const base = await freeBase(3);
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--data-dir', tmpDataDir(), '--mutations', '15', '--interval', '5-20', '--verify-interval', '300']);
    const result = await runCli(['verify', '-c', '3', '-b', String(base), '--expect-ops', '15', '--timeout', '30000']);
    expect(result.code).toBe(0);
    const log = cluster.stderr.join('');
    for (const i of [0, 1, 2]) expect(log).toContain(`[a${i}] `);
    const children = childPids(cluster.child.pid as number);
    expect(children).toHaveLength(3);
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    await waitFor('every actor to exit', () => !groupAlive(cluster));
    for (const pid of children) expect(pidAlive(pid)).toBe(false);
  });

  it('exits non-zero and stops the others when an actor dies', async () => {
    const base = await freeBase(3);
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--data-dir', tmpDataDir(), '--interval', '50-100']);
    await waitFor('all actors up', () => Promise.all(urls(base, 3).map((u) => getJson(`${u}/healthz`))));
    const children = childPids(cluster.child.pid as number);
    expect(children).toHaveLength(3);
    process.kill(children[1] as number, 'SIGKILL');
    expect(await cluster.exited).toBe(1);
    await waitFor('every actor to exit', () => !groupAlive(cluster));
    expect(cluster.stderr.join('')).toContain('exited unexpectedly');
  });

  it('a child actor exits when the runner is killed while the actors are still starting', async () => {
    const base = await freeBase(3);
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--data-dir', tmpDataDir(), '--no-dashboard']);
    const children = await waitFor('the actors spawned', () => {
      const pids = childPids(cluster.child.pid as number);
      return pids.length === 3 ? pids : null;
    }, 20_000, 5);
    cluster.child.kill('SIGKILL');
    await waitFor('orphaned actors to exit', () => !children.some(pidAlive));
  });

  it('a child actor exits when the runner is killed without warning', async () => {
    const base = await freeBase(2);
    const cluster = startCli(['cluster', '--count', '2', '--base', String(base), '--memory']);
    await waitFor('all actors up', () => Promise.all(urls(base, 2).map((u) => getJson(`${u}/healthz`))));
    const children = childPids(cluster.child.pid as number);
    cluster.child.kill('SIGKILL');
    await waitFor('orphaned actors to exit', () => !children.some(pidAlive));
  });
});
