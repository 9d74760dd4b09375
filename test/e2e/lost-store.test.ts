import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/actor/ActorState.js';
import { freeBase, getJson, killAll, killGroup, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);


const N = 80;

describe('a store lost while every peer is silent', () => {
  it('the restarted actor mutates at once as a new incarnation; once the peers wake, all converge, both incarnations kept, no equivocation', async () => {
    const base = await freeBase(3);
    const dataDir = tmpDataDir();
    const url = (i: number) => `http://127.0.0.1:${base + i}`;
    const status = (i: number) => getJson<Status>(`${url(i)}/status`);
    const args = (i: number) => ['-a', String(i), '-c', '3', '-b', String(base), '--data-dir', dataDir, '--interval', '50-100', '--mutations', String(N), '--sync-interval', '300', '--seed', String(70 + i)];
    const procs: Proc[] = [0, 1, 2].map((i) => startCli(args(i)));

    await waitFor('every actor to have made 15 ops', async () => (await Promise.all([0, 1, 2].map(status))).every((s) => s.mutations >= 15), 30_000);
    const old = await status(2);
    const oldIncarnation = String(old.incarnation);
    expect(old.replicas[oldIncarnation]).toBeGreaterThanOrEqual(15);
    // What the peers already hold of the old incarnation: it survives the lost store.
    const heldByPeers = Math.min(...(await Promise.all([0, 1].map(status))).map((s) => s.replicas[oldIncarnation] ?? 0));

    // kill -9, and the store with it.
    killGroup(procs[2] as Proc, 'SIGKILL');
    await (procs[2] as Proc).exited;
    const files = readdirSync(dataDir).filter((f) => f.startsWith('actor-2.db'));
    expect(files).toContain('actor-2.db');
    for (const f of files) rmSync(join(dataDir, f));

    // Every peer frozen: nobody can tell the new process where its old counters stopped.
    for (const i of [0, 1]) killGroup(procs[i] as Proc, 'SIGSTOP');
    let restarted: Proc;
    let frozenFor: number;
    let aloneFor: number;
    let madeAlone: number;
    let newIncarnation: string;
    try {
      const t0 = Date.now();
      restarted = startCli(args(2));
      procs[2] = restarted;
      const first = await waitFor('the restarted actor to serve and mutate', async () => {
        const s = await status(2);
        return s.mutations > 0 && s;
      }, 15_000);
      newIncarnation = String(first.incarnation);
      expect(newIncarnation).not.toBe(oldIncarnation);
      // Same member, another incarnation.
      expect(first.incarnation % 65536).toBe(2);
      expect(first.actor).toBe(2);
      // Mutating while every peer is frozen: it waited for nobody. Now let it run on alone.
      const mutatingAt = Date.now();
      await sleep(3200);
      const alone = await status(2);
      frozenFor = Date.now() - t0;
      aloneFor = Date.now() - mutatingAt;
      // It kept mutating alone, from counter 1 of its own feed: all it holds is its own new ops.
      expect(alone.incarnation).toBe(first.incarnation);
      expect(alone.mutations).toBeGreaterThan(first.mutations);
      expect(alone.replicas).toEqual({ [newIncarnation]: alone.mutations });
      expect(alone.version).toEqual({ 2: alone.mutations });
      madeAlone = alone.mutations;
      expect(restarted.stderr.join('')).toMatch(new RegExp(`mutating from counter 1 of incarnation a2#${Math.floor(first.incarnation / 65536).toString(16)}`));
    } finally {
      for (const i of [0, 1]) killGroup(procs[i] as Proc, 'SIGCONT');
    }
    expect(frozenFor).toBeGreaterThan(3000);
    expect(aloneFor).toBeGreaterThan(3000);

    const statuses = await waitFor('one digest, nothing pending, every member done', async () => {
      const all = await Promise.all([0, 1, 2].map(status));
      const first = all[0] as Status;
      const done = all.every((s) => s.digest === first.digest && s.pending === 0 && JSON.stringify(s.replicas) === JSON.stringify(first.replicas));
      return done && first.version['0'] === N && first.version['1'] === N && (first.version['2'] ?? 0) >= N && all[2]?.mutations === first.version['2'] && all;
    }, 45_000, 250);

    const s2 = statuses[2] as Status;
    console.log(`lost store: old incarnation made ${old.replicas[oldIncarnation]}+ (peers held ${heldByPeers}), new one made ${madeAlone} alone in ${aloneFor} ms; converged with ${s2.replicas[oldIncarnation]} + ${s2.replicas[newIncarnation]} = ${s2.version['2']} ops of actor 2`);
    const incarnations = [String(statuses[0]?.incarnation), String(statuses[1]?.incarnation), oldIncarnation, newIncarnation].sort();
    for (const s of statuses) {
      expect(s.equivocations).toEqual([]);
      // Both of actor 2's incarnations, side by side, and nobody else's.
      expect(Object.keys(s.replicas).sort()).toEqual(incarnations);
      expect(s.replicas[oldIncarnation]).toBeGreaterThanOrEqual(heldByPeers);
      expect(s.replicas[newIncarnation]).toBeGreaterThanOrEqual(madeAlone);
      // Its lifetime count: the old incarnation's ops as the peers reported them, and the new one's.
      expect(s.version['2']).toBe((s.replicas[oldIncarnation] ?? 0) + (s.replicas[newIncarnation] ?? 0));
      expect(s.version['2']).toBeGreaterThanOrEqual(N);
      expect(s.version['0']).toBe(N);
      expect(s.version['1']).toBe(N);
    }
    expect(statuses[2]?.incarnation).toBe(Number(newIncarnation));
    const logs = procs.map((p) => p.stderr.join('')).join('');
    expect(logs).not.toContain('equivocation');
  });
});
