import { pushVarint } from '../codec.js';
import { byteCodec, stringCodec, type ValueCodec } from '../value-codec.js';
import { actorOf, MOVED, NONE, PREDICTED, resolveColumns, STAGE_SHIFT, WRITTEN, type SavedColumns } from './saved.js';
import { count, fixedColumn, pushColumn, readDeletes, readPairs, varints, writePairs, writeRuns, type Cursor } from './state-bytes.js';
import { toListState, type ListState, type PieceState, type StateColumns } from './state.js';
import { decodeV5, STATE_V4, STATE_V5 } from './state-v5.js';

/**
 * A list's state as bytes (format v6), for snapshots: the actors held, the pieces as columns,
 * the op log, what was retired and collected, then every value (deleted ones too) in list order,
 * so a compressor sees them as one stream. Columns of numbers are fixed-width where they can be,
 * so that loading reads them as they lie (a typed array over the bytes), with no pass of its own.
 *
 *   state  := 0x06 held pieces origins deletes order retired collected values
 *   held   := n:varint (actor:varint ops:varint)*    the actors held, which the rest name by index here
 *   pieces := n:varint actor:col counter:col length:col parent:col flags:col
 *     actor:   index in held
 *     parent:  parent index - own index, signed; 0 = the root
 *     flags:   bit 0 deleted, bit 1 left child, bits 2-3 the other origin: 0 none, 1 the parent's
 *              (its right origin for a right child, its left origin for a left child), 2 written;
 *              bit 4 moved (both origins written, bits 2-3 are 0); bits 5-6 the tombstone's stage
 *              (0, 1 retired, 2 collectable)
 *   origins := n:varint varint*    n numbers, piece after piece, for the pieces whose flags say so:
 *              (actor, zigzag(counter - the piece's counter)) for its other origin if written; for
 *              a moved piece, its left then its right origin, each as 0 (none) or
 *              (actor + 1, zigzag(counter - the piece's counter))
 *   A piece's own origin is the one it hangs off: a right child's left origin is its parent's last
 *   element, a left child's right origin its parent's first element, a child of the root has no
 *   left origin. Where that does not hold, the piece moved: an origin of it was collected, and it
 *   took that piece's place under the piece's parent (`FastList.collect`).
 *   deletes := n:varint (actor:varint runs:varint start:col length:col targetActor:col target:col step:col)*
 *     start: counter - the previous run's end, signed; targetActor: index in held; target: first
 *     target - the previous run's first target, signed; step: signed, 0 in a run of one (delete k
 *     of a run has counter start + k and targets target + k * step)
 *   order   := runs:varint (actor:varint first:varint length:varint)*    (consecutive counters of
 *              one actor; actor: index in held)
 *   retired, collected := n:varint (actor:varint ops:varint)*
 *   values  := n:varint (col | 0xff name:string value*)
 *   col     := width:byte, zero bytes up to a multiple of width (counted from the format byte),
 *              then each number in width (1, 2 or 4) bytes, little-endian, two's complement where
 *              signed; width 0: varints, zigzag where signed (numbers 32 bits do not hold)
 *
 * Values are non-negative integers (genes, char codes) in a column, or, written by a value codec
 * (`ValueCodec`) other than `byteCodec`, the codec's name (UTF-8, length first) and each value as
 * it writes it: reading them takes a codec of that name. Fixed widths cost bytes (the trace's
 * snapshot is 108,138 bytes, 97,723 as v5's varints), but loading it runs a third fewer
 * instructions (INTERNALS.md, "Performance log"). Versions 4 and 5 are read too (`state-v5.ts`).
 */
export const STATE_V6 = 6;
/** The values section's first byte where a codec wrote the values (a column's width is 0 to 4). */
const CODED = 0xff;

/** Values a column can hold, or a RangeError naming the first that is not one. */
function checkNumbers(values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) {
      throw new RangeError(`encodeState: value ${i} (${typeof v === 'string' ? JSON.stringify(v) : String(v)}) is not a whole number of 0 or more; give a value codec (stringCodec, jsonCodec or your own)`);
    }
  }
}

