import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId, type ActorId } from '../src/crdt/ids.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { decodeSaved, decodeState, encodeState } from '../src/crdt/fast/state-codec.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { truncateState } from '../src/crdt/fast/truncate.js';
import { doomedOps } from '../src/sync/forks.js';
import { meet, type VersionVector } from '../src/crdt/version.js';

/** A replica that collects, beside a reference list (no collection) fed exactly the same ops. */
interface Node {
  readonly actor: ActorId;
  /** Replaced by its own saved state now and then (`reload`). */
  fast: FastList<number>;
  readonly ref: ReferenceList<number>;
  /** Ops made elsewhere, not yet taken; taking one may leave it for a duplicate later. */
  readonly inbox: Op<number>[];
  /** Its retire reports, in order: what it retired, and its own counter then (every op it made before). */
  readonly reports: Array<{ retired: VersionVector; own: number }>;
}

type Step = { kind: number; who: number; x: number; y: number };
const stepArb = fc.record({ kind: fc.nat(12), who: fc.nat(), x: fc.nat(), y: fc.nat() });

/**
 * The ground truth of the stability rule, known here because the test sees every replica:
 * a replica retires deletes every replica has applied (now, or at some earlier moment), and
 * collects what every replica's latest report it holds the ops of says was retired.
 */
class World {
  readonly nodes: Node[];
  /** The deletes every replica had applied, at moments so far: retiring may lag. */
  readonly #stable: VersionVector[] = [new Map()];

  constructor(count: number) {
    this.nodes = Array.from({ length: count }, (_, i) => {
      const actor = actorId(i + 1);
      return { actor, fast: new FastList<number>(actor), ref: new ReferenceList<number>(actor), inbox: [], reports: [] };
    });
  }

  step({ kind, who, x, y }: Step): void {
    const node = this.nodes[who % this.nodes.length] as Node;
    const { fast, ref } = node;
    if (kind <= 2 || (kind <= 5 && fast.length < 3)) {
      const index = x % (fast.length + 1);
      const op = fast.insert(index, y % 256);
      expect(fast.toArray()[index]).toBe(y % 256);
      this.#made(node, op);
    } else if (kind <= 5) {
      this.#made(node, fast.delete(x % fast.length));
    } else if (kind <= 8) {
      // A few ops at once, from anywhere in the inbox; now and then one stays for a duplicate later.
      for (let k = 0; k <= y % 3 && node.inbox.length > 0; k++) {
        const at = (x + k) % node.inbox.length;
        const op = node.inbox[at] as Op<number>;
        if ((y >> 2) % 4 !== 0) node.inbox.splice(at, 1);
        expect(fast.apply(op)).toBe(ref.apply(op));
      }
    } else if (kind === 9) {
      const retired = fast.retire(this.#stable[y % this.#stable.length] as VersionVector);
      node.reports.push({ retired, own: fast.version().get(node.actor) ?? 0 });
    } else if (kind <= 11) {
      const c = this.collectable(node);
      if (c !== null) fast.collect(c);
    } else reload(node);
    this.#stable.push(this.nodes.reduce((v: VersionVector | null, n) => (v === null ? n.fast.version() : meet(v, n.fast.version())), null) as VersionVector);
    expect(fast.toArray()).toEqual(ref.toArray());
  }

  /** What `node` may collect: per replica, its latest report whose ops `node` holds; null while one has none. */
  collectable(node: Node): VersionVector | null {
    let c: VersionVector | null = null;
    for (const other of this.nodes) {
      const held = node.fast.version().get(other.actor) ?? 0;
      const report = other.reports.filter((r) => r.own <= held).pop();
      if (report === undefined) return null;
      c = c === null ? report.retired : meet(c, report.retired);
    }
    return c;
  }

  /** Every op to every replica, in an order drawn from `seed`, twice over. */
  deliverAll(seed: number): void {
    let s = seed >>> 0;
    for (const node of this.nodes) {
      const ops = [...node.inbox, ...node.inbox];
      node.inbox.length = 0;
      while (ops.length > 0) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const [op] = ops.splice(s % ops.length, 1) as [Op<number>];
        expect(node.fast.apply(op)).toBe(node.ref.apply(op));
      }
    }
  }

