import { describe, expect, it } from 'vitest';
import { FastList } from '../src/crdt/fast/FastList.js';
import { actorId, formatId } from '../src/crdt/ids.js';
import type { MakeList } from '../src/crdt/list.js';
import { mutate, nextMutation } from '../src/genome/mutation.js';
import { Rng } from '../src/genome/Rng.js';
import { memoryBacking, type MemoryBacking } from '../src/store/MemoryStore.js';
import { decodeSnapshot, encodeSnapshot, snapshotCodec } from '../src/store/snapshot.js';
import type { Fork } from '../src/sync/feed-types.js';
import type { SyncPage } from '../src/sync/messages.js';
import type { Replica } from '../src/sync/Replica.js';
import { readState } from '../src/sync/states.js';
import { decodeBinarySyncReply, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { newReplica, pull as pullOps, type ReplicaOptions } from './helpers/feeds.js';

const fast: MakeList<number> = (a) => new FastList<number>(a);
/** Replicas that can send and take states, pages of 50 ops, stores never compacting on their own. */
const options = (backing: MemoryBacking<number> = memoryBacking()): ReplicaOptions => ({ backing, makeList: fast, config: { maxOps: 50, snapshots: snapshotCodec({}, Infinity) } });
const state = (r: Replica<number>) => ({ genome: r.list.toArray(), version: [...r.list.version()].sort((a, b) => a[0] - b[0]), pending: r.list.pendingCount });

/** Three members that edited a while, each holding everything: a long history. */
function history(edits = 600): Replica<number>[] {
  const rs = [0, 1, 2].map((m) => newReplica(m, { ...options(), peers: ['r0', 'r1', 'r2'].filter((_, i) => i !== m) }));
  const rng = new Rng(5);
  for (let k = 0; k < edits; k++) {
    const r = rs[k % 3] as Replica<number>;
    r.edit((l) => mutate(l, nextMutation(l.length, rng)));
  }
  for (let round = 0; round < 2; round++) for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pullOps(a, b, `r${i}`);
  return rs;
}

/** One anti-entropy exchange as the actors run it: the asker says whether it takes a state. Returns the page. */
let clock = 0;
function ask(asker: Replica<number>, server: Replica<number>, name: string, wire = false) {
  // A round later: the next peer in turn (the only one, here) is due.
  const [request] = asker.poll((clock += 1000)).filter((o) => o.peer === name && o.request.type === 'sync');
  if (request === undefined || request.request.type !== 'sync') throw new Error(`no sync due to ${name}`);
  const served = server.serveSync(asker.actor, request.request.version, request.request.state === true);
  // Through the binary wire, as between actors.
  const page: SyncPage<number> = wire ? decodeBinarySyncReply(encodeBinarySyncReply(server.actor, served)) : served;
  const outcome = asker.onReply(name, request.request, { type: 'sync', ...page }, 0);
  return { request: request.request, page, outcome };
}

/** Anti-entropy until nothing more comes. */
function pull(asker: Replica<number>, server: Replica<number>, name: string): void {
  for (let i = 0; i < 100; i++) {
    const { page, outcome } = ask(asker, server, name);
    if (!page.more && page.state === undefined) return;
    if (page.state === undefined && outcome.accepted.length === 0) return;
  }
  throw new Error('no end of pages');
}

describe('catch-up from state', () => {
  it('a late joiner is sent a state, takes it, and holds exactly what op-by-op replay gives, in fewer bytes', () => {
    const [r0] = history() as [Replica<number>];
    const backing = memoryBacking<number>();
    const late = newReplica(2, { ...options(backing), peers: ['r0'] });
    const first = ask(late, r0, 'r0', true);
    expect(first.request.state).toBe(true);
    expect(first.page.state).toBeInstanceOf(Uint8Array);
    expect(first.outcome.state).toMatchObject({ taken: true, ops: 600 });
    // Stored before anything else: the store's snapshot is the state.
    expect(backing.snapshot).toEqual(first.page.state);
    pull(late, r0, 'r0');
    // The same by ops only.
    const byOps = newReplica(2, { backing: memoryBacking(), makeList: fast, peers: ['r0'], config: { maxOps: 50 } });
    let opBytes = 0;
    for (let i = 0; i < 100; i++) {
      const { page } = ask(byOps, r0, 'r0');
      opBytes += encodeBinarySyncReply(r0.actor, page).length;
      if (!page.more) break;
    }
    expect(state(late)).toEqual(state(r0));
    expect(state(byOps)).toEqual(state(r0));
    const stateBytes = encodeBinarySyncReply(r0.actor, first.page).length;
    expect(stateBytes).toBeLessThan(opBytes);
    // Reloaded from its store, it is the same replica, and its feeds check what follows.
    const again = newReplica(2, { ...options(backing), peers: ['r0'] });
    expect(state(again)).toEqual(state(r0));
    r0.edit((l) => l.insert(0, 9));
    pull(again, r0, 'r0');
    expect(state(again)).toEqual(state(r0));
  });

  it('keeps what it holds beyond the state: its own ops, which the state lacks', () => {
    const [r0, r1] = history() as [Replica<number>, Replica<number>];
    const backing = memoryBacking<number>();
    const late = newReplica(2, { ...options(backing), peers: ['r0', 'r1'] });
    late.edit((l) => l.insert(0, 42), 3);
    const outcome = ask(late, r0, 'r0').outcome;
    expect(outcome.state?.taken).toBe(true);
    expect(late.list.toArray()).toEqual(expect.arrayContaining([42]));
    pull(late, r0, 'r0');
    pullOps(r0, late, 'r2');
    pullOps(late, r1, 'r1');
    pullOps(r1, r0, 'r0');
    expect(state(late)).toEqual(state(r0));
    expect(state(newReplica(2, { ...options(backing) }))).toEqual(state(r0));
  });

  it('is not sent where the asker may have collected its own ops the sender lacks: a state without them it must refuse (seed 1,762,251,850)', () => {
    const [r0] = history() as [Replica<number>];
    const late = newReplica(3, { ...options(), peers: ['r0'] });
    for (let i = 0; i < 3; i++) late.edit((l) => l.insert(0, 40 + i));
    const version = late.list.version();
    // Its own ops not retired: they go back on top of the state, which is sent.
    expect(r0.serveSync(late.actor, version, true, { retired: new Map(), own: 3 }).state).toBeInstanceOf(Uint8Array);
    // Retired, they may be collected there: the asker is sent ops.
    const page = r0.serveSync(late.actor, version, true, { retired: new Map([[late.actor, 3]]), own: 3 });
    expect(page.state).toBeUndefined();
    expect(page.ops.length).toBeGreaterThan(0);
  });

  it('is not sent to a replica that lacks little, nor to one that does not take states', () => {
    const [r0, r1] = history() as [Replica<number>, Replica<number>];
    r0.edit((l) => l.insert(0, 1), 60);
    expect(ask(r1, r0, 'r0').page.state).toBeUndefined();
    const plain = newReplica(2, { backing: memoryBacking(), makeList: fast, peers: ['r0'], config: { maxOps: 50 } });
    const { request, page } = ask(plain, r0, 'r0');
    expect(request.state).toBeUndefined();
    expect(page.state).toBeUndefined();
  });

  describe('refuses, changing nothing, and takes ops from that peer instead', () => {
    const cases: Array<[string, (page: SyncPage<number>, server: Replica<number>) => SyncPage<number>, RegExp]> = [
      ['a damaged state', (page) => ({ ...page, state: (page.state as Uint8Array).subarray(0, 40) }), /does not load/],
      ['bytes that are no state', (page) => ({ ...page, state: new Uint8Array(300).fill(7) }), /does not load/],
      [
        'a state with one value changed, under the genuine signatures',
        (page, server) => {
          const s = (server.list as FastList<number>).exportState();
          const piece = s.pieces.find((p) => p.values.length > 0 && !p.deleted);
          if (piece === undefined) throw new Error('no live piece');
          piece.values[0] = ((piece.values[0] as number) + 1) % 256;
          return { ...page, state: encodeSnapshot(FastList.fromState(server.actor, s)) };
        },
        /bad_signature/,
      ],
      ['a state whose page claims another version', (page) => ({ ...page, version: new Map([...page.version].map(([a, n]) => [a, n + 1])) }), /other ops than its page says/],
    ];
    it.each(cases)('%s', (_, spoil, why) => {
      const [r0] = history(300) as [Replica<number>];
      const backing = memoryBacking<number>();
      const late = newReplica(2, { ...options(backing), peers: ['r0'] });
      late.edit((l) => l.insert(0, 5));
      const before = state(late);
      const [out] = late.poll((clock += 1000));
      if (out === undefined || out.request.type !== 'sync') throw new Error('no sync');
      const page = spoil(r0.serveSync(late.actor, out.request.version, true), r0);
      const outcome = late.onReply('r0', out.request, { type: 'sync', ...page }, 0);
      expect(outcome.state).toMatchObject({ taken: false, why: expect.stringMatching(why) });
      expect(state(late)).toEqual(before);
      expect(backing.snapshot).toBeNull();
      // From then on, ops from that peer.
      const next = ask(late, r0, 'r0');
      expect(next.request.state).toBeUndefined();
      pull(late, r0, 'r0');
      expect(late.list.version()).toEqual(new Map([...r0.list.version(), [late.actor, 1]]));
    });

    it('asks a peer whose state it refused for one again once the peer knows more forks (it may have cut a fork\'s ops out since)', () => {
      const [r0] = history(300) as [Replica<number>];
      const late = newReplica(2, { ...options(), peers: ['r0'] });
      const [out] = late.poll((clock += 1000));
      if (out === undefined || out.request.type !== 'sync') throw new Error('no sync');
      const spoiled = { ...r0.serveSync(late.actor, out.request.version, true), version: new Map([[r0.actor, 1]]) };
      expect(late.onReply('r0', out.request, { type: 'sync', ...spoiled }, 0).state).toMatchObject({ taken: false });
      // An answer that knows no more forks than the refused state's: still ops only.
      const plain = ask(late, r0, 'r0');
      expect(plain.request.state).toBeUndefined();
      // One that carries a fork more (of a feed this replica does not know: it checks nothing,
      // and keeps nothing of it): the next request asks for a state again.
      const [next] = late.poll((clock += 1000));
      if (next === undefined || next.request.type !== 'sync') throw new Error('no sync');
      expect(next.request.state).toBeUndefined();
      const stranger = { actor: actorId(1), at: 2, branches: [{ ops: [] }, { ops: [] }] } as unknown as Fork<number>;
      const served = r0.serveSync(late.actor, next.request.version, false);
      late.onReply('r0', next.request, { type: 'sync', ...served, forks: [...served.forks, stranger] }, 0);
      const again = ask(late, r0, 'r0');
      expect(again.request.state).toBe(true);
    });

    it('a state that holds another op than one held here (its author equivocated)', () => {
      const [r0] = history(300) as [Replica<number>];
      const late = newReplica(2, { ...options(), peers: ['r0'] });
      // Take r0's first op, altered, as if its author had signed two ops at position 1.
      const [op] = r0.list.opsOf(r0.actor, 0, 1);
      if (op === undefined || op.type !== 'insert') throw new Error('r0 began with an insert');
      late.list.apply({ ...op, value: (op.value + 1) % 256 });
      const [out] = late.poll((clock += 1000));
      if (out === undefined || out.request.type !== 'sync') throw new Error('no sync');
      const outcome = late.onReply('r0', out.request, { type: 'sync', ...r0.serveSync(late.actor, out.request.version, true) }, 0);
      expect(outcome.state).toMatchObject({ taken: false, why: expect.stringMatching(/other than the one held here/) });
    });
  });

  it('travels as a binary state reply, which must hold a state', () => {
    const [r0] = history(300) as [Replica<number>];
    const page = r0.serveSync(r0.actor, new Map(), true);
    const bytes = encodeBinarySyncReply(r0.actor, page);
    expect(bytes[0]).toBe(0x54);
    expect(decodeBinarySyncReply(bytes)).toEqual({ ...page, state: new Uint8Array(page.state as Uint8Array) });
    const empty = encodeBinarySyncReply(r0.actor, { ...page, state: new Uint8Array(0) });
    expect(() => decodeBinarySyncReply(empty)).toThrow(/without a state/);
  });
});

describe('taking a state in place of the list (catch-up), where either side collected', () => {
  it('is refused where an op held beyond it names what it collected, which taking it would lose', () => {
    // a1.1 and a1.2 typed, a3.1 between them; both of a1's deleted and collected at the source,
    // which keeps a1.1 (a3.1 hangs under it).
    const source = new FastList<number>(actorId(1));
    const between = new FastList<number>(actorId(3));
    const [p, r] = [source.insert(0, 0), source.insert(1, 1)];
    for (const op of [p, r]) between.apply(op);
    source.apply(between.insert(1, 30));
    source.delete(0);
    source.delete(1);
    source.retire(source.version());
    source.collect(source.version());
    // The taker holds a1.1 alone and typed after it: only a replica never told a1.1 was retired
    // (a copied key's holder that says nothing of it) hands it a1.1 so late.
    const taker = new FastList<number>(actorId(2));
    taker.apply(p);
    const x = taker.insert(1, 20);
    const codec = snapshotCodec({}, 100);
    const bytes = codec.encode(source);
    const page = { version: source.version(), ops: [], proofs: [], forks: [], heads: [], more: true, state: bytes };
    const before = String(taker);
    const read = readState(page, bytes, { codec, list: taker, problem: () => null, checkFeeds: () => ({ entries: [], refusals: [], tails: [] }) });
    expect(read).toBe(`op ${formatId(x.id)}, held here, names an element the state collected`);
    expect(String(taker)).toBe(before);
  });

  it('compares only the ops both still keep, and gives the ones the list lacks', () => {
    const source = new FastList<number>(actorId(1));
    for (let i = 0; i < 6; i++) source.insert(i, i);
    source.delete(5);
    source.retire(source.version());
    source.collect(source.version());
    expect(source.collected.get(source.actor)).toBe(7);
    // The taker collected as much; the state goes on past it.
    const taker = decodeSnapshot(encodeSnapshot(source), actorId(2));
    for (let i = 0; i < 4; i++) source.insert(0, 10 + i);
    const codec = snapshotCodec({}, 100);
    const bytes = codec.encode(source);
    const page = { version: source.version(), ops: [], proofs: [], forks: [], heads: [], more: true, state: bytes };
    const read = readState(page, bytes, { codec, list: taker, problem: () => null, checkFeeds: () => ({ entries: [], refusals: [], tails: [] }) });
    if (typeof read === 'string') throw new Error(read);
    expect(read.fresh.map((op) => op.id.counter)).toEqual([8, 9, 10, 11]);
    expect(read.list.toArray()).toEqual(source.toArray());
  });
});
