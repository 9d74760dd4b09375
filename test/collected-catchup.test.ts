import { describe, expect, it } from 'vitest';
import { FastList } from '../src/crdt/fast/FastList.js';
import type { Op } from '../src/crdt/ops.js';
import { opsIn } from '../src/crdt/version.js';
import { mutate, nextMutation } from '../src/genome/mutation.js';
import { Rng } from '../src/genome/Rng.js';
import { copyBacking, memoryBacking, type MemoryBacking } from '../src/store/MemoryStore.js';
import { snapshotCodec } from '../src/store/snapshot.js';
import type { Request, SyncPage } from '../src/sync/messages.js';
import type { Replica } from '../src/sync/Replica.js';
import { decodeBinarySyncReply, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { deliver, newReplica, pull, signedPush } from './helpers/feeds.js';

const names = ['r0', 'r1', 'r2'];
const open = (m: number, backing: MemoryBacking<number> = memoryBacking()): Replica<number> =>
  newReplica(m, {
    backing,
    makeList: (a) => new FastList<number>(a),
    peers: names.filter((_, i) => i !== m),
    config: { members: 3, maxOps: 20, snapshots: snapshotCodec({}, Infinity) },
  });

/** One sync request as a replica sends it (taking states, with its retire report), answered over the binary wire. */
function exchange(asker: Replica<number>, server: Replica<number>, name: string, takesState = true): { page: SyncPage<number>; taken: boolean } {
  const request: Request<number> & { type: 'sync' } = {
    type: 'sync',
    from: asker.actor,
    version: asker.replicator.feeds.advertise(asker.list.version()),
    ...(takesState ? { state: true } : {}),
    report: asker.replicator.reportTo(server.actor),
  };
  const served = server.serveSync(asker.actor, request.version, takesState, request.report, 0);
  const page = decodeBinarySyncReply(encodeBinarySyncReply(server.actor, served));
  const outcome = asker.onReply(name, request, { type: 'sync', ...page }, 0);
  if (outcome.state?.taken === false) throw new Error(`state refused: ${outcome.state.why}`);
  return { page, taken: outcome.state?.taken === true };
}

/** Exchanges until the asker lacks nothing the server holds. */
function catchUp(asker: Replica<number>, server: Replica<number>, name: string): void {
  for (let i = 0; i < 200; i++) {
    const { page, taken } = exchange(asker, server, name);
    if (!page.more && !taken) return;
  }
  throw new Error('no end of pages');
}

function everyone(rs: readonly Replica<number>[]): void {
  for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) catchUp(a, b, names[i] as string);
}

/** Three members that edited a while and collected what every one of them retired. */
function collectedHistory(backings: readonly MemoryBacking<number>[] = [0, 1, 2].map(() => memoryBacking())): Replica<number>[] {
  const rs = [0, 1, 2].map((m) => open(m, backings[m]));
  everyone(rs);
  const rng = new Rng(11);
  for (let k = 0; k < 900; k++) {
    const r = rs[k % 3] as Replica<number>;
    r.edit((l) => mutate(l, nextMutation(l.length, rng)));
    if (k % 150 === 149) everyone(rs);
  }
  for (let round = 0; round < 3; round++) everyone(rs);
  for (const r of rs) r.replicator.collect(0);
  // And a little since, which nobody collected yet.
  for (let k = 0; k < 30; k++) (rs[k % 2] as Replica<number>).edit((l) => mutate(l, nextMutation(l.length, rng)));
  everyone(rs);
  return rs;
}

const held = (r: Replica<number>) => ({ genome: r.list.toArray(), version: [...r.list.version()].sort((a, b) => a[0] - b[0]) });

