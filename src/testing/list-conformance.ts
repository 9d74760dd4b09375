import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId, opId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { InsertOp, Op } from '../crdt/ops.js';
import { versionToJSON } from '../crdt/version.js';
import { runListApiTests } from './list-api-conformance.js';
import { deliverAll, mix, play, scenarioArb } from './scenario.js';

const RUNS = { numRuns: 200 };

/**
 * The behaviour every List implementation must show. Call it from a test file with a factory;
 * a faster list passes the same suite as the reference one.
 */
export function runListTests(name: string, make: MakeList<number>): void {
  describe(`List conformance: ${name}`, () => {
    it('converges: any delivery order, with duplicates, gives one list and nothing pending', () => {
      fc.assert(
        fc.property(scenarioArb(), (scenario) => {
          const run = play(make, scenario);
          deliverAll(run, scenario.orderSeed);
          const [first, ...rest] = run.lists as [List<number>, ...List<number>[]];
          const made = countByActor(run.ops);
          for (const list of run.lists) {
            expect(list.pendingCount).toBe(0);
            expect(versionToJSON(list.version())).toEqual(made);
          }
          for (const list of rest) expect(list.toArray()).toEqual(first.toArray());
        }),
        { numRuns: 500 },
      );
    });

    it('applying any op a second time changes nothing', () => {
      fc.assert(
        fc.property(scenarioArb(4, 40), fc.integer(), (scenario, seed) => {
          const run = play(make, scenario);
          const target = make(actorId(99));
          const order = run.ops.map((op, i) => ({ op, k: mix(seed, i) })).sort((a, b) => a.k - b.k);
          for (const { op } of order) {
            target.apply(op);
            const snapshot = `${target.toArray()}|${target.pendingCount}|${JSON.stringify(versionToJSON(target.version()))}`;
            expect(target.apply(op)).toBe('duplicate');
            expect(`${target.toArray()}|${target.pendingCount}|${JSON.stringify(versionToJSON(target.version()))}`).toBe(snapshot);
          }
        }),
        RUNS,
      );
    });

    it('concurrent runs typed at one place do not interleave (forwards and backwards)', () => {
      const arb = fc.record({
        prefix: fc.array(fc.nat({ max: 255 }), { maxLength: 6 }),
        at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        lengths: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
        backwards: fc.tuple(fc.boolean(), fc.boolean()),
        actors: fc.uniqueArray(fc.nat({ max: 50 }), { minLength: 3, maxLength: 3 }),
      });
      fc.assert(
        fc.property(arb, ({ prefix, at, lengths, backwards, actors }) => {
          const [a0, a1, a2] = actors as [number, number, number];
          const origin = make(actorId(a2));
          prefix.forEach((v, i) => origin.insert(i, v));
          const replicas = [make(actorId(a0)), make(actorId(a1))];
          const shared = origin.opsOf(actorId(a2), 0, Infinity);
          for (const r of replicas) for (const op of shared) r.apply(op);
          const pos = Math.floor(at * (prefix.length + 1));
          const runs = replicas.map((r, k) => {
            const values = Array.from({ length: lengths[k] as number }, (_, i) => 1000 * (k + 1) + i);
            const ops = values.map((v, i) => r.insert(backwards[k] ? pos : pos + i, v));
            return { ops, text: r.toArray().slice(pos, pos + values.length) };
          });
          const [x, y] = replicas as [List<number>, List<number>];
          for (const op of runs[1]!.ops) x.apply(op);
          for (const op of runs[0]!.ops) y.apply(op);
          expect(x.toArray()).toEqual(y.toArray());
          const merged = x.toArray().join(',');
          for (const run of runs) expect(merged).toContain(run.text.join(','));
        }),
        RUNS,
      );
    });

    it('orders concurrent right siblings by FugueMax: the one whose right origin lies further right first', () => {
      // b; a and a2 are concurrent left children of b: [a a2 b]. Actor 2 inserts x after a without
      // having a2 (right origin b); actor 1 inserts y after a having a2 (right origin a2).
      const [l1, l2, l3, l5] = [1, 2, 3, 5].map((n) => make(actorId(n))) as [List<number>, List<number>, List<number>, List<number>];
      const b = l3.insert(0, 20);
      const a = l3.insert(0, 10);
      l5.apply(b);
      const a2 = l5.insert(0, 11);
      for (const op of [b, a]) l2.apply(op);
      for (const op of [b, a, a2]) l1.apply(op);
      expect(l1.toArray()).toEqual([10, 11, 20]);
      const x = l2.insert(1, 30);
      const y = l1.insert(1, 31);
      for (const list of [l1, l2, l3, l5]) for (const op of [b, a, a2, x, y]) list.apply(op);
      for (const list of [l1, l2, l3, l5]) expect(list.toArray()).toEqual([10, 30, 31, 11, 20]);
    });

    it('holds an op whose dependencies are missing and applies it when they arrive', () => {
      const a = make(actorId(0));
      const ops = [a.insert(0, 1), a.insert(1, 2), a.insert(2, 3), a.delete(0), a.insert(0, 4)];
      const b = make(actorId(1));
      for (const op of [...ops].reverse().slice(0, -1)) expect(b.apply(op)).toBe('pending');
      expect(b.pendingCount).toBe(4);
      expect(b.toArray()).toEqual([]);
      expect(b.apply(ops[0] as Op<number>)).toBe('applied');
      expect(b.pendingCount).toBe(0);
      expect(b.toArray()).toEqual(a.toArray());
      expect(versionToJSON(b.version())).toEqual({ '0': 5 });
    });

    it('honours a delete that arrives before its insert', () => {
      const a = make(actorId(0));
      const b = make(actorId(1));
      const ins = a.insert(0, 7);
      b.apply(ins);
      const del = b.delete(0);
      const c = make(actorId(2));
      expect(c.apply(del)).toBe('pending');
      expect(c.apply(ins)).toBe('applied');
      expect(c.toArray()).toEqual([]);
      expect(c.pendingCount).toBe(0);
      expect(c.apply(ins)).toBe('duplicate');
      expect(c.toArray()).toEqual([]);
    });

    it('bounds the pending set: a full set refuses waiting ops and still takes ready ones', () => {
      const a = make(actorId(0));
      const ops = [1, 2, 3, 4, 5].map((v, i) => a.insert(i, v));
      const b = make(actorId(1), { maxPending: 3 });
      expect(ops.slice(1, 4).map((op) => b.apply(op))).toEqual(['pending', 'pending', 'pending']);
      expect(b.apply(ops[4] as Op<number>)).toBe('full');
      expect(b.pendingCount).toBe(3);
      expect(b.apply(ops[0] as Op<number>)).toBe('applied');
      expect(b.pendingCount).toBe(0);
      expect(b.toArray()).toEqual([1, 2, 3, 4]);
      expect(b.apply(ops[4] as Op<number>)).toBe('applied');
      expect(b.toArray()).toEqual(a.toArray());
    });

    it('bounds each author\'s share of the pending set: one author\'s waiting ops leave room for another\'s', () => {
      const a = make(actorId(0));
      const c = make(actorId(2));
      const fromA = [1, 2, 3, 4].map((v, i) => a.insert(i, v));
      const fromC = [5, 6].map((v, i) => c.insert(i, v));
      const b = make(actorId(1), { maxPending: 10, maxPendingPerAuthor: 2 });
      expect(fromA.slice(1).map((op) => b.apply(op))).toEqual(['pending', 'pending', 'full']);
      expect(b.apply(fromC[1] as Op<number>)).toBe('pending');
      expect(b.pendingCount).toBe(3);
      for (const op of [...fromA, ...fromC]) b.apply(op);
      expect(b.pendingCount).toBe(0);
      expect(b.version()).toEqual(new Map([[0, 4], [2, 2]]));
    });

    it('restores ops it held before whatever the pending bounds, and refuses to restore an equivocation', () => {
      const a = make(actorId(0));
      const ops = [1, 2, 3, 4].map((v, i) => a.insert(i, v));
      const b = make(actorId(1), { maxPending: 1 });
      b.restore(ops.slice(1));
      expect(b.pendingCount).toBe(3);
      b.restore(ops.slice(0, 1));
      expect(b.pendingCount).toBe(0);
      expect(b.toArray()).toEqual(a.toArray());
      expect(() => b.restore([{ ...(ops[0] as InsertOp<number>), value: 9 }])).toThrow(/different content/);
    });

    it('refuses an op whose id is held with other content (equivocation), applied or pending', () => {
      const a = make(actorId(0));
      const [first, second] = [a.insert(0, 1), a.insert(1, 2)];
      const b = make(actorId(1));
      b.apply(first);
      expect(b.apply({ ...first, value: 9 })).toBe('equivocation');
      expect(b.check({ ...first, value: 9 })).toBe('equivocation');
      const c = make(actorId(2));
      expect(c.apply(second)).toBe('pending');
      expect(c.apply({ ...second, value: 9 })).toBe('equivocation');
      expect(b.toArray()).toEqual([1]);
    });

    it('refuses ops whose origin or target is not an insert made before them', () => {
      const a = make(actorId(0));
      a.insert(0, 1);
      const del = a.delete(0);
      expect(a.check({ type: 'insert', id: opId(1, 1), value: 5, left: del.id, right: null })).toBe('invalid');
      expect(a.check({ type: 'delete', id: opId(1, 1), target: del.id })).toBe('invalid');
      expect(a.check({ type: 'insert', id: opId(1, 2), value: 5, left: opId(1, 2), right: null })).toBe('invalid');
      expect(a.apply({ type: 'insert', id: opId(1, 1), value: 5, left: del.id, right: null })).toBe('invalid');
      expect(a.toArray()).toEqual([]);
    });

    it('rejects local edits outside the list', () => {
      const a = make(actorId(0));
      expect(() => a.insert(1, 0)).toThrow(RangeError);
      expect(() => a.delete(0)).toThrow(RangeError);
      a.insert(0, 1);
      expect(() => a.delete(1)).toThrow(RangeError);
      expect(() => a.insert(-1, 0)).toThrow(RangeError);
      expect(a.toArray()).toEqual([1]);
      expect(a.nextCounter).toBe(2);
    });

    it('prints itself with ids and tombstones', () => {
      const a = make(actorId(3));
      a.insert(0, 1);
      a.insert(1, 2);
      a.delete(0);
      const text = String(a);
      expect(text).toContain('a3.2');
      expect(text).toContain('~a3.1:1~');
    });
  });
  runListApiTests(name, make);
}

function countByActor(ops: readonly Op<number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) out[String(op.id.actor)] = Math.max(out[String(op.id.actor)] ?? 0, op.id.counter);
  return out;
}
