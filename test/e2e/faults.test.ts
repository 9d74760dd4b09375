import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBase, getJson, killAll, killGroup, runCli, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);

interface Status {
  actor: number;
  incarnation: number;
  version: Record<string, number>;
  replicas: Record<string, number>;
  equivocations: unknown[];
  pending: number;
  mutations: number;
  messages: { sent: number; dropped: number; failed: number; bytesOut: number };
}

/** A 3-actor cluster on free ports with real SQLite stores in a fresh data dir. */
async function cluster(extra: string[] = []) {
  const base = await freeBase(3);
  const dataDir = tmpDataDir();
  const procs: Array<Proc | undefined> = [];
  const logs: string[] = [];
  const start = (i: number, more: string[] = []): Proc => {
    const p = startCli(['-a', String(i), '-c', '3', '-b', String(base), '--data-dir', dataDir, '--sync-interval', '300', '--verify-interval', '1000', '--seed', String(10 + i), ...extra, ...more]);
    procs[i] = p;
    return p;
  };
  const status = (i: number) => getJson<Status>(`http://127.0.0.1:${base + i}/status`);
  const verify = (ops: number) => runCli(['verify', '-c', '3', '-b', String(base), '--expect-ops', String(ops), '--timeout', '45000'], 60_000);
  /** Everything every process of this cluster wrote, including processes since stopped. */
  const allLogs = (): string => logs.join('') + procs.map((p) => p?.stderr.join('') ?? '').join('');
  const stop = async (i: number, signal: NodeJS.Signals): Promise<void> => {
    const p = procs[i] as Proc;
    killGroup(p, signal);
    await p.exited;
    logs.push(p.stderr.join(''));
  };
  const signal = (i: number, sig: NodeJS.Signals): void => killGroup(procs[i] as Proc, sig);
  return { base, dataDir, start, status, verify, allLogs, stop, signal };
}