describe('catch-up from a collected state', () => {
  it('a member that lost its store takes a collected state, every feed checked from its base, and can pass it on', () => {
    const [r0, r1] = collectedHistory() as [Replica<number>, Replica<number>];
    const collected = opsIn(r0.list.collected ?? new Map());
    expect(collected).toBeGreaterThan(300);
    // Member 2's new incarnation: the ops r0 collected cannot be sent to it as ops.
    const backing = memoryBacking<number>();
    const r2 = open(2, backing);
    // Told nothing yet, it could only name its own ops.
    expect(r2.replicator.mayEdit()).toBe(true);
    const ops = r0.serveSync(r2.actor, new Map(), false);
    for (const op of ops.ops) expect(op.id.counter).toBeGreaterThan(r0.list.collected?.get(op.id.actor) ?? 0);
    const first = exchange(r2, r0, 'r0');
    expect(first.taken).toBe(true);
    expect(first.page.bases?.length).toBeGreaterThan(0);
    catchUp(r2, r0, 'r0');
    catchUp(r2, r1, 'r1');
    expect(held(r2)).toEqual(held(r0));
    expect(r2.list.collected).toEqual(r0.list.collected);
    expect(r2.replicator.mayEdit()).toBe(true);
    // Every feed is checked to its end: it vouches for all of it, and sends a state in its turn.
    for (const [actor, n] of r0.list.version()) expect(r2.replicator.feeds.count(actor)).toBe(n);
    // (A new incarnation of member 1, which asks r2 as its peer 'r2'.)
    const next = open(1);
    expect(exchange(next, r2, 'r2').taken).toBe(true);
    expect(held(next)).toEqual(held(r0));
    // A restart from its store takes back the collected snapshot and the bases with it.
    r2.replicator.collect(0);
    r2.compact();
    const again = open(2, backing);
    expect(held(again)).toEqual(held(r0));
    const third = open(1);
    expect(exchange(third, again, 'r2').taken).toBe(true);
    expect(held(third)).toEqual(held(r0));
    // The newcomer edits; the others take its ops.
    r2.edit((l) => l.insert(0, 7));
    catchUp(r0, r2, 'r2');
    expect(held(r0)).toEqual(held(r2));
  });

  it('a fork proven after collection is cut out of every collected list, which keeps what it collected, on a restart too', () => {
    const backings = [0, 1, 2].map(() => memoryBacking<number>());
    const rs = collectedHistory(backings) as [Replica<number>, Replica<number>, Replica<number>];
    for (const r of rs) r.compact();
    const [r0, r1, r2] = rs;
    const collected = r0.list.collected;
    expect(opsIn(collected ?? new Map())).toBeGreaterThan(300);
    // A copy of member 1's store signs its next op; member 1 signs another one there.
    const copy = open(1, copyBacking(backings[1] as MemoryBacking<number>));
    const e = r1.actor;
    const at = r1.list.nextCounter;
    copy.edit((l) => l.insert(0, 201));
    const own = r1.edit((l) => l.insert(0, 202))[0] as Op<number>;
    expect(deliver(r0, { from: e, ops: copy.list.opsOf(e, at - 1, 1), proof: copy.replicator.feeds.proof(e, at) }).status).toBe('ok');
    const kept = r2.edit((l) => l.insert(1, 203))[0] as Op<number>;
    // Gossip until the fork is known everywhere (a state holding the other branch is refused on the way).
    for (let round = 0; round < 4; round++) for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) try { catchUp(a, b, names[i] as string); } catch { /* refused: the fork shows */ }
    everyone(rs);
    for (const r of rs) {
      expect(r.replicator.feeds.equivocations()).toEqual([{ actor: e, at }]);
      expect(held(r)).toEqual(held(r2));
      expect(r.replicator.feeds.count(e)).toBe(at - 1);
    }
    expect(r0.list.has(own.id)).toBe(false);
    expect(r0.list.has(kept.id)).toBe(true);
    // What r0 collected stays collected; a restart from its store holds the same, its feeds where they were.
    for (const [actor, n] of collected ?? new Map()) expect(r0.list.collected?.get(actor) ?? 0).toBeGreaterThanOrEqual(n);
    const again = open(0, backings[0]);
    expect(held(again)).toEqual(held(r0));
    for (const [actor, n] of r0.list.version()) expect(again.replicator.feeds.count(actor)).toBe(n);
  });

  it('a state that collected a feed the asker holds partly waiting moves the asker\'s base over every op it holds, so it can pass the state on (seed 127)', () => {
    // Member 2's first incarnation takes part in collecting; a later one is sent r0's feed early.
    const [r0, r1, first] = [open(0), open(1), open(2)];
    everyone([r0, r1, first]);
    const rng = new Rng(5);
    // r0's ops name r1's: a replica that lacks r1's holds most of r0's feed waiting.
    r1.edit((l) => mutate(l, nextMutation(l.length, rng)), 20);
    pull(r0, r1, 'r1');
    r0.edit((l) => l.insert(l.length, 1), 30);
    // Member 2's other incarnation is sent r0's whole feed before it hears from anyone.
    const r2 = open(2);
    expect(deliver(r2, signedPush(r0)).status).toBe('ok');
    const applied = r2.list.version().get(r0.actor) ?? 0;
    expect(r2.replicator.feeds.count(r0.actor)).toBe(30);
    expect(applied).toBeLessThan(30);
    for (let round = 0; round < 3; round++) everyone([r0, r1, first]);
    r0.replicator.collect(0);
    expect(r0.list.collected?.get(r0.actor) ?? 0).toBeGreaterThan(applied);
    // r2 takes r0's state; its base of r0's feed must be the feed's chain, hashed over every op it held.
    expect(exchange(r2, r0, 'r0').taken).toBe(true);
    expect(held(r2)).toEqual(held(r0));
    const next = open(1);
    expect(exchange(next, r2, 'r2').taken).toBe(true);
    expect(held(next)).toEqual(held(r0));
  });

  it('refuses a state whose base does not match its feed, and changes nothing', () => {
    const [r0] = collectedHistory() as [Replica<number>];
    const r2 = open(2);
    const request = { type: 'sync', from: r2.actor, version: new Map(), state: true } as const;
    const page = r0.serveSync(r2.actor, new Map(), true);
    const bases = page.bases ?? [];
    expect(bases.length).toBeGreaterThan(0);
    const forged = bases.map((b, i) => (i === 0 ? { ...b, state: b.state.map((x, j) => (j === 0 ? x ^ 1 : x)) } : b));
    const before = held(r2);
    const outcome = r2.onReply('r0', request, { type: 'sync', ...page, bases: forged }, 0);
    expect(outcome.state).toMatchObject({ taken: false, why: expect.stringMatching(/bad_signature|no chain state/) });
    expect(held(r2)).toEqual(before);
    const without = open(2);
    const missing = without.onReply('r0', request, { type: 'sync', ...page, bases: [] }, 0);
    expect(missing.state).toMatchObject({ taken: false, why: expect.stringMatching(/gap|unknown_feed/) });
  });
});

