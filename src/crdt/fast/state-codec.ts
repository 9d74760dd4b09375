import { pushVarint, pushZigzag, readVarint, readZigzag } from '../codec.js';
import { actorOf, badFlags, MODE_SHIFT, MOVED, NONE, PREDICTED, resolveColumns, STAGE_SHIFT, WRITTEN, type SavedColumns } from './saved.js';
import { toListState, type ListState, type LogState, type PieceState, type StateColumns } from './state.js';

/**
 * A list's state as bytes (format v5), for snapshots: the pieces as columns, then the op log,
 * then what was retired and collected, then every value (deleted ones too) in list order, so a
 * compressor sees them as one stream.
 *
 *   state  := 0x05 pieces:varint actor* counter* length* parent* flags* origin* held deletes order
 *             retired collected values
 *   counter:    zigzag(counter - the previous piece's end)
 *   parent:     zigzag(parent index - own index); 0 = the root
 *   flags:      bit 0 deleted, bit 1 left child, bits 2-3 the other origin: 0 none, 1 the parent's
 *               (its right origin for a right child, its left origin for a left child), 2 written;
 *               bit 4 moved (both origins written, bits 2-3 are 0); bits 5-6 the tombstone's stage
 *               (0, 1 retired, 2 collectable)
 *   origin:     (actor:varint zigzag(counter - the piece's counter)) for its other origin if written;
 *               for a moved piece, its left then its right origin, each as 0 (none) or
 *               (actor + 1:varint zigzag(counter - the piece's counter))
 *   A piece's own origin is the one it hangs off: a right child's left origin is its parent's last
 *   element, a left child's right origin its parent's first element, a child of the root has no
 *   left origin. Where that does not hold, the piece moved: an origin of it was collected, and it
 *   took that piece's place under the piece's parent (`FastList.collect`).
 *   held    := n:varint (actor:varint ops:varint)*
 *   deletes := n:varint (actor:varint runs:varint deleteRun*)*
 *   deleteRun := zigzag(counter - previous run's end) length:varint targetActor:varint
 *                zigzag(target - previous run's target) zigzag(step)
 *                (delete k of the run has counter + k and targets target + k * step)
 *   order   := runs:varint (actor:varint first:varint length:varint)*   (consecutive counters of one actor)
 *   retired, collected := n:varint (actor:varint ops:varint)*
 *   values  := varint per element
 *
 * Values are non-negative integers (genes, char codes). Version 4, read too, is version 5 with
 * flags below 16 and no retired or collected.
 */
export const STATE_V4 = 4;
export const STATE_V5 = 5;

export function encodeState(state: ListState<number>): Uint8Array {
  const { pieces, log } = state;
  const out: number[] = [STATE_V5];
  pushVarint(out, pieces.length);
  for (const p of pieces) pushVarint(out, p.actor);
  let end = 0;
  for (const p of pieces) {
    pushZigzag(out, p.counter - end);
    end = p.counter + p.values.length;
  }
  for (const p of pieces) pushVarint(out, p.values.length);
  pieces.forEach((p, i) => pushZigzag(out, p.parent < 0 ? 0 : p.parent - i));
  const moved = pieces.map((p) => movedUp(p, pieces));
  const modes = pieces.map((p, i) => (moved[i] ? NONE : otherOrigin(p, pieces)));
  pieces.forEach((p, i) => out.push((p.deleted ? 1 : 0) | (p.side === 'L' ? 2 : 0) | ((modes[i] as number) << 2) | (moved[i] ? MOVED : 0) | ((p.gc ?? 0) << STAGE_SHIFT)));
  pieces.forEach((p, i) => {
    if (moved[i]) {
      for (const [a, c] of [[p.olA, p.olC], [p.orA, p.orC]] as const) {
        pushVarint(out, a + 1);
        if (a >= 0) pushZigzag(out, c - p.counter);
      }
    } else if (modes[i] === WRITTEN) {
      const [a, c] = p.side === 'R' ? [p.orA, p.orC] : [p.olA, p.olC];
      pushVarint(out, a);
      pushZigzag(out, c - p.counter);
    }
  });
  writeLog(out, log);
  for (const version of [state.retired ?? [], state.collected ?? []]) writePairs(out, version);
  for (const p of pieces) for (const v of p.values) pushVarint(out, v);
  return Uint8Array.from(out);
}

function writePairs(out: number[], pairs: ReadonlyArray<readonly [number, number]>): void {
  pushVarint(out, pairs.length);
  for (const [actor, n] of pairs) {
    pushVarint(out, actor);
    pushVarint(out, n);
  }
}

/** Whether a piece does not hang off its own origin: that or its other origin was collected, and it moved up (both origins are written). */
function movedUp(p: PieceState<number>, pieces: readonly PieceState<number>[]): boolean {
  const parent = pieces[p.parent];
  if (parent === undefined) return p.olA >= 0;
  return p.side === 'R' ? p.olA !== parent.actor || p.olC !== parent.counter + parent.values.length - 1 : p.orA !== parent.actor || p.orC !== parent.counter;
}

/**
 * A piece hangs off one of its origins (a right child of its left origin, or a left child of its
 * right origin), so only the other one is saved, and mostly it is the parent's own: typing at the
 * end of a run keeps the run's right origin; typing inside a run has the run's left origin.
 */
function otherOrigin(p: PieceState<number>, pieces: readonly PieceState<number>[]): number {
  const [a, c] = p.side === 'R' ? [p.orA, p.orC] : [p.olA, p.olC];
  if (a < 0) return NONE;
  const parent = pieces[p.parent];
  if (parent === undefined) return WRITTEN;
  const [pa, pc] = p.side === 'R' ? [parent.orA, parent.orC] : [parent.olA, parent.olC];
  return a === pa && c === pc ? PREDICTED : WRITTEN;
}