export function encodeState(state: ListState<number>): Uint8Array;
export function encodeState<T>(state: ListState<T>, codec: ValueCodec<T>): Uint8Array;
export function encodeState<T>(state: ListState<T>, codec?: ValueCodec<T>): Uint8Array {
  const { pieces, log } = state;
  const out: number[] = [STATE_V6];
  writePairs(out, log.held);
  const indices = new Map<number, number>();
  log.held.forEach(([actor], i) => indices.set(actor, indices.get(actor) ?? i));
  const index = (actor: number): number => {
    const i = indices.get(actor);
    if (i === undefined) throw new Error(`a${actor} is named but not held`);
    return i;
  };
  pushVarint(out, pieces.length);
  pushColumn(out, pieces.map((p) => index(p.actor)), false);
  pushColumn(out, pieces.map((p) => p.counter), false);
  pushColumn(out, pieces.map((p) => p.values.length), false);
  pushColumn(out, pieces.map((p, i) => (p.parent < 0 ? 0 : p.parent - i)), true);
  const origins: number[] = [];
  pushColumn(out, pieces.map((p) => flagsOf(p, pieces, origins)), false);
  pushVarint(out, origins.length);
  for (const x of origins) pushVarint(out, x);
  pushVarint(out, log.deletes.length);
  for (const d of log.deletes) {
    pushVarint(out, index(d.actor));
    pushVarint(out, d.runs.length / 5);
    writeRuns(d.runs, (xs, signed) => pushColumn(out, xs, signed), index);
  }
  pushVarint(out, log.order.length / 3);
  for (let i = 0; i < log.order.length; i += 3) for (const x of [index(log.order[i] as number), log.order[i + 1] as number, log.order[i + 2] as number]) pushVarint(out, x);
  for (const version of [state.retired ?? [], state.collected ?? []]) writePairs(out, version);
  const values: T[] = [];
  for (const p of pieces) for (const v of p.values) values.push(v);
  pushVarint(out, values.length);
  if (codec === undefined || codec.name === byteCodec.name) {
    checkNumbers(values);
    pushColumn(out, values as number[], false);
  } else {
    out.push(CODED);
    stringCodec.write(out, codec.name);
    for (const v of values) {
      const before = out.length;
      codec.write(out, v);
      // A count is checked against the bytes left (`count`), so each value must take one at least.
      if (out.length === before) throw new RangeError(`encodeState: the ${codec.name} codec wrote no bytes for a value`);
    }
  }
  return Uint8Array.from(out);
}

/**
 * Piece `p`'s flags (see `encodeState`), the numbers of the origins it writes pushed on
 * `origins`: none when it hangs off its own origin and its other one is none or its parent's.
 */
export function flagsOf<T>(p: PieceState<T>, pieces: readonly PieceState<T>[], origins: number[]): number {
  const moved = movedUp(p, pieces);
  const mode = moved ? NONE : otherOrigin(p, pieces);
  const zigzag = (c: number): number => (c >= p.counter ? (c - p.counter) * 2 : (p.counter - c) * 2 - 1);
  if (moved) for (const [a, c] of [[p.olA, p.olC], [p.orA, p.orC]] as const) origins.push(...(a >= 0 ? [a + 1, zigzag(c)] : [0]));
  else if (mode === WRITTEN) {
    const [a, c] = p.side === 'R' ? [p.orA, p.orC] : [p.olA, p.olC];
    origins.push(a, zigzag(c));
  }
  return (p.deleted ? 1 : 0) | (p.side === 'L' ? 2 : 0) | (mode << 2) | (moved ? MOVED : 0) | ((p.gc ?? 0) << STAGE_SHIFT);
}

/** Whether a piece does not hang off its own origin: that or its other origin was collected, and it moved up (both origins are written). */
function movedUp<T>(p: PieceState<T>, pieces: readonly PieceState<T>[]): boolean {
  const parent = pieces[p.parent];
  if (parent === undefined) return p.olA >= 0;
  return p.side === 'R' ? p.olA !== parent.actor || p.olC !== parent.counter + parent.values.length - 1 : p.orA !== parent.actor || p.orC !== parent.counter;
}

/**
 * A piece hangs off one of its origins (a right child of its left origin, or a left child of its
 * right origin), so only the other one is saved, and mostly it is the parent's own: typing at the
 * end of a run keeps the run's right origin; typing inside a run has the run's left origin.
 */
function otherOrigin<T>(p: PieceState<T>, pieces: readonly PieceState<T>[]): number {
  const [a, c] = p.side === 'R' ? [p.orA, p.orC] : [p.olA, p.olC];
  if (a < 0) return NONE;
  const parent = pieces[p.parent];
  if (parent === undefined) return WRITTEN;
  const [pa, pc] = p.side === 'R' ? [parent.orA, parent.orC] : [parent.olA, parent.olC];
  return a === pa && c === pc ? PREDICTED : WRITTEN;
}

/**
 * Bytes from `encodeState` back to a state, its values read by `codec` (none: numbers, as
 * `encodeState` wrote them without one); throws on bytes that are damaged or not a state, or
 * whose values another codec wrote.
 */
