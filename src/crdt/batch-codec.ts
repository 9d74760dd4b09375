import { pushVarint, pushZigzag, readVarint, readZigzag } from './codec.js';
import { MAX_ACTOR, stepped, type ActorId, type OpId } from './ids.js';
import type { DeleteOp, InsertOp, Op } from './ops.js';
import { InvalidOpError, MAX_COUNTER } from './validate.js';
import { byteCodec, type ValueCodec } from './value-codec.js';

/**
 * Binary batches of ops (format v2), run-length encoded: what typing and deleting produce comes
 * in runs, and a run costs a few bytes plus one byte per typed ASCII value.
 *
 *   batch   := 0x02 count:varint run*            (runs until `count` ops are read)
 *   run     := head:byte [actor:varint counter:varint] body
 *     head bit 0: 0 = insert run, 1 = delete run
 *     head bit 1: 1 = the run's first id follows the previous run's last (same actor, counter + 1);
 *                 0 = the id is written out
 *   insert  := length:varint left:ref right:ref value:varint{length}
 *              element i > 0 has element i - 1 as left origin and the run's right origin
 *   delete  := length:varint target:ref step:zigzag-varint
 *              delete i removes (target.actor, target.counter + i * step)
 *   ref     := 0 (none) | 1 back:varint (the op's own actor, counter - back) | 2 actor:varint counter:varint
 *
 * Every number is an unsigned LEB128 varint. Values are written by a value codec: by default
 * (`byteCodec`) non-negative integers (genes, char codes) as varints.
 * Every id a decoder computes (run offsets, follow-on runs, delete steps, back references) is
 * checked before use: a counter below 1 is a malformed batch; one above MAX_COUNTER is an op no
 * replica takes (`InvalidOpError`).
 */
export const BATCH_V2 = 2;
/** Most ops a batch may claim: a run of deletes costs no bytes per op, so the count is bounded. */
export const MAX_BATCH_COUNT = 1 << 20;

export function encodeBatch(ops: readonly Op<number>[]): Uint8Array;
export function encodeBatch<T>(ops: readonly Op<T>[], codec: ValueCodec<T>): Uint8Array;
export function encodeBatch<T>(ops: readonly Op<T>[], codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): Uint8Array {
  const out: number[] = [BATCH_V2];
  encodeRuns(ops, out, out, codec);
  return Uint8Array.from(out);
}

export function decodeBatch(bytes: Uint8Array): Op<number>[];
export function decodeBatch<T>(bytes: Uint8Array, codec: ValueCodec<T>): Op<T>[];
export function decodeBatch<T>(bytes: Uint8Array, codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): Op<T>[] {
  const r = { pos: 0 };
  if (bytes[r.pos++] !== BATCH_V2) throw new Error(`not a v${BATCH_V2} batch`);
  const ops = decodeRuns(bytes, r, bytes, r, codec);
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return ops;
}

/** Append a batch's runs (without the version byte) to `out`; for envelopes of other messages. */
export function writeBatch<T = number>(out: number[], ops: readonly Op<T>[], codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): void {
  encodeRuns(ops, out, out, codec);
}

/** Read a batch's runs (without the version byte) from `bytes` at `r`; at most `maxCount` ops. */
export function readBatch<T = number>(bytes: Uint8Array, r: { pos: number }, maxCount = MAX_BATCH_COUNT, codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): Op<T>[] {
  return decodeRuns(bytes, r, bytes, r, codec, maxCount);
}

/**
 * The same runs in columns (format v3): all values after all run headers, so that a compressor
 * sees the values (text, genes) as one stream.
 *   columns := 0x03 runsLength:varint runs values
 */
export const COLUMNS_V3 = 3;

export function encodeColumns(ops: readonly Op<number>[]): Uint8Array;
export function encodeColumns<T>(ops: readonly Op<T>[], codec: ValueCodec<T>): Uint8Array;
export function encodeColumns<T>(ops: readonly Op<T>[], codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): Uint8Array {
  const runs: number[] = [];
  const values: number[] = [];
  encodeRuns(ops, runs, values, codec);
  const out: number[] = [COLUMNS_V3];
  pushVarint(out, runs.length);
  const bytes = new Uint8Array(out.length + runs.length + values.length);
  bytes.set(out, 0);
  bytes.set(runs, out.length);
  bytes.set(values, out.length + runs.length);
  return bytes;
}

