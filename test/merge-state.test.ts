import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brotliDecompressSync } from 'node:zlib';
import { FastList } from '../src/crdt/fast/FastList.js';
import { decodeColumns } from '../src/crdt/fast/state-codec.js';
import { opsOfState, readStateOps } from '../src/crdt/fast/state-ops.js';
import { mirror } from '../src/testing/list-api-conformance.js';
import { actorId } from '../src/crdt/ids.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { decodeSnapshot, encodeSnapshot, mergeSnapshot } from '../src/store/snapshot.js';
import { play, scenarioArb } from '../src/testing/scenario.js';

const columnsOf = (list: FastList<number>) => decodeColumns(brotliDecompressSync(encodeSnapshot(list)));
/** A list's whole content, for "changes nothing". */
const contentOf = (list: FastList<number>) => ({ text: String(list), ops: [...list.appliedOps()], pending: [...list.pendingOps()] });

/** A list of one actor that made `n` inserts and deleted the second. */
function small(actor: number, n = 4): FastList<number> {
  const list = new FastList<number>(actorId(actor));
  for (let i = 0; i < n; i++) list.insert(i, 10 * actor + i);
  list.delete(1);
  return list;
}

/**
 * A state whose first op (a2's first insert) names a1.`counter` of `list` as its left origin is
 * refused as `collected`, changing nothing, as `check` refuses the op.
 */
function refusesNaming(list: FastList<number>, counter: number): void {
  const cols = columnsOf(small(2, 3));
  const first = cols.counters.indexOf(1);
  cols.olA[first] = 1;
  cols.olC[first] = counter;
  const ops = readStateOps(cols, list.version());
  const before = contentOf(list);
  expect(list.mergeOps(ops)).toEqual({ at: 0, verdict: 'collected' });
  expect(contentOf(list)).toEqual(before);
  const op = opsOfState(cols, list.version())[0];
  expect(op !== undefined && list.check(op)).toBe('collected');
}