export function decodeState(bytes: Uint8Array): ListState<number>;
export function decodeState<T>(bytes: Uint8Array, codec: ValueCodec<T>): ListState<T>;
export function decodeState<T>(bytes: Uint8Array, codec?: ValueCodec<T>): ListState<T> {
  return toListState(decodeColumns(bytes, codec as ValueCodec<T>));
}

/** As `decodeState`, into columns with every origin spelled out (what merging a state reads). */
export function decodeColumns(bytes: Uint8Array): StateColumns<number>;
export function decodeColumns<T>(bytes: Uint8Array, codec: ValueCodec<T>): StateColumns<T>;
export function decodeColumns<T>(bytes: Uint8Array, codec?: ValueCodec<T>): StateColumns<T> {
  return resolveColumns(decodeSaved(bytes, codec as ValueCodec<T>));
}

/**
 * Bytes from `encodeState` (or a v4 or v5 state) as saved columns (what `FastList.fromSaved`
 * loads), mostly typed arrays over the bytes; throws on bytes that are damaged or not a state.
 */
export function decodeSaved(bytes: Uint8Array): SavedColumns<number>;
export function decodeSaved<T>(bytes: Uint8Array, codec: ValueCodec<T>): SavedColumns<T>;
export function decodeSaved<T>(bytes: Uint8Array, codec?: ValueCodec<T>): SavedColumns<T> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeState: bytes must be a Uint8Array');
  // Fixed-width columns are read in place, at multiples of their width from the format byte.
  if (bytes.byteOffset % 4 !== 0) bytes = new Uint8Array(bytes);
  const r = { pos: 0 };
  const format = bytes[r.pos++];
  const coded = codec !== undefined && codec.name !== byteCodec.name ? codec : null;
  if (coded !== null && format !== STATE_V6) throw new Error(`a v${String(format)} list state holds numbers: read it without the ${coded.name} codec`);
  const saved = format === STATE_V6 ? decodeV6(bytes, r, coded) : format === STATE_V5 || format === STATE_V4 ? decodeV5(bytes, r, format) : null;
  if (saved === null) throw new Error(`not a v${STATE_V6} (or v${STATE_V5}, v${STATE_V4}) list state`);
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return saved as SavedColumns<T>;
}

function decodeV6<T>(bytes: Uint8Array, r: Cursor, codec: ValueCodec<T> | null): SavedColumns<number | T> {
  const held = readPairs(bytes, r);
  const actorTable = held.map(([actor]) => actor);
  const actorAt = (i: number): number => {
    const actor = actorTable[i];
    if (actor === undefined) throw new Error(`no actor held has index ${i}`);
    return actor;
  };
  const n = count(bytes, r);
  const actors = fixedColumn(bytes, r, n, false);
  const counters = fixedColumn(bytes, r, n, false);
  const lengths = fixedColumn(bytes, r, n, false);
  const parents = fixedColumn(bytes, r, n, true);
  const flags = fixedColumn(bytes, r, n, false);
  const origins = varints(bytes, r, count(bytes, r), false);
  const deletes = readDeletes(bytes, r, held.reduce((sum, [, k]) => sum + k, 0), (k, signed) => fixedColumn(bytes, r, k, signed), actorTable);
  const order = varints(bytes, r, count(bytes, r) * 3, false);
  for (let i = 0; i < order.length; i += 3) order[i] = actorAt(order[i] as number);
  const retired = readPairs(bytes, r);
  const collected = readPairs(bytes, r);
  const values = readValues(bytes, r, count(bytes, r), codec);
  return { actorTable, actors, counters, lengths, parents, flags, origins, given: null, values, log: { held, deletes, order }, retired, collected };
}

/** The values section: a column of numbers, or what `codec` wrote, under its name. */
function readValues<T>(bytes: Uint8Array, r: Cursor, n: number, codec: ValueCodec<T> | null): ArrayLike<number> | T[] {
  const coded = bytes[r.pos] === CODED;
  if (!coded) {
    if (codec !== null) throw new Error(`the state's values are numbers: read it without the ${codec.name} codec`);
    return fixedColumn(bytes, r, n, false);
  }
  r.pos++;
  const name = stringCodec.read(bytes, r);
  if (codec === null || codec.name !== name) throw new Error(`the state's values were written by the ${name} codec: read it with that codec${codec === null ? '' : `, not ${codec.name}`}`);
  const values: T[] = new Array<T>(n);
  for (let i = 0; i < n; i++) values[i] = codec.read(bytes, r);
  return values;
}
