import { pushVarint, pushZigzag } from '../../src/crdt/codec.js';
import { writePairs, writeRuns } from '../../src/crdt/fast/state-bytes.js';
import { flagsOf } from '../../src/crdt/fast/state-codec.js';
import type { ListState } from '../../src/crdt/fast/state.js';

/**
 * A state as list state v5 (`src/crdt/fast/state-v5.ts`): what stores and peers from before v6
 * hold and send, which loading still reads. Every number a varint, actors themselves.
 */
export function encodeStateV5(state: ListState<number>): Uint8Array {
  const { pieces, log } = state;
  const out: number[] = [5];
  const varints = (xs: readonly number[], signed: boolean): void => {
    for (const x of xs) (signed ? pushZigzag : pushVarint)(out, x);
  };
  pushVarint(out, pieces.length);
  varints(pieces.map((p) => p.actor), false);
  varints(pieces.map((p, i) => p.counter - (i === 0 ? 0 : (pieces[i - 1]?.counter as number) + (pieces[i - 1]?.values.length as number))), true);
  varints(pieces.map((p) => p.values.length), false);
  varints(pieces.map((p, i) => (p.parent < 0 ? 0 : p.parent - i)), true);
  const origins: number[] = [];
  for (const p of pieces) out.push(flagsOf(p, pieces, origins));
  varints(origins, false);
  writePairs(out, log.held);
  pushVarint(out, log.deletes.length);
  for (const d of log.deletes) {
    pushVarint(out, d.actor);
    pushVarint(out, d.runs.length / 5);
    writeRuns(d.runs, varints, (actor) => actor);
  }
  pushVarint(out, log.order.length / 3);
  varints(log.order, false);
  for (const version of [state.retired ?? [], state.collected ?? []]) writePairs(out, version);
  varints(pieces.flatMap((p) => p.values), false);
  return Uint8Array.from(out);
}