describe('merging a state (snapshot) into a list', () => {
  it('gives the ops the list lacks exactly as loading the state would, and ends where applying them ends: the same as the reference list', () => {
    fc.assert(
      fc.property(scenarioArb(4, 80), (scenario) => {
        const run = play((a) => new FastList<number>(a), scenario);
        const lists = run.lists as FastList<number>[];
        for (const [i, into] of lists.entries()) {
          for (const [j, from] of lists.entries()) {
            if (i === j) continue;
            const bytes = encodeSnapshot(from);
            const loaded = decodeSnapshot(bytes, actorId(99));
            expect(opsOfState(columnsOf(from), into.version())).toEqual([...loaded.appliedOps(into.version())]);
            const merged = decodeSnapshot(encodeSnapshot(into), into.actor);
            for (const op of into.pendingOps()) merged.apply(op);
            const replayed = decodeSnapshot(encodeSnapshot(into), into.actor);
            for (const op of into.pendingOps()) replayed.apply(op);
            for (const op of loaded.appliedOps(into.version())) replayed.apply(op);
            mergeSnapshot(merged, bytes);
            expect(String(merged)).toBe(String(replayed));
            expect(merged.pendingCount).toBe(replayed.pendingCount);
            // And what the reference list renders for the same ops.
            const reference = new ReferenceList<number>(actorId(98));
            for (const op of [...merged.appliedOps()]) reference.apply(op);
            expect(merged.toArray()).toEqual(reference.toArray());
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('takes in three replicas\' states so that all end equal, whatever the order', () => {
    const lists = [1, 2, 3].map((a) => small(a, 6));
    const states = lists.map((l) => encodeSnapshot(l));
    lists.forEach((l, i) => [2, 1, 0].forEach((j) => j !== i && mergeSnapshot(l, states[j] as Uint8Array)));
    expect(lists[1]?.toArray()).toEqual(lists[0]?.toArray());
    expect(lists[2]?.toArray()).toEqual(lists[0]?.toArray());
    expect(lists[0]?.length).toBe(15);
    // Taking a state again gives nothing.
    expect(mergeSnapshot(lists[0] as FastList<number>, states[1] as Uint8Array)).toBe(0);
  });

  it('refuses, changing nothing, bytes that are not a snapshot', () => {
    const list = small(1);
    const before = contentOf(list);
    expect(() => mergeSnapshot(list, Uint8Array.of(1, 2, 3))).toThrow();
    const bytes = encodeSnapshot(small(2));
    expect(() => mergeSnapshot(list, bytes.subarray(0, bytes.length - 3))).toThrow();
    expect(contentOf(list)).toEqual(before);
  });

  it('refuses, changing nothing, a state of another history under the same ids: its op names as origin what this list holds as a delete', () => {
    // a1.1..a1.4 inserts, a1.5 deletes a1.2; the twin's a1.5 and a1.6 are inserts, a1.6 after a1.5.
    const list = small(1);
    const twin = new FastList<number>(actorId(1));
    for (let i = 0; i < 6; i++) twin.insert(i, 77);
    const before = contentOf(list);
    expect(() => mergeSnapshot(list, encodeSnapshot(twin))).toThrow(/op a1\.6 is refused: invalid/);
    expect(contentOf(list)).toEqual(before);
  });

  it('refuses a state that collected ops the list lacks: it can only be loaded', () => {
    const source = small(1, 6);
    source.retire(source.version());
    source.collect(source.version());
    const list = small(2);
    const before = contentOf(list);
    expect(() => mergeSnapshot(list, encodeSnapshot(source))).toThrow(/collected ops of a1 up to 7/);
    expect(contentOf(list)).toEqual(before);
    // A list that holds what was collected takes the rest.
    const holder = small(1, 6);
    expect(() => mergeSnapshot(holder, encodeSnapshot(source))).not.toThrow();
  });

  it('refuses a state whose order gives an op twice, names one it does not hold, or whose insert names a delete of the state as origin', () => {
    const source = small(1, 5);
    const empty = new Map();
    const twice = columnsOf(source);
    twice.log.order = [...twice.log.order, 1, 1, 1];
    expect(() => opsOfState(twice, empty)).toThrow(/gives a1\.1 after a1\.6/);
    const unheld = columnsOf(source);
    unheld.log.order = [...unheld.log.order, 1, 7, 1];
    expect(() => opsOfState(unheld, empty)).toThrow(/names a1\.7, which it does not hold/);
    // a1.6 is the delete; make the last piece's right origin name it.
    const namesDelete = columnsOf(source);
    const last = namesDelete.actors.length - 1;
    namesDelete.orA[last] = 1;
    namesDelete.orC[last] = 6;
    expect(() => opsOfState(namesDelete, empty)).toThrow(/names a1\.6 as its right origin/);
  });

  it('takes ops as numbers (mergeOps) exactly as it would apply them one by one', () => {
    fc.assert(
      fc.property(scenarioArb(4, 80), (scenario) => {
        const run = play((a) => new FastList<number>(a), scenario);
        const lists = run.lists as FastList<number>[];
        for (const into of lists) {
          for (const from of lists) {
            if (from === into) continue;
            const bytes = encodeSnapshot(from);
            const fast = decodeSnapshot(encodeSnapshot(into), into.actor);
            const slow = decodeSnapshot(encodeSnapshot(into), into.actor);
            const ops = opsOfState(columnsOf(from), slow.version());
            for (const op of ops) expect(slow.apply(op)).toBe('applied');
            // A merge tells listeners what it changed, as applying the ops would.
            const shown = fast.toArray();
            fast.onChange((e) => mirror(shown, e));
            expect(mergeSnapshot(fast, bytes)).toBe(ops.length);
            expect(shown).toEqual(fast.toArray());
            expect(String(fast)).toBe(String(slow));
            expect([...fast.appliedOps()]).toEqual([...slow.appliedOps()]);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses, changing nothing, a state whose bad op comes amid good ones of several authors', () => {
    // The twin's a1.6 names a1.5 as its left origin, which this list holds as a delete; ops of a2 come before and after it.
    const list = small(1);
    const twin = new FastList<number>(actorId(1));
    const other = small(2, 6);
    for (let i = 0; i < 6; i++) twin.insert(i, 77);
    mergeSnapshot(twin, encodeSnapshot(other));
    for (let i = 0; i < 5; i++) twin.insert(i, 78);
    const bytes = encodeSnapshot(twin);
    const order = columnsOf(twin).log.order;
    expect(order.filter((_, i) => i % 3 === 0)).toEqual([1, 2, 1]);
    const before = contentOf(list);
    expect(() => mergeSnapshot(list, bytes)).toThrow(/op a1\.6 is refused: invalid/);
    expect(contentOf(list)).toEqual(before);
  });

  it('refuses, changing nothing, an op that names an element this list collected, as check does', () => {
    // a1.3, the last element, is deleted (by a1.4) and, childless, collected.
    const list = new FastList<number>(actorId(1));
    for (let i = 0; i < 3; i++) list.insert(i, i);
    list.delete(2);
    list.retire(list.version());
    list.collect(list.version());
    expect(list.tombstones).toBe(0);
    refusesNaming(list, 3);
  });

  it('refuses, changing nothing, an op that names a collectable element this list still keeps, as check does', () => {
    // a1.1 and a1.2 typed, a3.1 between them; then both of a1's deleted and collected: a1.2
    // goes, a1.1 stays (a3.1 hangs under it).
    const list = new FastList<number>(actorId(1));
    const between = new FastList<number>(actorId(3));
    for (const op of [list.insert(0, 0), list.insert(1, 1)]) between.apply(op);
    list.apply(between.insert(1, 30));
    list.delete(0);
    list.delete(1);
    list.retire(list.version());
    expect(list.collect(list.version())).toBe(1);
    expect(list.tombstones).toBe(1);
    refusesNaming(list, 1);
  });

  it('takes ops as numbers only as read against its own version, with nothing pending', () => {
    const list = small(1);
    const ops = readStateOps(columnsOf(small(2)), new Map());
    list.insert(0, 5);
    expect(() => list.mergeOps(ops)).toThrow(/another version/);
    const waiting = small(1);
    waiting.apply({ type: 'insert', id: { actor: actorId(3), counter: 2 }, value: 1, left: null, right: null });
    expect(() => waiting.mergeOps(readStateOps(columnsOf(small(2)), waiting.version()))).toThrow(/pending/);
  });

  it('refuses a state whose origin names counter 0, which no op has', () => {
    const cols = columnsOf(small(1, 3));
    cols.olA[0] = 1;
    cols.olC[0] = 0;
    expect(() => readStateOps(cols, new Map())).toThrow(/names a1\.0 as its left origin, which is no op/);
  });
});