describe('faults, with real processes and SQLite stores', () => {
  it('lost messages: with --drop-rate 0.5, anti-entropy still delivers every op', async () => {
    const c = await cluster(['--drop-rate', '0.5', '--mutations', '100', '--interval', '5-30']);
    for (const i of [0, 1, 2]) c.start(i);
    const result = await c.verify(100);
    expect(result.stdout).toContain('converged');
    expect(result.code).toBe(0);
    // About half of what the actors tried to send was dropped: the fault really was injected.
    const counts = await Promise.all([0, 1, 2].map(async (i) => (await c.status(i)).messages));
    for (const m of counts) expect(m.dropped).toBeGreaterThan(0);
    const dropped = counts.reduce((n, m) => n + m.dropped, 0);
    const tried = counts.reduce((n, m) => n + m.dropped + m.sent + m.failed, 0);
    expect(tried).toBeGreaterThan(60);
    expect(dropped / tried).toBeGreaterThan(0.3);
    expect(dropped / tried).toBeLessThan(0.7);
    expect(c.allLogs()).not.toContain('equivocation');
  });

  it('late join: an actor that starts after the others finished gets every op', async () => {
    const c = await cluster(['--mutations', '100', '--interval', '5-30']);
    c.start(0);
    c.start(1);
    await waitFor('actors 0 and 1 to finish', async () => (await c.status(0)).mutations === 100 && (await c.status(1)).mutations === 100, 30_000);
    c.start(2);
    expect((await c.verify(100)).code).toBe(0);
  });

  it('late join after a long history: the newcomer is caught up from a state, then converges', async () => {
    const c = await cluster(['--mutations', '4000', '--interval', '0-0']);
    c.start(0);
    c.start(1);
    await waitFor('actors 0 and 1 to finish', async () => (await c.status(0)).mutations === 4000 && (await c.status(1)).mutations === 4000, 60_000);
    c.start(2);
    expect((await c.verify(4000)).code).toBe(0);
    expect(c.allLogs()).toMatch(/caught up from a state of http:\/\/127\.0\.0\.1:\d+: \d+ ops it lacked/);
    expect(c.allLogs()).not.toContain('refused');
  });

  it('crash: kill -9 mid-mutations, restart on the same store: nothing lost, no op id reused', async () => {
    const c = await cluster(['--mutations', '100', '--interval', '10-40']);
    for (const i of [0, 1, 2]) c.start(i);
    await waitFor('actor 1 to be part way', async () => (await c.status(1)).mutations >= 30, 30_000);
    await c.stop(1, 'SIGKILL');
    c.start(1);
    expect((await c.verify(100)).code).toBe(0);
    expect((await c.status(1)).mutations).toBe(100);
    expect(c.allLogs()).not.toContain('equivocation');
  });

  it('crash during compaction: kill -9 again and again while stores compact every 25 ops: nothing lost, no op id reused', async () => {
    const c = await cluster(['--mutations', '600', '--interval', '0-8', '--compact-every', '25']);
    for (const i of [0, 1, 2]) c.start(i);
    let compactedBefore = 0;
    for (let k = 1; k <= 6; k++) {
      await waitFor(`actor 1 to make ${k * 60} ops`, async () => (await c.status(1)).mutations >= k * 60, 30_000);
      // Random moments: with every actor compacting several times a second, some land inside one.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      const acknowledged = (await c.status(1)).mutations;
      await c.stop(1, 'SIGKILL');
      compactedBefore += (c.allLogs().match(/store compacted/g) ?? []).length;
      c.start(1);
      const back = await waitFor('actor 1 to serve again', async () => (await c.status(1).catch(() => null)) ?? null, 30_000);
      expect(back.mutations).toBeGreaterThanOrEqual(acknowledged);
    }
    expect(compactedBefore).toBeGreaterThan(6);
    expect((await c.verify(600)).code).toBe(0);
    expect((await c.status(1)).mutations).toBe(600);
    expect(c.allLogs()).not.toContain('equivocation');
  });

  it('long absence: an actor stopped while the others mutate catches up on restart', async () => {
    const c = await cluster(['--mutations', '100', '--interval', '10-40']);
    for (const i of [0, 1, 2]) c.start(i);
    await waitFor('actor 2 to be part way', async () => (await c.status(2)).mutations >= 20, 30_000);
    await c.stop(2, 'SIGTERM');
    await waitFor('the others to finish', async () => (await c.status(0)).mutations === 100 && (await c.status(1)).mutations === 100, 30_000);
    c.start(2);
    expect((await c.verify(100)).code).toBe(0);
    expect(c.allLogs()).not.toContain('equivocation');
  });

  it('lost data dir: a restarted actor without its store is a new incarnation, mutates at once, and reuses no op id', async () => {
    const c = await cluster(['--mutations', '100', '--interval', '10-40']);
    for (const i of [0, 1, 2]) c.start(i);
    await waitFor('actor 2 to be part way', async () => (await c.status(2)).mutations >= 30, 30_000);
    const old = String((await c.status(2)).incarnation);
    const heldByPeers = Math.min(...(await Promise.all([0, 1].map(c.status))).map((s) => s.replicas[old] ?? 0));
    await c.stop(2, 'SIGTERM');
    for (const f of readdirSync(c.dataDir).filter((f) => f.startsWith('actor-2.db'))) rmSync(join(c.dataDir, f));
    const restarted = c.start(2);
    expect((await c.verify(100)).code).toBe(0);
    // A new author id for member 2, counting from 1: it needs no peer to say where the old one stopped.
    const now = await c.status(2);
    const fresh = String(now.incarnation);
    expect(fresh).not.toBe(old);
    expect(now.incarnation % 65536).toBe(2);
    expect(restarted.stderr.join('')).toContain(`mutating from counter 1 of incarnation a2#${Math.floor(now.incarnation / 65536).toString(16)}`);
    // No op id reused: the old incarnation's ops keep their ids beside the new one's, on every actor,
    // and with them make up member 2's 100 mutations.
    for (const s of await Promise.all([0, 1, 2].map(c.status))) {
      expect(s.replicas[old]).toBeGreaterThanOrEqual(Math.max(heldByPeers, 1));
      expect((s.replicas[old] ?? 0) + (s.replicas[fresh] ?? 0)).toBe(100);
      expect(s.equivocations).toEqual([]);
    }
    expect(c.allLogs()).not.toContain('equivocation');
  });

  it('a peer that accepts connections and never answers (SIGSTOP) stalls nobody', async () => {
    const c = await cluster(['--interval', '5-20']);
    for (const i of [0, 1, 2]) c.start(i);
    await waitFor('all up', async () => Promise.all([0, 1, 2].map((i) => c.status(i))));
    c.signal(2, 'SIGSTOP');
    try {
      // Frozen: it accepts the connection (the kernel does) and never answers.
      await expect(fetch(`http://127.0.0.1:${c.base + 2}/status`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
      // Actors 0 and 1 keep mutating and keep exchanging: each sees the other's new ops arrive.
      const before = await c.status(1);
      await waitFor('actor 1 to receive 50 new ops from actor 0', async () => ((await c.status(1)).version['0'] ?? 0) >= (before.version['0'] ?? 0) + 50, 20_000);
      await waitFor('actor 0 to receive 50 new ops from actor 1', async () => ((await c.status(0)).version['1'] ?? 0) >= (before.version['1'] ?? 0) + 50, 20_000);
    } finally {
      c.signal(2, 'SIGCONT');
    }
  });
});

describe('refusing what is wrong', () => {
  it('an actor refuses a corrupt store: exits non-zero, names the file, leaves it untouched', async () => {
    const base = await freeBase(1);
    const dir = tmpDataDir();
    const file = join(dir, 'actor-0.db');
    writeFileSync(file, 'this is not a database, it is a shopping list: eggs, flour, milk\n'.repeat(100));
    const sha = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = sha();
    const { code, stderr } = await runCli(['-a', '0', '-c', '1', '-b', String(base), '--data-dir', dir]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(/not a valid SQLite database/);
    expect(sha()).toBe(before);
  });

  it('a second process on the same store is refused; the first keeps serving', async () => {
    const base = await freeBase(2);
    const dir = tmpDataDir();
    startCli(['-a', '0', '-c', '1', '-b', String(base), '--data-dir', dir, '--interval', '50-100']);
    await waitFor('the first actor', () => getJson(`http://127.0.0.1:${base}/healthz`));
    const second = await runCli(['-a', '0', '-c', '1', '-b', String(base + 1), '--data-dir', dir]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/actor-0\.db: in use by another process/);
    expect((await getJson(`http://127.0.0.1:${base}/healthz`)).ok).toBe(true);
  });
});
