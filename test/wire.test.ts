import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { decodeOp, encodeOp } from '../src/transport/wire.js';

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
});
