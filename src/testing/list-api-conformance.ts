import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../crdt/changes.js';
import { actorId, opId, type ActorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { RefusedOpError } from '../crdt/validate.js';
import { mix } from './scenario.js';

/** A step of a scenario of range edits and batched, shuffled, duplicated delivery. */
type Step =
  | { kind: 'insertMany'; replica: number; at: number; values: number[] }
  | { kind: 'deleteMany'; replica: number; at: number; span: number }
  | { kind: 'deliver'; replica: number; picks: number[] };

const stepArb = (replicas: number): fc.Arbitrary<Step> => {
  const replica = fc.nat({ max: replicas - 1 });
  const at = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertMany' as const), replica, at, values: fc.array(fc.nat({ max: 255 }), { maxLength: 6 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteMany' as const), replica, at, span: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), replica, picks: fc.array(fc.nat(), { maxLength: 8 }) }) },
  );
};

const scenarioArb = fc.integer({ min: 2, max: 4 }).chain((replicas) =>
  fc.record({ replicas: fc.constant(replicas), steps: fc.array(stepArb(replicas), { maxLength: 40 }), seed: fc.integer() }),
);

/** Apply one event to a plain array, as a UI would. */
export function mirror<T>(array: T[], event: ChangeEvent<T>): void {
  if (event.type === 'insert') array.splice(event.index, 0, ...event.values);
  else array.splice(event.index, event.count);
}

/** A list and a plain array its events keep equal to it. */
function watched(make: MakeList<number>, actor: number): { list: List<number>; shadow: number[]; events: ChangeEvent<number>[] } {
  const list = make(actorId(actor));
  const shadow: number[] = [];
  const events: ChangeEvent<number>[] = [];
  list.onChange((e) => {
    events.push(e);
    mirror(shadow, e);
  });
  return { list, shadow, events };
}

