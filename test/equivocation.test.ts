import { describe, expect, it } from 'vitest';
import { memberOf, type ActorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { copyBacking, memoryBacking, type MemoryBacking } from '../src/store/MemoryStore.js';
import type { Replica } from '../src/sync/Replica.js';
import { newSigner } from '../src/transport/signing.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { snapshotCodec } from '../src/store/snapshot.js';
import { deliver, newReplica, signedPush, type ReplicaOptions } from './helpers/feeds.js';

const NAMES = ['r0', 'r1', 'r2'];

/** Anti-entropy: `asker` pages through what `server` has for it. Returns the refusals seen. */
function sync(asker: Replica<number>, server: Replica<number>, name: string): string[] {
  const codes: string[] = [];
  for (let more = true, rounds = 0; more && rounds < 50; rounds++) {
    const request = { type: 'sync', from: asker.actor, version: asker.replicator.feeds.advertise(asker.list.version()) } as const;
    const page = server.serveSync(asker.actor, request.version);
    const outcome = asker.onReply(name, request, { type: 'sync', ...page }, 0);
    codes.push(...outcome.refusals.map((r) => r.code));
    more = page.more && outcome.accepted.length > 0;
  }
  return codes;
}

/** Every replica asks every other, `rounds` times over. */
function gossip(replicas: Replica<number>[], rounds: number): void {
  for (let i = 0; i < rounds; i++) for (const [a, asker] of replicas.entries()) for (const [s, server] of replicas.entries()) if (a !== s) sync(asker, server, NAMES[s] as string);
}

const state = (r: Replica<number>) => ({ genome: r.list.toArray(), version: [...r.list.version()].sort((a, b) => a[0] - b[0]), pending: r.list.pendingCount, forks: r.replicator.feeds.equivocations() });

describe('an author that signs two different ops at one position (equivocation)', () => {
  // Compacting every 2 ops, the fork is proven when snapshots hold ops to drop.
  const stores: Array<[string, ReplicaOptions]> = [
    ['every op a row', {}],
    ['stores compacted every 2 ops', { makeList: (a) => new FastList<number>(a), config: { snapshots: snapshotCodec({}, 2) } }],
  ];
  it.each(stores)('every honest replica drops the fork and what builds on it, the same way, and reports the proof (%s)', (_, opts) => {
    const backings = NAMES.map(() => memoryBacking<number>());
    const storeOf = (i: number): MemoryBacking<number> => backings[i] as MemoryBacking<number>;
    const replicas = NAMES.map((_, i) => newReplica(i, { ...opts, backing: storeOf(i), peers: NAMES.filter((_, j) => j !== i), config: { maxOps: 100, ...opts.config } }));
    const [r0, r1, r2] = replicas as [Replica<number>, Replica<number>, Replica<number>];
    // Author 5 and a copy of it: one key, one author id.
    const backing = memoryBacking<number>();
    const author = newReplica(5, { backing });
    for (let i = 0; i < 3; i++) author.edit((l) => l.insert(l.length, 10 + i));
    for (const r of replicas) expect(deliver(r, signedPush(author)).status).toBe('ok');
    // A copy of its store, key and all, taken now.
    const copy = newReplica(5, { backing: copyBacking(backing) });
    const e: ActorId = author.actor;
    expect(copy.actor).toBe(e);
    // The fork: op 4 is one insert for r0, another for r1.
    const a4 = author.edit((l) => l.insert(0, 40))[0] as Op<number>;
    const b4 = copy.edit((l) => l.insert(3, 41))[0] as Op<number>;
    expect(a4.id).toEqual(b4.id);
    expect(deliver(r0, signedPush(author, 3)).status).toBe('ok');
    expect(deliver(r1, { from: e, ops: copy.list.opsOf(e, 3, 1), proof: copy.replicator.feeds.proof(e, 4) }).status).toBe('ok');
    // Honest ops built on each branch: r0 deletes a4's gene, r1 inserts after b4's; and one built on neither.
    const r0Delete = r0.edit((l) => l.delete(0))[0] as Op<number>;
    expect(r0Delete).toMatchObject({ type: 'delete', target: a4.id });
    const r1Insert = r1.edit((l) => l.insert(4, 50))[0] as Op<number>;
    expect(r1Insert).toMatchObject({ type: 'insert', left: b4.id });
    const r2Insert = r2.edit((l) => l.insert(0, 60))[0] as Op<number>;
    const r0Old = r0.actor;
    const snapshotted = backings.map((b) => b.snapshot !== null);

    gossip(replicas, 4);

    // One state everywhere: the author's feed stops at 3, both op 4s and what built on them are gone.
    const expected = state(r2);
    for (const r of replicas) expect(state(r)).toEqual(expected);
    expect(expected.forks).toEqual([{ actor: e, at: 4 }]);
    expect(expected.pending).toBe(0);
    for (const r of replicas) {
      expect(r.replicator.feeds.count(e)).toBe(3);
      expect(r.list.has(a4.id)).toBe(false);
      expect(r.list.has(r0Delete.id)).toBe(false);
      expect(r.list.has(r1Insert.id)).toBe(false);
      expect(r.list.has(r2Insert.id)).toBe(true);
    }
    expect(expected.genome).toEqual([60, 10, 11, 12]);
    // r0 and r1 lost ops of their own: each goes on as a new incarnation of its member.
    expect(r0.actor).not.toBe(r0Old);
    expect(memberOf(r0.actor)).toBe(0);
    r0.edit((l) => l.insert(0, 70));
    // The author's ops past the fork are refused wherever they come from.
    expect(deliver(r2, signedPush(author, 3))).toMatchObject({ status: 'refused', code: 'equivocation' });
    gossip(replicas, 2);
    for (const r of replicas) expect(state(r)).toEqual(state(r0));
    expect(r2.list.toArray()).toEqual([70, 60, 10, 11, 12]);
    // What each store holds loads as the same replica.
    for (const [i, r] of replicas.entries()) expect(state(newReplica(i, { ...opts, backing: storeOf(i) }))).toEqual(state(r));
    if (opts.config?.snapshots !== undefined) expect(snapshotted).toEqual([true, true, true]);
  });

  it('a replica that never held either branch learns the proof from a page, and keeps the feed as far as the fork', () => {
    const [r0, r1] = [newReplica(0, { peers: ['r1'] }), newReplica(1, { peers: ['r0'] })];
    const seed = newSigner().seed;
    const author = newReplica(5, { backing: memoryBacking(seed) });
    const copy = newReplica(5, { backing: memoryBacking(seed) });
    author.edit((l) => l.insert(0, 1));
    copy.edit((l) => l.insert(0, 1));
    author.edit((l) => l.insert(1, 2));
    copy.edit((l) => l.insert(1, 3));
    expect(deliver(r0, signedPush(author)).status).toBe('ok');
    expect(deliver(r0, signedPush(copy))).toMatchObject({ status: 'refused', code: 'equivocation' });
    expect(r0.list.toArray()).toEqual([1]);
    // r1 holds nothing of the author: the page brings op 1, proved by a branch of the fork, and the fork.
    expect(sync(r1, r0, 'r0')).toEqual([]);
    expect(state(r1)).toEqual(state(r0));
    expect(r1.replicator.feeds.equivocations()).toEqual([{ actor: author.actor, at: 2 }]);
    expect(deliver(r1, signedPush(author))).toMatchObject({ status: 'refused', code: 'equivocation' });
  });

  it('an author that meets ops under its own id it never made, past its last, proves the copy: the feed is frozen there everywhere, and it goes on as a new incarnation', () => {
    const backing = memoryBacking<number>();
    const author = newReplica(5, { backing, peers: ['r0'] });
    for (let i = 0; i < 3; i++) author.edit((l) => l.insert(l.length, 10 + i));
    const [r0, r1] = [newReplica(0, { peers: ['author'] }), newReplica(1, { peers: ['author'] })];
    for (const r of [r0, r1]) expect(deliver(r, signedPush(author)).status).toBe('ok');
    // The copy signs op 4 while the author makes none there: one branch only, which r0 takes as the author's.
    const copy = newReplica(5, { backing: copyBacking(backing) });
    const e = author.actor;
    copy.edit((l) => l.insert(0, 99));
    const stolen = { from: e, ops: copy.list.opsOf(e, 3, 1), proof: copy.replicator.feeds.proof(e, 4) };
    expect(deliver(r0, stolen).status).toBe('ok');
    // The author is sent it in a page: it never made op 4, and it signed ops here, so a copy of its key did.
    expect(sync(author, r0, 'r0')).toContain('equivocation');
    expect(author.replicator.feeds.equivocations()).toEqual([{ actor: e, at: 4 }]);
    expect(author.actor).not.toBe(e);
    expect(memberOf(author.actor)).toBe(5);
    // The proof spreads: r0 drops the copy's op, r1 never takes it, and both hold the author's feed to 3.
    const fresh = author.edit((l) => l.insert(0, 7))[0] as Op<number>;
    for (const r of [r0, r1]) {
      sync(r, author, 'author');
      expect(r.replicator.feeds.equivocations()).toEqual([{ actor: e, at: 4 }]);
      expect(r.replicator.feeds.count(e)).toBe(3);
      expect(r.list.toArray()).toEqual(author.list.toArray());
      expect(r.list.has(fresh.id)).toBe(true);
    }
    expect(deliver(r1, stolen)).toMatchObject({ status: 'refused' });
    expect(r1.list.toArray()).toEqual([7, 10, 11, 12]);
  });

  it('an author restarted from its store takes back no op past its last that names what it retired: a copy made it, and it is proven (seed 1,753,280,405)', () => {
    const fast = (a: ActorId) => new FastList<number>(a);
    const backing = memoryBacking<number>();
    const author = newReplica(5, { backing, makeList: fast });
    author.edit((l) => l.insert(0, 10));
    author.edit((l) => l.insert(1, 11));
    author.edit((l) => l.delete(1));
    const r0 = newReplica(0, { makeList: fast });
    expect(deliver(r0, signedPush(author)).status).toBe('ok');
    // A copy of the store types after 10: its op 4 names the tombstone 11 as its right origin.
    const copy = newReplica(5, { backing: copyBacking(backing), makeList: fast });
    const forged = copy.edit((l) => l.insert(1, 99))[0] as Op<number>;
    expect(forged.type === 'insert' && forged.right).toEqual({ actor: author.actor, counter: 2 });
    expect(deliver(r0, signedPush(copy, 3)).status).toBe('ok');
    // The author restarts (it has signed nothing since) and retires what every member holds (as
    // stability would, its requests heard): no op of its own after that names 11.
    const restarted = newReplica(5, { backing, makeList: fast, peers: ['r0'] });
    restarted.list.retire?.(restarted.list.version());
    expect(sync(restarted, r0, 'r0')).toContain('equivocation');
    expect(restarted.replicator.feeds.equivocations()).toEqual([{ actor: author.actor, at: 4 }]);
    expect(restarted.list.toArray()).toEqual([10]);
  });

  it('a store restored from a backup takes back the ops it signed before, until it signs anew', () => {
    const backing = memoryBacking<number>();
    const author = newReplica(5, { backing });
    author.edit((l) => l.insert(0, 1));
    const backup = copyBacking(backing);
    author.edit((l) => l.insert(1, 2));
    const peer = newReplica(0);
    expect(deliver(peer, signedPush(author)).status).toBe('ok');
    const restored = newReplica(5, { backing: backup, peers: ['r0'] });
    expect(sync(restored, peer, 'r0')).toEqual([]);
    expect(restored.list.toArray()).toEqual([1, 2]);
    expect(restored.actor).toBe(author.actor);
    expect(restored.replicator.feeds.equivocations()).toEqual([]);
  });
});