function writeLog(out: number[], log: LogState): void {
  pushVarint(out, log.held.length);
  for (const [actor, n] of log.held) {
    pushVarint(out, actor);
    pushVarint(out, n);
  }
  pushVarint(out, log.deletes.length);
  for (const d of log.deletes) {
    pushVarint(out, d.actor);
    const { runs } = d;
    pushVarint(out, runs.length / 5);
    // In columns: each field's numbers together, for the compressor; counters and targets as
    // differences from the previous run's end and first target.
    let [end, target] = [0, 0];
    for (let i = 0; i < runs.length; i += 5) {
      pushZigzag(out, (runs[i] as number) - end);
      end = (runs[i] as number) + (runs[i + 1] as number);
    }
    for (let i = 1; i < runs.length; i += 5) pushVarint(out, runs[i] as number);
    for (let i = 2; i < runs.length; i += 5) pushVarint(out, runs[i] as number);
    for (let i = 3; i < runs.length; i += 5) {
      pushZigzag(out, (runs[i] as number) - target);
      target = runs[i] as number;
    }
    for (let i = 4; i < runs.length; i += 5) pushZigzag(out, (runs[i - 3] as number) > 1 ? (runs[i] as number) : 0);
  }
  pushVarint(out, log.order.length / 3);
  for (const x of log.order) pushVarint(out, x);
}

/** Bytes from `encodeState` back to a state; throws on bytes that are damaged or not a state. */
export function decodeState(bytes: Uint8Array): ListState<number> {
  return toListState(decodeColumns(bytes));
}

/** As `decodeState`, into columns with every origin spelled out (what merging a state reads). */
export function decodeColumns(bytes: Uint8Array): StateColumns<number> {
  return resolveColumns(decodeSaved(bytes));
}

/** Bytes from `encodeState` as saved columns (what `FastList.fromSaved` loads); throws on bytes that are damaged or not a state. */
export function decodeSaved(bytes: Uint8Array): SavedColumns<number> {
  const r = { pos: 0 };
  const format = bytes[r.pos++];
  if (format !== STATE_V5 && format !== STATE_V4) throw new Error(`not a v${STATE_V5} (or v${STATE_V4}) list state`);
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
  const log = readLog(bytes, r);
  const [retired, collected] = format === STATE_V4 ? [[], []] : [readPairs(bytes, r), readPairs(bytes, r)];
  // Every value takes a byte at least: bound them by the bytes left before allocating.
  if (total > bytes.length - r.pos) throw new Error(`${total} values in ${bytes.length - r.pos} bytes`);
  const values = oneByteEach(bytes, r.pos, total) ? bytes.subarray(r.pos, (r.pos += total)) : varints(bytes, r, total, false);
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return { actorTable: null, actors, counters, lengths, parents, flags, origins, given: null, values, log, retired, collected };
}

function readPairs(bytes: Uint8Array, r: { pos: number }): Array<[number, number]> {
  return column(count(bytes, r), (): [number, number] => [actorOf(readVarint(bytes, r)), readVarint(bytes, r)]);
}

function readLog(bytes: Uint8Array, r: { pos: number }): LogState {
  const held = readPairs(bytes, r);
  // A run of deletes costs a few bytes however long it is: bound the ops by what is held.
  let budget = held.reduce((sum, [, n]) => sum + n, 0);
  const deletes = column(count(bytes, r), () => {
    const actor = actorOf(readVarint(bytes, r));
    const n = count(bytes, r);
    // Columns (see `writeLog`), then interleaved into runs.
    // (Each column in a local: this loop runs before V8 has optimised it, where every property
    // read is a call into V8.)
    const starts = varints(bytes, r, n, true);
    const lengths = varints(bytes, r, n, false);
    const targetActors = varints(bytes, r, n, false);
    const targets = varints(bytes, r, n, true);
    const steps = varints(bytes, r, n, true);
    const runs = new Array<number>(n * 5);
    for (let i = 0, end = 0, target = 0; i < n; i++) {
      const length = lengths[i] as number;
      if ((budget -= length) < 0) throw new Error('more deletes than ops held');
      runs[i * 5] = end += starts[i] as number;
      runs[i * 5 + 1] = length;
      runs[i * 5 + 2] = actorOf(targetActors[i] as number);
      runs[i * 5 + 3] = target += targets[i] as number;
      runs[i * 5 + 4] = steps[i] as number;
      end += length;
    }
    return { actor, runs };
  });
  const order = column(count(bytes, r) * 3, () => readVarint(bytes, r));
  return { held, deletes, order };
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

/** A count read before that many items: no larger than the bytes left could hold, one byte each. */
function count(bytes: Uint8Array, r: { pos: number }): number {
  const n = readVarint(bytes, r);
  if (n > bytes.length - r.pos) throw new Error(`a count of ${n} is more than the ${bytes.length - r.pos} bytes left`);
  return n;
}

/** `n` varints (zigzag ones when `signed`), with one-byte ones read inline: most are. */
function varints(bytes: Uint8Array, r: { pos: number }, n: number, signed: boolean): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const b = bytes[r.pos] as number;
    let v: number;
    if (b < 0x80) {
      v = b;
      r.pos++;
    } else v = readVarint(bytes, r);
    out[i] = !signed ? v : v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
  return out;
}

function column<X>(n: number, read: (i: number) => X): X[] {
  const out = new Array<X>(n);
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}