/** The library calls every List offers embedders: range edits, batches, ops since a version, events. */
export function runListApiTests(name: string, make: MakeList<number>): void {
  describe(`List API: ${name}`, () => {
    it('events mirror the list exactly after any range edits and any batched, shuffled, duplicated delivery', () => {
      fc.assert(
        fc.property(scenarioArb, ({ replicas, steps, seed }) => {
          const rs = Array.from({ length: replicas }, (_, i) => watched(make, i));
          const ops: Op<number>[] = [];
          for (const step of steps) {
            const r = rs[step.replica]!;
            const n = r.list.length;
            if (step.kind === 'insertMany') {
              const index = Math.floor(step.at * (n + 1));
              const made = r.list.insertMany(index, step.values);
              expect(made.map((op) => op.value)).toEqual(step.values);
              ops.push(...made);
            } else if (step.kind === 'deleteMany') {
              const index = Math.floor(step.at * (n + 1));
              const count = Math.floor(step.span * (n - index + 1));
              const before = r.list.toArray();
              ops.push(...r.list.deleteMany(Math.min(index, n), Math.min(count, n - Math.min(index, n))));
              before.splice(Math.min(index, n), Math.min(count, n - Math.min(index, n)));
              expect(r.list.toArray()).toEqual(before);
            } else if (ops.length > 0) {
              const batch = step.picks.map((p) => ops[p % ops.length]!);
              const counts = r.list.applyMany(batch);
              expect(counts.applied + counts.duplicate + counts.pending + counts.full).toBe(batch.length);
            }
            expect(r.shadow).toEqual(r.list.toArray());
          }
          for (const [i, r] of rs.entries()) {
            const order = ops.map((op, k) => ({ op, k: mix(seed + i, k) })).sort((a, b) => a.k - b.k).map((x) => x.op);
            r.list.applyMany(order);
            expect(r.list.pendingCount).toBe(0);
            expect(r.shadow).toEqual(r.list.toArray());
            expect(r.list.toArray()).toEqual(rs[0]!.list.toArray());
          }
        }),
        { numRuns: 300 },
      );
    });

    it('range edits make the ops single edits make, and one event each', () => {
      fc.assert(
        fc.property(fc.array(fc.nat({ max: 255 }), { maxLength: 30 }), fc.nat(), fc.nat(), (values, at, span) => {
          const ranged = watched(make, 1);
          const single = make(actorId(1));
          ranged.list.insertMany(0, [1, 2, 3]);
          for (const [k, v] of [1, 2, 3].entries()) single.insert(k, v);
          const index = at % 4;
          ranged.events.length = 0;
          const made = ranged.list.insertMany(index, values);
          expect(made).toEqual(values.map((v, k) => single.insert(index + k, v)));
          expect(ranged.events).toEqual(values.length === 0 ? [] : [{ type: 'insert', index, values, local: true }]);
          const from = span % (ranged.list.length + 1);
          const count = (at + span) % (ranged.list.length - from + 1);
          ranged.events.length = 0;
          const gone = ranged.list.deleteMany(from, count);
          expect(gone).toEqual(Array.from({ length: count }, () => single.delete(from)));
          expect(ranged.events).toEqual(count === 0 ? [] : [{ type: 'delete', index: from, count, local: true }]);
          expect(ranged.list.toArray()).toEqual(single.toArray());
        }),
        { numRuns: 200 },
      );
    });

    it('opsSince gives what a version lacks, in an order a fresh replica applies without waiting', () => {
      const a = make(actorId(1));
      const b = make(actorId(2));
      a.insertMany(0, [1, 2, 3, 4]);
      b.applyMany(a.opsSince(b.version()));
      a.deleteMany(1, 2);
      b.insertMany(2, [9, 9]);
      const missing = a.opsSince(b.version());
      expect(missing.map((op) => op.id.counter)).toEqual([5, 6]);
      const fresh = make(actorId(3));
      for (const op of [...a.opsSince(new Map()), ...b.opsSince(a.version())]) expect(fresh.apply(op)).toBe('applied');
      b.applyMany(missing);
      a.applyMany(b.opsSince(a.version()));
      expect(fresh.toArray()).toEqual(a.toArray());
      expect(b.toArray()).toEqual(a.toArray());
    });

    it('counts what a batch and a single apply released from the pending set', () => {
      const a = make(actorId(1));
      const ops = a.insertMany(0, [5, 6, 7, 8]);
      const b = watched(make, 2);
      expect(b.list.applyMany([ops[3]!, ops[2]!, ops[1]!])).toEqual({ applied: 0, duplicate: 0, pending: 3, full: 0, released: 0 });
      expect(b.events).toEqual([]);
      expect(b.list.apply(ops[0]!)).toBe('applied');
      expect(b.list.released).toBe(3);
      expect(b.events).toEqual([{ type: 'insert', index: 0, values: [5, 6, 7, 8], local: false }]);
      expect(b.list.applyMany(ops)).toEqual({ applied: 0, duplicate: 4, pending: 0, full: 0, released: 0 });
    });

    it('reports a remote run typed or backspaced as one event', () => {
      const a = make(actorId(1));
      const b = watched(make, 2);
      b.list.applyMany(a.insertMany(0, [1, 2, 3, 4, 5]));
      const backspaced = [a.delete(3), a.delete(2), a.delete(1)];
      b.events.length = 0;
      b.list.applyMany(backspaced);
      expect(b.events).toEqual([{ type: 'delete', index: 1, count: 3, local: false }]);
      expect(b.shadow).toEqual([1, 5]);
    });

    it('gives each element its position, -1 once deleted or when unknown', () => {
      const list = make(actorId(1));
      const ops = list.insertMany(0, [10, 11, 12]);
      list.insert(0, 9);
      expect(ops.map((op) => list.indexOf(op.id))).toEqual([1, 2, 3]);
      list.delete(2);
      expect(ops.map((op) => list.indexOf(op.id))).toEqual([1, -1, 2]);
      expect(list.indexOf(opId(7, 1))).toBe(-1);
    });

    it('refuses bad arguments from JavaScript with an error naming them, changing nothing', () => {
      const list = watched(make, 1);
      list.list.insertMany(0, [1, 2, 3]);
      const before = { array: list.list.toArray(), version: list.list.version(), events: list.events.length };
      const loose = list.list as unknown as Record<string, (...args: unknown[]) => unknown>;
      const bad: Array<[() => unknown, ErrorConstructor, RegExp]> = [
        [() => loose.insert!('1', 5), TypeError, /insert: index must be a number/],
        [() => loose.insert!(4, 5), RangeError, /insert: index 4 out of range 0\.\.3/],
        [() => loose.insert!(1.5, 5), RangeError, /insert: index 1.5/],
        [() => loose.delete!(3), RangeError, /delete: index 3 out of range 0\.\.2/],
        [() => loose.insertMany!(0, 'abc'), TypeError, /insertMany: values must be an array/],
        [() => loose.insertMany!(-1, [1]), RangeError, /insertMany: index -1/],
        [() => loose.deleteMany!(0, -1), RangeError, /deleteMany: count must be a whole number/],
        [() => loose.deleteMany!(2, 2), RangeError, /deleteMany: index 2 out of range 0\.\.1/],
        [() => loose.deleteMany!(0, '2'), TypeError, /deleteMany: count must be a number/],
        [() => loose.apply!({ type: 'insert', id: { actor: '1', counter: 1 }, value: 1, left: null, right: null }), TypeError, /apply: op\[0\]: op has no valid actor/],
        [() => loose.applyMany!([null]), TypeError, /applyMany: ops\[0\]: is not an object/],
        [() => loose.applyMany!(7), TypeError, /applyMany: ops must be an iterable of ops/],
        [() => loose.opsSince!({ 1: 3 }), TypeError, /opsSince: version must be a Map/],
        [() => loose.onChange!('no'), TypeError, /onChange: listener must be a function/],
        [() => loose.indexOf!(3), TypeError, /indexOf: id must be an op id/],
        [() => make('2' as unknown as ActorId), TypeError, /actor must be a number, got string/],
        [() => make(-1 as ActorId), RangeError, /actor must be a whole number/],
      ];
      for (const [call, type, message] of bad) {
        expect(call).toThrow(type);
        expect(call).toThrow(message);
      }
      expect({ array: list.list.toArray(), version: list.list.version(), events: list.events.length }).toEqual(before);
    });

    it('refuses a whole batch holding an equivocation, applying none of it', () => {
      const a = make(actorId(1));
      const [x, y] = a.insertMany(0, [1, 2]);
      const b = make(actorId(2));
      const forged = { ...y!, value: 99 };
      expect(() => b.applyMany([x!, y!, forged])).toThrow(RefusedOpError);
      expect(b.version().size).toBe(0);
      b.applyMany([x!, y!]);
      expect(() => b.applyMany([forged])).toThrow(/already held with other content/);
      expect(b.toArray()).toEqual([1, 2]);
    });

    it('hands every listener each event once the call returns, even when one throws, and stops on unsubscribe', () => {
      const list = make(actorId(1));
      const seen: number[][] = [];
      list.onChange(() => {
        throw new Error('listener failed');
      });
      const stop = list.onChange(() => seen.push(list.toArray()));
      expect(() => list.insertMany(0, [1, 2])).toThrow('listener failed');
      expect(seen).toEqual([[1, 2]]);
      stop();
      expect(() => list.insert(0, 3)).toThrow('listener failed');
      expect(seen).toHaveLength(1);
      expect(list.toArray()).toEqual([3, 1, 2]);
    });

    it('keeps events in order when a listener edits the list', () => {
      const list = make(actorId(1));
      const shadow: number[] = [];
      list.onChange((e) => mirror(shadow, e));
      list.onChange((e) => {
        if (e.type === 'insert' && e.values.includes(1)) list.insert(0, 0);
      });
      list.insertMany(0, [1, 2]);
      expect(list.toArray()).toEqual([0, 1, 2]);
      expect(shadow).toEqual([0, 1, 2]);
    });
  });
}
