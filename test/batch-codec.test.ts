import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch } from '../src/crdt/batch-codec.js';
import { InvalidOpError, MAX_COUNTER, opProblem } from '../src/crdt/validate.js';
import { actorId, MAX_ACTOR, MAX_TAG, replicaId } from '../src/crdt/ids.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import type { Op } from '../src/crdt/ops.js';
import { mix, play, scenarioArb } from '../src/testing/scenario.js';
import { varints } from './helpers/bytes.js';

describe('binary batches (v2, run-length)', () => {
  it('round-trip any ops, in any order', () => {
    fc.assert(
      fc.property(scenarioArb(4, 80), fc.integer(), (scenario, seed) => {
        const { ops } = play((a) => new FastList<number>(a), scenario);
        expect(decodeBatch(encodeBatch(ops))).toEqual(ops);
        const shuffled = ops.map((op, i) => ({ op, k: mix(seed, i) })).sort((a, b) => a.k - b.k).map((x) => x.op);
        expect(decodeBatch(encodeBatch(shuffled))).toEqual(shuffled);
      }),
      { numRuns: 300 },
    );
  });

  it('encode typing and backspacing in runs: a few bytes per run, one per typed value', () => {
    const list = new FastList<number>(actorId(3));
    const ops: Op<number>[] = [];
    for (let i = 0; i < 50; i++) ops.push(list.insert(i, 97 + (i % 26)));
    for (let i = 49; i >= 30; i--) ops.push(list.delete(i));
    for (let i = 0; i < 10; i++) ops.push(list.delete(5));
    const bytes = encodeBatch(ops);
    expect(decodeBatch(bytes)).toEqual(ops);
    expect(bytes.length).toBeLessThan(50 + 25);
  });

  it('refuses damaged bytes with an error, never hangs', () => {
    const list = new FastList<number>(actorId(1));
    const ops = Array.from({ length: 30 }, (_, i) => list.insert(i % 3 === 0 ? 0 : list.length, i));
    const good = encodeBatch(ops);
    expect(() => decodeBatch(good.subarray(0, good.length - 1))).toThrow();
    expect(() => decodeBatch(Uint8Array.from([...good, 0]))).toThrow();
    expect(() => decodeBatch(Uint8Array.from([1, 0]))).toThrow(/not a v2 batch/);
    // A delete run claiming 2^40 ops would cost no bytes per op: refused by its count.
    expect(() => decodeBatch(Uint8Array.from([2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0]))).toThrow(/over the limit/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        try {
          // Whatever decodes is made of ids every replica can take: every computed counter was checked.
          for (const op of decodeBatch(Uint8Array.from([2, ...junk]))) expect(opProblem(op)).toBeNull();
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('round-trip the author ids of incarnations, up to the highest, and refuse one past it', () => {
    const authors = [replicaId(1, 1), replicaId(2, 0x5f3a_1b2c), replicaId(0xffff, MAX_TAG)];
    expect(authors[2]).toBe(MAX_ACTOR);
    const a = new FastList<number>(authors[0]!);
    const b = new FastList<number>(authors[1]!);
    const c = new FastList<number>(authors[2]!);
    const ops: Op<number>[] = [a.insert(0, 1), a.insert(1, 2)];
    for (const op of ops) b.apply(op);
    ops.push(b.insert(1, 3), b.delete(0));
    for (const op of ops) c.apply(op);
    ops.push(c.insert(0, 4), c.insert(1, 5), c.delete(2));
    expect(decodeBatch(encodeBatch(ops))).toEqual(ops);
    // 2^53 as a run's author, or a reference's: no author id (and no safe integer).
    const past = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
    expect(() => decodeBatch(Uint8Array.from([2, 1, 0, ...past, 1, 1, 0, 0, 5]))).toThrow(/out of range|bad actor/);
    expect(() => decodeBatch(Uint8Array.from([2, 1, 0, 1, 1, 1, 2, ...past, 1, 0, 5]))).toThrow(/out of range|bad reference actor/);
    // 2^53 - 1 is one.
    expect(decodeBatch(varints([2], 1, 0, MAX_ACTOR, 1, 1, 0, 0, 5))).toEqual([{ type: 'insert', id: { actor: MAX_ACTOR, counter: 1 }, value: 5, left: null, right: null }]);
  });

  it('refuses, as invalid ops, runs whose computed counters pass the highest one', () => {
    const batch = (...xs: number[]): Uint8Array => varints([2], ...xs);
    const cases = [
      batch(2, 0, 1, MAX_COUNTER, 2, 0, 0, 5, 6), // an insert run past the end
      batch(2, 1, 1, 5, 2, 2, 0, MAX_COUNTER, 2), // delete targets stepping past the end
      batch(3, 1, 1, 5, 3, 2, 0, 1, 2 ** 50), // delete targets stepping far past it
      batch(2, 0, 1, MAX_COUNTER, 1, 0, 0, 5, 2, 1, 0, 0, 6), // a run following one at the end
      batch(1, 0, 1, 2 ** 53 - 1, 1, 0, 0, 5), // a start beyond it
      batch(1, 0, 1, 1, 1, 2, 1, 2 ** 53 - 1, 0, 5), // an origin beyond it
    ];
    for (const bytes of cases) expect(() => decodeBatch(bytes)).toThrow(InvalidOpError);
    expect(decodeBatch(batch(1, 0, 1, MAX_COUNTER, 1, 0, 0, 5))).toHaveLength(1);
    expect(() => decodeBatch(batch(2, 1, 1, 5, 2, 2, 0, 1, 1))).toThrow(/below 1/); // delete targets stepping below 1
  });
});

describe('columns (v3)', () => {
  it('round-trip any ops, and refuse damaged bytes', async () => {
    const { decodeColumns, encodeColumns } = await import('../src/crdt/batch-codec.js');
    fc.assert(
      fc.property(scenarioArb(4, 80), (scenario) => {
        const { ops } = play((a) => new FastList<number>(a), scenario);
        const bytes = encodeColumns(ops);
        expect(decodeColumns(bytes)).toEqual(ops);
        if (ops.length > 0) expect(() => decodeColumns(bytes.subarray(0, bytes.length - 1))).toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
