import { readVarint } from '../codec.js';
import { actorOf, badFlags, MODE_SHIFT, MOVED, WRITTEN, type SavedColumns } from './saved.js';
import { count, readDeletes, readPairs, varints, type Cursor } from './state-bytes.js';

/**
 * List state v5, what stores and peers from before v6 hold and send: as v6 (`state-codec.ts`),
 * but every number a varint, actors themselves rather than indices, and the op log after the
 * pieces' columns.
 *
 *   state  := 0x05 pieces:varint actor* counter* length* parent* flags* origin* held deletes order
 *             retired collected values
 *   counter:    zigzag(counter - the previous piece's end)
 *   parent:     zigzag(parent index - own index); 0 = the root
 *   flags, origin: as v6
 *   held    := n:varint (actor:varint ops:varint)*
 *   deletes := n:varint (actor:varint runs:varint start* length* targetActor* target* step*)*
 *              (start, target, step: zigzag varints, as v6's; targetActor: the actor itself)
 *   order   := runs:varint (actor:varint first:varint length:varint)*
 *   retired, collected := n:varint (actor:varint ops:varint)*
 *   values  := varint per element
 *
 * Version 4 is version 5 with no moved pieces and no retired or collected.
 */
export const STATE_V4 = 4;
export const STATE_V5 = 5;

/** A v4 or v5 state (`bytes`, its format byte read by `r`) as saved columns. */
export function decodeV5(bytes: Uint8Array, r: Cursor, format: number): SavedColumns<number> {
  const n = count(bytes, r);
  const actors = varints(bytes, r, n, false);
  const counters = varints(bytes, r, n, true);
  const lengths = varints(bytes, r, n, false);
  let total = 0;
  // Counters are written relative to the previous piece's end.
  for (let i = 0, end = 0; i < n; i++) {
    actorOf(actors[i] as number);
    counters[i] = end + (counters[i] as number);
    end = (counters[i] as number) + (lengths[i] as number);
    total += lengths[i] as number;
  }
  const parents = varints(bytes, r, n, true);
  const flags = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const f = bytes[r.pos++];
    if (f === undefined || badFlags(f) || (f & MOVED && format === STATE_V4)) throw new Error(`bad piece flags at byte ${r.pos - 1}`);
    flags[i] = f;
  }
  // The numbers of written origins, as they are: loading reads them with the pieces.
  const origins: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = flags[i] as number;
    if (f & MOVED) {
      for (let k = 0; k < 2; k++) {
        const a = readVarint(bytes, r);
        origins.push(a);
        if (a > 0) origins.push(readVarint(bytes, r));
      }
    } else if (((f >> MODE_SHIFT) & 3) === WRITTEN) origins.push(readVarint(bytes, r), readVarint(bytes, r));
  }
  const held = readPairs(bytes, r);
  const deletes = readDeletes(bytes, r, held.reduce((sum, [, k]) => sum + k, 0), (k, signed) => varints(bytes, r, k, signed), null);
  const order = varints(bytes, r, count(bytes, r) * 3, false);
  const [retired, collected] = format === STATE_V4 ? [[], []] : [readPairs(bytes, r), readPairs(bytes, r)];
  // Every value takes a byte at least: bound them by the bytes left before allocating.
  if (total > bytes.length - r.pos) throw new Error(`${total} values in ${bytes.length - r.pos} bytes`);
  const values = oneByteEach(bytes, r.pos, total) ? bytes.subarray(r.pos, (r.pos += total)) : varints(bytes, r, total, false);
  return { actorTable: null, actors, counters, lengths, parents, flags, origins, given: null, values, log: { held, deletes, order }, retired, collected };
}

/**
 * Whether the `n` varints at `from` are the last bytes and one byte each (text, mostly): then they
 * are those bytes. Each is below 0x80 exactly when they decode as UTF-8 to as many characters (a
 * byte from 0x80 up is refused or starts a character of several bytes): a check done natively,
 * where a loop over every value runs mostly in the interpreter on a cold load.
 */
function oneByteEach(bytes: Uint8Array, from: number, n: number): boolean {
  if (bytes.length - from !== n) return false;
  try {
    return ASCII.decode(bytes.subarray(from)).length === n;
  } catch {
    return false;
  }
}

const ASCII = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
