import { afterAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/actor/ActorState.js';
import { freeBase, getJson, killAll, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);

const status = (base: number, i: number) => getJson<Status>(`http://127.0.0.1:${base + i}/status`);
const sum = (v: Record<string, number>) => Object.values(v).reduce((a, b) => a + b, 0);

/** Every actor listed holds `ops` ops, one digest, nothing pending. */
async function converged(base: number, actors: number[], ops: number, timeoutMs: number): Promise<Status[]> {
  return waitFor(`${actors.length} actors to hold ${ops} ops each, one digest`, async () => {
    const all = await Promise.all(actors.map((i) => status(base, i)));
    const first = all[0] as Status;
    return all.every((s) => sum(s.version) === ops && s.digest === first.digest && s.pending === 0) && all;
  }, timeoutMs, 250);
}

describe('a cluster that runs on: tombstones collected, stores bounded, newcomers caught up from state', () => {
  it('3 actors, 20,000 mutations each at --interval 0-0: each holds a fraction of the deletes as tombstones, and at most 1 MiB of store', async () => {
    const base = await freeBase(3);
    const dataDir = tmpDataDir();
    const args = (i: number) => ['-a', String(i), '-c', '3', '-b', String(base), '--data-dir', dataDir, '--interval', '0-0', '--mutations', '20000', '--seed', String(300 + i), '--log-level', 'warn'];
    const procs: Proc[] = [0, 1, 2].map((i) => startCli(args(i)));
    await converged(base, [0, 1, 2], 60_000, 240_000);
    // Collection follows the retire reports of the next sync rounds; a quiet store compacts within 5 s.
    const settled = await waitFor('tombstones collected and every store compacted', async () => {
      const all = await Promise.all([0, 1, 2].map((i) => status(base, i)));
      return all.every((s) => s.tombstones * 2 <= s.length && s.storeBytes <= 1024 * 1024) && all;
    }, 60_000, 500);
    for (const s of settled) {
      // About 30,000 deletes happened; what stays is structure live genes still hang off.
      expect(s.tombstones).toBeLessThan(3000);
      expect(s.storeBytes).toBeLessThanOrEqual(1024 * 1024);
    }
    console.log(`run on: ${settled.map((s) => `${s.tombstones} tombstones, ${s.length} genes, ${s.storeBytes} store bytes`).join('; ')}`);
    for (const p of procs) expect(p.stderr.join('')).not.toMatch(/equivocation|cannot go on/);
  });

  it('with --no-collect, 2 actors keep every tombstone: nothing collected, while both retire what both hold', async () => {
    const base = await freeBase(2);
    const args = (i: number) => ['-a', String(i), '-c', '2', '-b', String(base), '--memory', '--no-collect', '--interval', '0-0', '--mutations', '2000', '--seed', String(700 + i), '--log-level', 'warn'];
    const procs = [0, 1].map((i) => startCli(args(i)));
    await converged(base, [0, 1], 4000, 60_000);
    // Several sync rounds after convergence: as many as the collecting run above needs to collect.
    await waitFor('both to retire what both hold', async () => (await Promise.all([0, 1].map((i) => status(base, i)))).every((x) => Object.keys(x.retired).length > 0), 30_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    for (const i of [0, 1]) {
      const s = await status(base, i);
      expect(s.collected).toEqual({});
      expect(s.tombstones).toBeGreaterThanOrEqual(1000);
    }
    for (const p of procs) expect(p.stderr.join('')).not.toMatch(/equivocation|cannot go on/);
  });

  it('a late joiner after 2 x 50,000 mutations is caught up from a collected state in at most 100 KB, to the same digest', async () => {
    const base = await freeBase(3);
    const dataDir = tmpDataDir();
    const args = (i: number, mutations: number) => ['-a', String(i), '-c', '3', '-b', String(base), '--data-dir', dataDir, '--interval', '0-0', '--mutations', String(mutations), '--seed', String(500 + i), '--log-level', 'warn'];
    for (const i of [0, 1]) startCli(args(i, 50_000));
    await converged(base, [0, 1], 100_000, 300_000);
    await waitFor('the two to collect what both retired', async () => (await Promise.all([0, 1].map((i) => status(base, i)))).every((s) => s.tombstones * 2 <= s.length), 60_000, 500);
    startCli(args(2, 0));
    const [s0, , s2] = await converged(base, [0, 1, 2], 100_000, 60_000);
    expect(s2?.digest).toBe(s0?.digest);
    console.log(`late joiner: ${s2?.messages.bytesIn} bytes received for ${s2?.length} genes and ${s2?.tombstones} tombstones`);
    expect(s2?.messages.bytesIn).toBeLessThanOrEqual(100 * 1024);
  });
});