describe('binary wire v4: what a responder had retired, and the bases of a collected state', () => {
  it('travel with the page and come back the same; damaged ones are refused', () => {
    const [r0] = collectedHistory() as [Replica<number>];
    const stranger = open(1);
    const page = r0.serveSync(stranger.actor, new Map(), true);
    expect(page.retired?.size).toBeGreaterThan(0);
    expect(page.bases?.length).toBeGreaterThan(0);
    const bytes = encodeBinarySyncReply(r0.actor, page);
    expect(decodeBinarySyncReply(bytes)).toEqual({ ...page, from: r0.actor, state: new Uint8Array(page.state ?? []) });
    const ops = r0.serveSync(stranger.actor, r0.list.version(), false);
    expect(decodeBinarySyncReply(encodeBinarySyncReply(r0.actor, ops))).toEqual({ ...ops, from: r0.actor });
    // The `retired` flag is the byte after the heads: a page with none has it at 0.
    const none = encodeBinarySyncReply(r0.actor, { version: new Map(), ops: [], proofs: [], forks: [], heads: [], more: false });
    expect(decodeBinarySyncReply(none)).not.toHaveProperty('retired');
    const flagAt = none.length - 2; // flag, then an empty batch (its run count, 0)
    expect(none[flagAt]).toBe(0);
    expect(() => decodeBinarySyncReply(none.map((b, i) => (i === flagAt ? 2 : b)))).toThrow(/"retired" flag/);
    const oversized = encodeBinarySyncReply(r0.actor, { ...page, bases: [{ actor: r0.actor, count: 1, state: new Uint8Array(300) }] });
    expect(() => decodeBinarySyncReply(oversized)).toThrow(/chain state of 300 bytes/);
  });
});
