import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/actor/ActorState.js';
import { freeBase, getJson, killAll, killGroup, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);

const N = 120;

describe('a store restored from a backup', () => {
  it('catches up with a peer before it mutates again: it takes back the ops it made after the backup, signs none twice, and nothing is lost', { timeout: 120_000 }, async () => {
    const base = await freeBase(2);
    const dataDir = tmpDataDir();
    const store = join(dataDir, 'actor-0.db');
    const backup = join(dataDir, 'backup-of-actor-0.db');
    const url = (i: number) => `http://127.0.0.1:${base + i}`;
    const status = (i: number) => getJson<Status>(`${url(i)}/status`);
    const args = (i: number) => ['-a', String(i), '-c', '2', '-b', String(base), '--data-dir', dataDir, '--interval', '20-60', '--mutations', String(N), '--sync-interval', '300', '--seed', String(90 + i)];
    const peer = startCli(args(1));
    let a0: Proc = startCli(args(0));

    // The backup: taken of a stopped actor, so the file is whole.
    await waitFor('actor 0 to have made 20 ops', async () => (await status(0)).mutations >= 20, 30_000);
    a0.child.kill('SIGTERM');
    expect(await a0.exited).toBe(0);
    copyFileSync(store, backup);
    const atBackup = (await getJson<Status>(`${url(1)}/status`)).replicas;

    // It runs on past the backup, and its peer takes those ops; then its disk is lost.
    a0 = startCli(args(0));
    const incarnation = String((await waitFor('actor 0 back', () => status(0), 15_000)).incarnation);
    await waitFor('the peer to hold 30 more ops of actor 0 than at the backup', async () => ((await status(1)).replicas[incarnation] ?? 0) >= (atBackup[incarnation] ?? 0) + 30, 30_000);
    killGroup(a0, 'SIGKILL');
    await a0.exited;
    for (const f of readdirSync(dataDir).filter((f) => f.startsWith('actor-0.db'))) rmSync(join(dataDir, f));
    copyFileSync(backup, store);

    // Restored: the same incarnation, behind what its peer holds of it. The peer is frozen a
    // while, so the restored actor cannot hear at once where its counters stopped.
    const heldByPeer = (await status(1)).replicas[incarnation] as number;
    killGroup(peer, 'SIGSTOP');
    try {
      a0 = startCli(args(0));
      const back = await waitFor('actor 0 restored and serving', () => status(0), 15_000);
      expect(String(back.incarnation)).toBe(incarnation);
      expect(back.replicas[incarnation]).toBeLessThan(heldByPeer);
      await sleep(3000);
      // It waits for a peer (up to 10 s alone) rather than sign positions it signed before.
      expect((await status(0)).replicas[incarnation]).toBe(back.replicas[incarnation]);
    } finally {
      killGroup(peer, 'SIGCONT');
    }

    await waitFor('both done, with one genome', async () => {
      const [s0, s1] = await Promise.all([status(0), status(1)]);
      return s0.mutations >= N && s1.mutations >= N && s0.pending === 0 && s1.pending === 0 && s0.digest === s1.digest && JSON.stringify(s0.replicas) === JSON.stringify(s1.replicas);
    }, 60_000, 250);
    const [s0, s1] = await Promise.all([status(0), status(1)]);
    // No position signed twice: no equivocation, and every op it made before the loss is still held.
    expect(s0.equivocations).toEqual([]);
    expect(s1.equivocations).toEqual([]);
    expect(s1.replicas[incarnation]).toBeGreaterThanOrEqual(heldByPeer);
    expect(s1.replicas[incarnation]).toBe(s0.replicas[incarnation]);
    void peer;
  });
});
