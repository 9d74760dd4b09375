import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { decodeOp, encodeBatches, encodeOp, MAX_BATCH_OPS, type WireBatch } from '../src/transport/wire.js';

describe('wire format v1', () => {
  it('round-trips ops', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 255 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))), (edits) => {
        const list = new ReferenceList<number>(actorId(3));
        const ops = edits.flatMap(([ins, v, at]): Op<number>[] =>
          ins || list.length === 0 ? [list.insert(Math.floor(at * (list.length + 1)), v)] : [list.delete(Math.floor(at * list.length))],
        );
        for (const op of ops) expect(decodeOp(JSON.parse(JSON.stringify(encodeOp(op))))).toEqual(op);
      }),
      { numRuns: 200 },
    );
  });

  it('splits batches under the byte and op limits, keeping order', () => {
    const list = new ReferenceList<number>(actorId(1));
    const ops = Array.from({ length: 5000 }, (_, i) => list.insert(0, i % 256));
    for (const maxBytes of [300, 10_000, 1 << 20]) {
      const batches = encodeBatches(actorId(1), ops, maxBytes);
      const back = batches.flatMap((b) => {
        expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(maxBytes);
        const parsed = JSON.parse(b.body) as WireBatch;
        expect(parsed.ops.length).toBe(b.count);
        expect(parsed.ops.length).toBeLessThanOrEqual(MAX_BATCH_OPS);
        return parsed.ops.map(decodeOp);
      });
      expect(back).toEqual(ops);
    }
    expect(encodeBatches(actorId(1), [])).toEqual([]);
  });
});