  #made(node: Node, op: Op<number>): void {
    expect(node.ref.apply(op)).toBe('applied');
    for (const other of this.nodes) if (other !== node) other.inbox.push(op);
  }
}

/** The replica saved (list state, as bytes) and loaded again, its pending ops handed back as a peer would. */
function reload(node: Node): void {
  const saved = node.fast;
  const bytes = encodeState(saved.exportState());
  const loaded = FastList.fromState(saved.actor, decodeState(bytes));
  // Loaded from the saved columns (origins taken from the tree, stages and moved pieces checked on
  // its walk), it is the same list as loaded from objects (every origin spelled out and checked).
  const fromSaved = FastList.fromSaved(saved.actor, decodeSaved(bytes));
  expect(String(fromSaved)).toBe(String(loaded));
  expect(fromSaved.tombstones).toBe(loaded.tombstones);
  expect([...fromSaved.appliedOps()]).toEqual([...loaded.appliedOps()]);
  for (const op of saved.pendingOps()) loaded.apply(op);
  expect(loaded.toArray()).toEqual(saved.toArray());
  expect(loaded.version()).toEqual(saved.version());
  expect(loaded.tombstones).toBe(saved.tombstones);
  expect(loaded.collected).toEqual(saved.collected);
  expect([...loaded.appliedOps()]).toEqual([...saved.appliedOps()]);
  node.fast = loaded;
}