export function decodeColumns(bytes: Uint8Array): Op<number>[];
export function decodeColumns<T>(bytes: Uint8Array, codec: ValueCodec<T>): Op<T>[];
export function decodeColumns<T>(bytes: Uint8Array, codec: ValueCodec<T> = byteCodec as unknown as ValueCodec<T>): Op<T>[] {
  const r = { pos: 0 };
  if (bytes[r.pos++] !== COLUMNS_V3) throw new Error(`not a v${COLUMNS_V3} column set`);
  const runsLength = readVarint(bytes, r);
  const valuesStart = r.pos + runsLength;
  if (valuesStart > bytes.length) throw new Error('runs overrun the buffer');
  // The runs may not read into the values: give them only their own bytes.
  const v = { pos: valuesStart };
  const ops = decodeRuns(bytes.subarray(0, valuesStart), r, bytes, v, codec);
  if (r.pos !== valuesStart || v.pos !== bytes.length) throw new Error('column lengths do not match');
  return ops;
}

/** Runs to `out`, their values to `values` (the same array for inline batches). */
function encodeRuns<T>(ops: readonly Op<T>[], out: number[], values: number[], codec: ValueCodec<T>): void {
  pushVarint(out, ops.length);
  let prev: OpId | null = null;
  for (let i = 0; i < ops.length; ) {
    const first = ops[i] as Op<T>;
    const n = first.type === 'insert' ? insertRun(ops, i) : deleteRun(ops, i);
    const follows = prev !== null && first.id.actor === prev.actor && first.id.counter === prev.counter + 1;
    out.push((first.type === 'delete' ? 1 : 0) | (follows ? 2 : 0));
    if (!follows) {
      pushVarint(out, first.id.actor);
      pushVarint(out, first.id.counter);
    }
    pushVarint(out, n);
    if (first.type === 'insert') {
      pushRef(out, first.id, first.left);
      pushRef(out, first.id, first.right);
      for (let k = i; k < i + n; k++) codec.write(values, (ops[k] as InsertOp<T>).value);
    } else {
      pushRef(out, first.id, first.target);
      const step = n > 1 ? (ops[i + 1] as DeleteOp).target.counter - first.target.counter : 0;
      pushZigzag(out, step);
    }
    i += n;
    prev = (ops[i - 1] as Op<T>).id;
  }
}

/** Read runs from `bytes` at `r`, their values from `vbytes` at `v` (the same cursor when inline). */
function decodeRuns<T>(bytes: Uint8Array, r: { pos: number }, vbytes: Uint8Array, v: { pos: number }, codec: ValueCodec<T>, maxCount = MAX_BATCH_COUNT): Op<T>[] {
  const count = readVarint(bytes, r);
  if (count > maxCount) throw new Error(`a batch of ${count} ops is over the limit of ${maxCount}`);
  const ops: Op<T>[] = [];
  let prev: OpId | null = null;
  while (ops.length < count) {
    const head = bytes[r.pos++];
    if (head === undefined || head > 3) throw new Error(`bad run head at byte ${r.pos - 1}`);
    let actor: ActorId;
    let counter: number;
    if (head & 2) {
      if (prev === null) throw new Error('a run follows nothing');
      actor = prev.actor;
      counter = prev.counter + 1;
    } else {
      actor = readVarint(bytes, r) as ActorId;
      counter = readVarint(bytes, r);
    }
    if (actor > MAX_ACTOR) throw new Error(`bad actor ${actor}`);
    checkCounter(counter, 'run start', actor);
    const n = readVarint(bytes, r);
    if (n < 1 || ops.length + n > count) throw new Error(`bad run length ${n}`);
    checkCounter(counter + n - 1, 'run end', actor);
    const id0: OpId = { actor, counter };
    if (head & 1) {
      const target = readRef(bytes, r, id0);
      if (target === null) throw new Error('a delete needs a target');
      const step = readZigzag(bytes, r);
      // Targets move by a fixed step: the run's two ends bound every one of them.
      checkCounter(target.counter + (n - 1) * step, 'delete run target', target.actor);
      for (let k = 0; k < n; k++) {
        const t = stepped(target.counter, k, step);
        ops.push({ type: 'delete', id: { actor, counter: counter + k }, target: { actor: target.actor, counter: t } });
      }
    } else {
      const left = readRef(bytes, r, id0);
      const right = readRef(bytes, r, id0);
      for (let k = 0; k < n; k++) {
        const value = codec.read(vbytes, v);
        const l = k === 0 ? left : { actor, counter: counter + k - 1 };
        ops.push({ type: 'insert', id: { actor, counter: counter + k }, value, left: l, right });
      }
    }
    prev = { actor, counter: counter + n - 1 };
  }
  return ops;
}

