import { pushVarint, pushZigzag, readVarint, readZigzag } from '../codec.js';
import type { ListState, LogState, PieceState } from './state.js';

/**
 * A list's state as bytes (format v4), for snapshots: the pieces as columns, then the op log,
 * then every value (deleted ones too) in list order, so a compressor sees them as one stream.
 *
 *   state  := 0x04 pieces:varint actor* counter* length* parent* flags* origin* held deletes order values
 *   counter:    zigzag(counter - the previous piece's end)
 *   parent:     zigzag(parent index - own index); 0 = the root
 *   flags:      bit 0 deleted, bit 1 left child, bits 2-3 the other origin: 0 none, 1 the parent's
 *               (its right origin for a right child, its left origin for a left child), 2 written
 *   origin:     actor:varint zigzag(counter - the piece's counter), for each written other origin
 *   A right child's left origin is its parent's last element; a left child's right origin is its
 *   parent's first element: those are not written.
 *   held    := n:varint (actor:varint ops:varint)*
 *   deletes := n:varint (actor:varint runs:varint deleteRun*)*
 *   deleteRun := zigzag(counter - previous run's end) length:varint targetActor:varint
 *                zigzag(target - previous run's target) zigzag(step)
 *                (delete k of the run has counter + k and targets target + k * step)
 *   order   := runs:varint (actor:varint first:varint length:varint)*   (consecutive counters of one actor)
 *   values  := varint per element
 *
 * Values are non-negative integers (genes, char codes).
 */
export const STATE_V4 = 4;

export function encodeState(state: ListState<number>): Uint8Array {
  const { pieces, log } = state;
  const out: number[] = [STATE_V4];
  pushVarint(out, pieces.length);
  for (const p of pieces) pushVarint(out, p.actor);
  let end = 0;
  for (const p of pieces) {
    pushZigzag(out, p.counter - end);
    end = p.counter + p.values.length;
  }
  for (const p of pieces) pushVarint(out, p.values.length);
  pieces.forEach((p, i) => pushZigzag(out, p.parent < 0 ? 0 : p.parent - i));
  const modes = pieces.map((p) => otherOrigin(p, pieces));
  pieces.forEach((p, i) => out.push((p.deleted ? 1 : 0) | (p.side === 'L' ? 2 : 0) | ((modes[i] as number) << 2)));
  pieces.forEach((p, i) => {
    if (modes[i] !== WRITTEN) return;
    const [a, c] = p.side === 'R' ? [p.orA, p.orC] : [p.olA, p.olC];
    pushVarint(out, a);
    pushZigzag(out, c - p.counter);
  });
  writeLog(out, log);
  for (const p of pieces) for (const v of p.values) pushVarint(out, v);
  return Uint8Array.from(out);
}

/** How a piece's other origin (the one its tree link does not give) is saved. */
const NONE = 0;
const PREDICTED = 1;
const WRITTEN = 2;

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
  const r = { pos: 0 };
  if (bytes[r.pos++] !== STATE_V4) throw new Error(`not a v${STATE_V4} list state`);
  const n = count(bytes, r);
  const actors = varints(bytes, r, n, false);
  for (let i = 0; i < n; i++) actorOf(actors[i] as number);
  const deltas = varints(bytes, r, n, true);
  const lengths = varints(bytes, r, n, false);
  // Counters are written relative to the previous piece's end.
  const counters = new Array<number>(n);
  let end = 0;
  for (let i = 0; i < n; i++) {
    counters[i] = end + (deltas[i] as number);
    end = (counters[i] as number) + (lengths[i] as number);
  }
  const parents = column(n, (i) => {
    const d = readZigzag(bytes, r);
    if (i + d < 0 || i + d >= n) throw new Error(`piece ${i} has a parent out of range`);
    return d === 0 ? -1 : i + d;
  });
  const flags = column(n, () => {
    const f = bytes[r.pos++];
    if (f === undefined || f > 11) throw new Error(`bad piece flags at byte ${r.pos - 1}`);
    return f;
  });
  const pieces: PieceState<number>[] = new Array<PieceState<number>>(n);
  for (let i = 0; i < n; i++) {
    const f = flags[i] as number;
    pieces[i] = { actor: actors[i] as number, counter: counters[i] as number, values: [], deleted: (f & 1) === 1, olA: -1, olC: 0, orA: -1, orC: 0, parent: parents[i] as number, side: f & 2 ? 'L' : 'R' };
  }
  for (let i = 0; i < n; i++) {
    if ((flags[i] as number) >> 2 !== WRITTEN) continue;
    const p = pieces[i] as PieceState<number>;
    setOther(p, actorOf(readVarint(bytes, r)), p.counter + readZigzag(bytes, r));
  }
  resolveOrigins(pieces, lengths, flags);
  const log = readLog(bytes, r);
  // Every value takes a byte at least: bound them by the bytes left before allocating their arrays.
  let total = 0;
  for (let i = 0; i < n; i++) total += lengths[i] as number;
  if (total > bytes.length - r.pos) throw new Error(`${total} values in ${bytes.length - r.pos} bytes`);
  for (let i = 0; i < n; i++) {
    const length = lengths[i] as number;
    const values = new Array<number>(length);
    for (let k = 0; k < length; k++) {
      // Most values (text, half the genes) take one byte: read those inline.
      const b = bytes[r.pos] as number;
      if (b < 0x80) {
        values[k] = b;
        r.pos++;
      } else values[k] = readVarint(bytes, r);
    }
    (pieces[i] as PieceState<number>).values = values;
  }
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return { pieces, log };
}

