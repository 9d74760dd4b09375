import { pushVarint, pushZigzag, readVarint } from '../codec.js';
import { actorOf } from './saved.js';
import type { LogState } from './state.js';

// Reading and writing the parts of a list state (`state-codec.ts`, and v4/v5 in `state-v5.ts`).

export type Cursor = { pos: number };

/** A count read before that many items: no larger than the bytes left could hold, one byte each. */
export function count(bytes: Uint8Array, r: Cursor): number {
  const n = readVarint(bytes, r);
  if (n > bytes.length - r.pos) throw new Error(`a count of ${n} is more than the ${bytes.length - r.pos} bytes left`);
  return n;
}

/** `n` varints (zigzag ones when `signed`), with one-byte ones read inline: most are. */
export function varints(bytes: Uint8Array, r: Cursor, n: number, signed: boolean): number[] {
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

export function column<X>(n: number, read: (i: number) => X): X[] {
  const out = new Array<X>(n);
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}

export function readPairs(bytes: Uint8Array, r: Cursor): Array<[number, number]> {
  return column(count(bytes, r), (): [number, number] => [actorOf(readVarint(bytes, r)), readVarint(bytes, r)]);
}

export function writePairs(out: number[], pairs: ReadonlyArray<readonly [number, number]>): void {
  pushVarint(out, pairs.length);
  for (const [actor, n] of pairs) {
    pushVarint(out, actor);
    pushVarint(out, n);
  }
}

/**
 * One actor's runs of deletes as saved (`encodeState`): five columns, each run's first counter
 * as a difference from the previous run's end, its first target from the previous run's first
 * target, its target's actor as an index in `table` (or the actor itself, `table` null). Loading
 * checks them as they are (`checkOps`); `runs` interleaves them into `LogState` runs the first
 * time it is read (what the op log keeps), so a list loaded to be read never does.
 */
export class SavedDeletes {
  readonly actor: number;
  /** How many runs. */
  readonly n: number;
  readonly starts: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
  readonly targetActors: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
  readonly steps: ArrayLike<number>;
  readonly table: readonly number[] | null;
  #runs: number[] | null = null;

  constructor(actor: number, n: number, columns: readonly ArrayLike<number>[], table: readonly number[] | null) {
    this.actor = actor;
    this.n = n;
    [this.starts, this.lengths, this.targetActors, this.targets, this.steps] = columns as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
    this.table = table;
  }

  /** The runs as `LogState` has them: five numbers a run, counters and targets as they are. */
  get runs(): number[] {
    if (this.#runs !== null) return this.#runs;
    const { n, starts, lengths, targetActors, targets, steps, table } = this;
    const runs = new Array<number>(n * 5);
    for (let i = 0, end = 0, target = 0; i < n; i++) {
      const length = lengths[i] as number;
      const t = targetActors[i] as number;
      runs[i * 5] = end += starts[i] as number;
      runs[i * 5 + 1] = length;
      runs[i * 5 + 2] = table === null ? t : (table[t] as number);
      runs[i * 5 + 3] = target += targets[i] as number;
      runs[i * 5 + 4] = steps[i] as number;
      end += length;
    }
    return (this.#runs = runs);
  }
}

/** `d`'s runs as columns (`SavedDeletes`): as read, or, for runs given as numbers, written so (`writeRuns`). */
export function savedDeletes(d: LogState['deletes'][number]): SavedDeletes {
  if (d instanceof SavedDeletes) return d;
  const columns: number[][] = [];
  writeRuns(d.runs, (xs) => columns.push(xs), (actor) => actor);
  // (`OpLog.of` refused runs not of five numbers each; numbers that are not whole come out NaN or
  // out of range, which `checkOps` refuses as it did the runs themselves.)
  return new SavedDeletes(d.actor, (columns[0] as number[]).length, columns, null);
}

/**
 * Each actor's runs of deletes, the five fields of its runs as columns (`read` reads one: `n`
 * numbers, signed or not), kept as columns (`SavedDeletes`); actors are named by their index in
 * `table`, or are themselves when it is null. A run of deletes costs a few bytes however long it
 * is: the ops are bounded by `budget`, what is held. Checked here as the interleaving was, with
 * no more than a read of two columns per run: the budget, and that each target's actor is held.
 */
export function readDeletes(bytes: Uint8Array, r: Cursor, budget: number, read: (n: number, signed: boolean) => ArrayLike<number>, table: readonly number[] | null): SavedDeletes[] {
  const actorAt = (i: number): number => {
    const actor = table === null ? actorOf(i) : table[i];
    if (actor === undefined) throw new Error(`no actor held has index ${i}`);
    return actor;
  };
  return column(count(bytes, r), () => {
    const actor = actorAt(readVarint(bytes, r));
    const n = count(bytes, r);
    const columns = [read(n, true), read(n, false), read(n, false), read(n, true), read(n, true)];
    // (Each column in a local, the target's actor checked again only when it changes: this
    // loop runs before V8 has optimised it, where every property read and call costs.)
    const lengths = columns[1] as ArrayLike<number>;
    const targetActors = columns[2] as ArrayLike<number>;
    let named = -1;
    for (let i = 0; i < n; i++) {
      if ((budget -= lengths[i] as number) < 0) throw new Error('more deletes than ops held');
      const t = targetActors[i] as number;
      if (t !== named) {
        named = t;
        actorAt(t);
      }
    }
    return new SavedDeletes(actor, n, columns, table);
  });
}

/** `runs`' fields as columns (what `readDeletes` reads), counters and targets as differences from the previous run's end and first target; `write` writes one. */
export function writeRuns(runs: readonly number[], write: (xs: number[], signed: boolean) => void, actorOf: (actor: number) => number): void {
  const starts: number[] = [];
  const lengths: number[] = [];
  const targetActors: number[] = [];
  const targets: number[] = [];
  const steps: number[] = [];
  for (let i = 0, end = 0, target = 0; i < runs.length; i += 5) {
    starts.push((runs[i] as number) - end);
    end = (runs[i] as number) + (runs[i + 1] as number);
    lengths.push(runs[i + 1] as number);
    targetActors.push(actorOf(runs[i + 2] as number));
    targets.push((runs[i + 3] as number) - target);
    target = runs[i + 3] as number;
    // A run of one has no step.
    steps.push((runs[i + 1] as number) > 1 ? (runs[i + 4] as number) : 0);
  }
  write(starts, true);
  write(lengths, false);
  write(targetActors, false);
  write(targets, true);
  write(steps, true);
}

/** Whether this machine stores numbers little-endian, as a typed array over bytes reads them. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * A column of `n` numbers (`pushColumn`): a width byte, padding, then the numbers. Where they take
 * 1, 2 or 4 bytes each, they are read as a typed array over the bytes themselves, with nothing
 * done per number; `bytes` must then start at a multiple of 4 in its buffer. On a big-endian
 * machine (`littleEndian` false), they are read one by one.
 */
export function fixedColumn(bytes: Uint8Array, r: Cursor, n: number, signed: boolean, littleEndian = LITTLE_ENDIAN): ArrayLike<number> {
  const width = bytes[r.pos++];
  if (width === 0) return varints(bytes, r, n, signed);
  if (width !== 1 && width !== 2 && width !== 4) throw new Error(`bad column width ${width} at byte ${r.pos - 1}`);
  while (r.pos % width !== 0) if (bytes[r.pos++] !== 0) throw new Error(`bad padding at byte ${r.pos - 1}`);
  if (n * width > bytes.length - r.pos) throw new Error(`a column of ${n} numbers of ${width} bytes is longer than the ${bytes.length - r.pos} bytes left`);
  const at = r.pos;
  r.pos += n * width;
  if (!littleEndian) {
    const view = new DataView(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, n * width);
    const get = width === 1 ? (signed ? view.getInt8 : view.getUint8) : width === 2 ? (signed ? view.getInt16 : view.getUint16) : signed ? view.getInt32 : view.getUint32;
    return column(n, (i) => get.call(view, i * width, true));
  }
  const Column = width === 1 ? (signed ? Int8Array : Uint8Array) : width === 2 ? (signed ? Int16Array : Uint16Array) : signed ? Int32Array : Uint32Array;
  return new Column(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, n);
}

/**
 * Writes `xs` as a column (`fixedColumn`): each number in the fewest bytes of 1, 2 and 4 that
 * hold them all (two's complement where `signed`), after zero bytes up to a multiple of that
 * width from the start of `out`; width 0, varints (zigzag where signed), for numbers 32 bits do
 * not hold.
 */
export function pushColumn(out: number[], xs: readonly number[], signed: boolean): void {
  let lo = 0;
  let hi = 0;
  for (const x of xs) {
    if (!Number.isSafeInteger(x)) lo = -Infinity;
    else if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  const fits = (bits: number): boolean => (signed ? lo >= -(2 ** (bits - 1)) && hi < 2 ** (bits - 1) : lo >= 0 && hi < 2 ** bits);
  const width = fits(8) ? 1 : fits(16) ? 2 : fits(32) ? 4 : 0;
  out.push(width);
  if (width === 0) {
    for (const x of xs) (signed ? pushZigzag : pushVarint)(out, x);
    return;
  }
  while (out.length % width !== 0) out.push(0);
  for (const x of xs) {
    let v = x < 0 ? x + 2 ** (8 * width) : x;
    for (let k = 0; k < width; k++) {
      out.push(v % 256);
      v = Math.floor(v / 256);
    }
  }
}