/** How many ops from `i` on form one insert run. */
function insertRun<T>(ops: readonly Op<T>[], i: number): number {
  const first = ops[i] as InsertOp<T>;
  let n = 1;
  for (let k = i + 1; k < ops.length; k++, n++) {
    const op = ops[k] as Op<T>;
    const before = (ops[k - 1] as Op<T>).id;
    if (op.type !== 'insert' || op.id.actor !== first.id.actor || op.id.counter !== before.counter + 1) break;
    if (op.left === null || op.left.actor !== before.actor || op.left.counter !== before.counter) break;
    if (!sameRef(op.right, first.right)) break;
  }
  return n;
}

/** How many ops from `i` on form one delete run (consecutive ids, targets in a fixed step). */
function deleteRun<T>(ops: readonly Op<T>[], i: number): number {
  const first = ops[i] as DeleteOp;
  const second = ops[i + 1];
  if (second === undefined || second.type !== 'delete' || second.id.actor !== first.id.actor || second.id.counter !== first.id.counter + 1 || second.target.actor !== first.target.actor) return 1;
  const step = second.target.counter - first.target.counter;
  let n = 2;
  for (let k = i + 2; k < ops.length; k++, n++) {
    const op = ops[k] as Op<T>;
    const before = ops[k - 1] as DeleteOp;
    if (op.type !== 'delete' || op.id.actor !== first.id.actor || op.id.counter !== before.id.counter + 1) break;
    if (op.target.actor !== first.target.actor || op.target.counter !== before.target.counter + step) break;
  }
  return n;
}

const sameRef = (a: OpId | null, b: OpId | null): boolean => (a === null || b === null ? a === b : a.actor === b.actor && a.counter === b.counter);

function pushRef(out: number[], self: OpId, ref: OpId | null): void {
  if (ref === null) out.push(0);
  else if (ref.actor === self.actor && ref.counter < self.counter) {
    out.push(1);
    pushVarint(out, self.counter - ref.counter);
  } else {
    out.push(2);
    pushVarint(out, ref.actor);
    pushVarint(out, ref.counter);
  }
}

function readRef(bytes: Uint8Array, r: { pos: number }, self: OpId): OpId | null {
  const tag = bytes[r.pos++];
  if (tag === 0) return null;
  if (tag === 1) {
    const back = readVarint(bytes, r);
    if (back < 1 || back >= self.counter) throw new Error('bad back reference');
    return { actor: self.actor, counter: self.counter - back };
  }
  if (tag === 2) {
    const actor = readVarint(bytes, r);
    const counter = readVarint(bytes, r);
    if (actor > MAX_ACTOR) throw new Error(`bad reference actor ${actor}`);
    checkCounter(counter, 'reference', actor);
    return { actor: actor as ActorId, counter };
  }
  throw new Error(`bad reference tag at byte ${r.pos - 1}`);
}

/** A counter of `actor` computed or read while decoding (`what` names it in the message; built only on failure). */
function checkCounter(counter: number, what: string, actor: number): void {
  if (!(counter >= 1)) throw new Error(`${what} ${actor}.${counter} is below 1`);
  if (counter > MAX_COUNTER) throw new InvalidOpError(`${what} ${actor}.${counter} is beyond the highest counter ${MAX_COUNTER}`);
}