describe('collecting tombstones', () => {
  it('renders what the reference list renders at every step and after any delivery order, whatever is collected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(stepArb, { minLength: 20, maxLength: 400, size: 'max' }), fc.integer(), (count, steps, seed) => {
        const world = new World(count);
        for (const step of steps) world.step(step);
        world.deliverAll(seed);
        const first = world.nodes[0]!.fast.toArray();
        for (const { fast, ref } of world.nodes) {
          expect(fast.pendingCount).toBe(0);
          expect(ref.pendingCount).toBe(0);
          expect(fast.toArray()).toEqual(ref.toArray());
          expect(fast.toArray()).toEqual(first);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('goes on rendering exactly alike after everything is stable and collected, and then holds only tombstones something still names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(stepArb, { maxLength: 300, size: 'max' }), fc.array(stepArb, { maxLength: 100, size: 'max' }), (count, before, after) => {
        const world = new World(count);
        for (const step of before) world.step(step);
        world.deliverAll(1);
        const all = world.nodes[0]!.fast.version();
        for (const node of world.nodes) node.reports.push({ retired: node.fast.retire(all), own: all.get(node.actor) ?? 0 });
        for (const node of world.nodes) node.fast.collect(world.collectable(node) as VersionVector);
        for (const { fast } of world.nodes) expect(fast.toArray()).toEqual(world.nodes[0]!.fast.toArray());
        for (const step of after) world.step(step);
        world.deliverAll(2);
        for (const { fast, ref } of world.nodes) expect(fast.toArray()).toEqual(ref.toArray());
      }),
      { numRuns: 200 },
    );
  });

  it('drops the ops a fork dooms from a list that collected as replaying only the ops kept would (truncateState)', () => {
    let cuts = 0;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.array(stepArb, { minLength: 20, maxLength: 300, size: 'max' }), fc.nat(), fc.nat(), (count, steps, pick, at) => {
        const world = new World(count);
        for (const step of steps) world.step(step);
        const node = world.nodes[pick % count] as Node;
        const victim = world.nodes[(pick >> 2) % count] as Node;
        // A fork of the victim's feed above what this node collected of it: from `from` on, no replica keeps it.
        const low = (node.fast.collected?.get(victim.actor) ?? 0) + 1;
        const held = node.fast.version().get(victim.actor) ?? 0;
        if (held < low) return;
        const from = low + (at % (held - low + 1));
        const applied = [...node.ref.appliedOps()];
        const doomed = doomedOps(applied, (a) => (a === victim.actor ? from : Infinity), new Set());
        const first = new Map<ActorId, number>();
        for (const op of doomed) first.set(op.id.actor, Math.min(op.id.counter, first.get(op.id.actor) ?? Infinity));
        const cut = (a: number): number => first.get(a as ActorId) ?? Infinity;
        const truncated = FastList.fromState(node.actor, truncateState(node.fast.exportState(), cut));
        const gone = new Set(doomed);
        const expected = new ReferenceList<number>(node.actor);
        for (const op of applied) if (!gone.has(op)) expect(expected.apply(op)).toBe('applied');
        expect(truncated.toArray()).toEqual(expected.toArray());
        expect(truncated.version()).toEqual(expected.version());
        expect(truncated.collected).toEqual(node.fast.collected);
        // It goes on as any list: the ops it kept and later ones apply alike.
        for (const op of doomed) expect(truncated.check(op)).not.toBe('duplicate');
        cuts++;
      }),
      { numRuns: 300 },
    );
    expect(cuts).toBeGreaterThan(100);
  });

  it('keeps tombstones in proportion to the live list, not to history, when replicas edit at random and collect as they sync', () => {
    const lists = [1, 2, 3].map((a) => new FastList<number>(actorId(a)));
    let s = 12345;
    const rand = (n: number): number => Math.floor(((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * n);
    let deletes = 0;
    for (let round = 0; round < 1000; round++) {
      const made: Op<number>[][] = [[], [], []];
      for (let k = 0; k < 60; k++) {
        const who = rand(3);
        const list = lists[who] as FastList<number>;
        // As the genome does: above 10 elements, every other edit is a delete.
        const del = list.length > 10 && rand(2) === 0;
        made[who]!.push(del ? list.delete(rand(list.length)) : list.insert(rand(list.length + 1), rand(256)));
        if (del) deletes++;
      }
      for (const [i, list] of lists.entries()) for (const [j, ops] of made.entries()) if (i !== j) for (const op of ops) expect(list.apply(op)).toBe('applied');
      // In sync, every replica holds every op: what they all hold is stable, then retired everywhere.
      const all = lists[0]!.version();
      for (const list of lists) list.retire(all);
      for (const list of lists) list.collect(all);
      for (const list of lists) expect(list.tombstones).toBeLessThanOrEqual(list.length + 100);
    }
    expect(deletes).toBeGreaterThan(25_000);
    expect(lists[1]!.toArray()).toEqual(lists[0]!.toArray());
    expect(lists[2]!.toArray()).toEqual(lists[0]!.toArray());
  });

  it('refuses an op that names a collected element, and still knows a collected op as a duplicate', () => {
    const [a, b] = [new FastList<number>(actorId(1)), new FastList<number>(actorId(2))];
    const ops = [a.insert(0, 1), a.insert(1, 2), a.insert(2, 3), a.delete(2)];
    for (const op of ops) b.apply(op);
    const all = a.version();
    for (const list of [a, b]) list.retire(all);
    expect(a.collect(all)).toBe(1);
    expect(a.tombstones).toBe(0);
    const before = a.toString();
    const named = { type: 'insert', id: { actor: actorId(2), counter: 1 }, value: 9, left: ops[2]!.id, right: null } as const;
    expect(a.check(named)).toBe('collected');
    expect(a.apply(named)).toBe('collected');
    expect(a.apply({ type: 'delete', id: { actor: actorId(2), counter: 1 }, target: ops[2]!.id })).toBe('collected');
    expect(a.apply(ops[2]!)).toBe('duplicate');
    expect(a.apply(ops[3]!)).toBe('duplicate');
    expect(a.toString()).toBe(before);
    expect(() => a.opsOf(actorId(1), 0, 4)).toThrow(/collected/);
  });

  it('refuses an op that names a collectable element still kept, as one naming a collected element: its siblings may rank by what went', () => {
    const [a, b, c] = [1, 2, 3].map((i) => new FastList<string>(actorId(i))) as [FastList<string>, FastList<string>, FastList<string>];
    const p = a.insert(0, 'p');
    const r = a.insert(1, 'r');
    expect(b.apply(p)).toBe('applied');
    expect(b.apply(r)).toBe('applied');
    // s goes between p and r: a right child of p, ranked among p's children by its right origin r.
    const s = b.insert(1, 's');
    expect(a.apply(s)).toBe('applied');
    // x, made by a replica that holds p alone, is another right child of p (its right origin: the end).
    expect(c.apply(p)).toBe('applied');
    const x = c.insert(1, 'x');
    expect(x.left).toEqual(p.id);
    a.delete(0); // p
    a.delete(1); // r
    a.retire(a.version());
    // r goes (no child, its parent p collectable); p stays, s hangs under it.
    expect(a.collect(a.version())).toBe(1);
    expect(a.tombstones).toBe(1);
    const before = a.toString();
    // Placing x among p's children would read r's place, which is gone: only a replica that broke the
    // stability rule (x was made before p was retired everywhere) names p now.
    expect(a.check(x)).toBe('collected');
    expect(a.apply(x)).toBe('collected');
    expect(a.apply({ type: 'delete', id: { actor: actorId(3), counter: 1 }, target: p.id })).toBe('collected');
    expect(a.toString()).toBe(before);
    expect(a.toArray()).toEqual(['s']);
  });

  it('makes local inserts skip retired tombstones for their right origin, and only those', () => {
    const a = new FastList<number>(actorId(1));
    for (let i = 0; i < 3; i++) a.insert(i, i);
    a.delete(1);
    // Not retired: the next element, tombstone or not, is the right origin (FugueMax).
    expect(a.insert(1, 7).right).toEqual({ actor: 1, counter: 2 });
    a.delete(1);
    a.retire(a.version());
    expect(a.insert(1, 8).right).toEqual({ actor: 1, counter: 3 });
    expect(a.toArray()).toEqual([0, 8, 2]);
  });

  it('retires only a causally closed version: a claimed one may hold a delete without the insert it names', () => {
    const a = new FastList<number>(actorId(1));
    const b = new FastList<number>(actorId(2));
    expect(a.apply(b.insert(0, 7))).toBe('applied');
    a.delete(0);
    // A peer's checked feeds may hold a1's delete while b's insert still waits there.
    expect(a.retire(new Map([[actorId(1), 1]]))).toEqual(new Map());
    expect(decodeState(encodeState(a.exportState()))).toBeDefined();
    expect(a.retire(new Map([[actorId(1), 1], [actorId(2), 1]]))).toEqual(new Map([[actorId(1), 1], [actorId(2), 1]]));
    const loaded = FastList.fromState(a.actor, decodeState(encodeState(a.exportState())));
    expect(loaded.tombstones).toBe(1);
  });

  it('does not name a tombstone retired since a run of typing began as the next insert\'s right origin', () => {
    const a = new FastList<number>(actorId(1));
    const b = new FastList<number>(actorId(2));
    const e = b.insert(0, 1);
    expect(a.apply(e)).toBe('applied');
    expect(a.apply(b.delete(0))).toBe('applied');
    // The run starts before a1 retires e: its first insert names e, as plain FugueMax does.
    expect(a.insert(0, 2).right).toEqual(e.id);
    a.retire(a.version());
    // Typing on extends that run, whose right origin e is retired now.
    expect(a.insert(1, 3).right).toBeNull();
  });

  it('keeps a tombstone the inner elements of a typed run rank by, though the run itself is never ranked', () => {
    const a = new FastList<number>(actorId(1));
    const b = new FastList<number>(actorId(2));
    const toB = (...ops: Op<number>[]): void => {
      for (const op of ops) expect(b.apply(op)).toBe('applied');
    };
    // c d e typed as one run, then p1 p2 typed between d and e: they hang left of e, their right origin.
    toB(a.insert(0, 1), a.insert(1, 2), a.insert(2, 3), a.insert(2, 4), a.insert(3, 5));
    toB(a.delete(1), a.delete(3)); // d, e
    const retiredB = b.retire(b.version());
    toB(a.delete(2)); // p2
    const retiredA = a.retire(b.version());
    // Concurrently: b deletes p1 (the run p1 p2 is one tombstone there), and a types after p1, past retired p2 and e.
    const p1Gone = b.delete(1);
    const x = a.insert(2, 9);
    expect(x.left).toEqual({ actor: 1, counter: 4 });
    // b holds every op a made before retiring: d and e are collectable there (p2 is not: b had not retired it).
    b.collect(meet(retiredA, retiredB));
    expect(b.collected).toEqual(new Map([[actorId(1), 7]]));
    // A saved state that dropped e anyway (its children moved up in its place) is refused.
    const state = b.exportState();
    const at = state.pieces.findIndex((p) => p.actor === 1 && p.counter === 3);
    const e = state.pieces[at]!;
    const pieces = state.pieces.filter((_, i) => i !== at).map((p) => {
      const parent = p.parent === at ? e.parent : p.parent > at ? p.parent - 1 : p.parent;
      return { ...p, parent, side: p.parent === at ? e.side : p.side };
    });
    expect(() => FastList.fromState(b.actor, { ...state, pieces })).toThrow(/a1\.4 is ranked by a collected right origin/);
    // x ranks against p2 by their right origins: e's place is still read.
    expect(b.apply(x)).toBe('applied');
    expect(a.apply(p1Gone)).toBe('applied');
    expect(b.toArray()).toEqual(a.toArray());
  });

  it('folds a run that collection made one chain again, though its pieces were apart, and still finds every element of it', () => {
    // b types x1 x2 x3; c types z right after x2, which a takes before x3: x3 is a piece of its own at a.
    const [a, b, c] = [1, 2, 3].map((i) => new FastList<number>(actorId(i))) as [FastList<number>, FastList<number>, FastList<number>];
    const ref = new ReferenceList<number>(actorId(1));
    const toA = (...ops: Op<number>[]): void => {
      for (const op of ops) expect(a.apply(op)).toBe(ref.apply(op));
    };
    const x = [b.insert(0, 1), b.insert(1, 2), b.insert(2, 3)];
    for (const op of x.slice(0, 2)) c.apply(op);
    const z = c.insert(2, 9);
    toA(x[0]!, x[1]!, z, x[2]!, c.delete(2));
    // Everyone holds everything: z is collected, and x3 is x2's only child, as in one typed run.
    const all = a.version();
    a.retire(all);
    expect(a.collect(all)).toBe(1);
    // Deleting x3 then x2 passes x2 into x3's tombstone; deleting x1 folds it into the same.
    const dels = [a.delete(2), a.delete(1)];
    for (const op of dels) ref.apply(op);
    // b types after x2, between it and x3.
    for (const op of [z, ...dels.slice(0, 1)]) b.apply(op);
    toA(b.insert(2, 4));
    expect(a.toArray()).toEqual(ref.toArray());
    const last = a.delete(0);
    ref.apply(last);
    toA(b.insert(0, 5));
    expect(a.toArray()).toEqual(ref.toArray());
    expect(FastList.fromState(a.actor, decodeState(encodeState(a.exportState()))).toArray()).toEqual(ref.toArray());
  });
});