function setOther(p: PieceState<number>, actor: number, counter: number): void {
  if (p.side === 'R') {
    p.orA = actor;
    p.orC = counter;
  } else {
    p.olA = actor;
    p.olC = counter;
  }
}

/** Fill in each piece's origins from its parent: the one it hangs off, and a predicted other one. */
function resolveOrigins(pieces: PieceState<number>[], lengths: readonly number[], flags: readonly number[]): void {
  const done = new Uint8Array(pieces.length);
  const resolve = (i: number): void => {
    const p = pieces[i] as PieceState<number>;
    const parent = pieces[p.parent];
    if (parent === undefined) {
      if (p.side === 'L' || (flags[i] as number) >> 2 === PREDICTED) throw new Error(`piece ${i} cannot hang off the root that way`);
      return;
    }
    if (p.side === 'R') {
      p.olA = parent.actor;
      p.olC = parent.counter + (lengths[p.parent] as number) - 1;
    } else {
      p.orA = parent.actor;
      p.orC = parent.counter;
    }
    if ((flags[i] as number) >> 2 === PREDICTED) setOther(p, p.side === 'R' ? parent.orA : parent.olA, p.side === 'R' ? parent.orC : parent.olC);
  };
  const chain: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    // Parents first: walk up to the first resolved ancestor, then resolve down. (A cycle stops
    // the walk where it closes; `linkPieces` refuses it.)
    for (let j = i; j >= 0 && done[j] === 0; j = (pieces[j] as PieceState<number>).parent) {
      done[j] = 1;
      chain.push(j);
    }
    while (chain.length > 0) resolve(chain.pop() as number);
  }
}

function readLog(bytes: Uint8Array, r: { pos: number }): LogState {
  const held = column(count(bytes, r), (): [number, number] => [actorOf(readVarint(bytes, r)), readVarint(bytes, r)]);
  // A run of deletes costs a few bytes however long it is: bound the ops by what is held.
  let budget = held.reduce((sum, [, n]) => sum + n, 0);
  const deletes = column(count(bytes, r), () => {
    const actor = actorOf(readVarint(bytes, r));
    const n = count(bytes, r);
    const fields = [readZigzag, readVarint, readVarint, readZigzag, readZigzag].map((read) => column(n, () => read(bytes, r)));
    const [skips, lengths, actors, jumps, steps] = fields as [number[], number[], number[], number[], number[]];
    const runs = new Array<number>(n * 5);
    let [end, target] = [0, 0];
    for (let i = 0; i < n; i++) {
      const c = end + (skips[i] as number);
      const length = lengths[i] as number;
      const tc = target + (jumps[i] as number);
      if ((budget -= length) < 0) throw new Error('more deletes than ops held');
      runs[i * 5] = c;
      runs[i * 5 + 1] = length;
      runs[i * 5 + 2] = actorOf(actors[i] as number);
      runs[i * 5 + 3] = tc;
      runs[i * 5 + 4] = steps[i] as number;
      end = c + length;
      target = tc;
    }
    return { actor, runs };
  });
  const order = column(count(bytes, r) * 3, () => readVarint(bytes, r));
  return { held, deletes, order };
}

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

function actorOf(n: number): number {
  if (n > 0xffff) throw new Error(`bad actor ${n}`);
  return n;
}
