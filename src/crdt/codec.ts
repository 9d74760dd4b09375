import { MAX_ACTOR, type ActorId, type OpId } from './ids.js';
import type { Op } from './ops.js';
import type { ValueCodec } from './value-codec.js';

/**
 * Compact binary form of an op with a non-negative integer value, without its id (which storage
 * keeps in columns of its own). Format v1:
 *   flags byte: bit 0 = delete, bit 1 = has left origin, bit 2 = has right origin
 *   insert: value, [left actor, left counter], [right actor, right counter]
 *   delete: target actor, target counter
 * every number an unsigned LEB128 varint. A gene insert with both origins takes 6–10 bytes.
 */
export function encodeOpBody(op: Op<number>): Uint8Array;
/** With a value codec: the value as `codec` writes it (a feed's hash chain covers these bytes). */
export function encodeOpBody<T>(op: Op<T>, codec: ValueCodec<T>): Uint8Array;
export function encodeOpBody<T>(op: Op<T>, codec?: ValueCodec<T>): Uint8Array {
  const out: number[] = [];
  writeBody(out, op, codec === undefined ? (varintValue as (out: number[], value: T) => void) : (o, v) => codec.write(o, v));
  return Uint8Array.from(out);
}

export function decodeOpBody(id: OpId, body: Uint8Array): Op<number> {
  const r = { pos: 0 };
  const op = readBody(body, r, id);
  end(body, r);
  return op;
}

const varintValue = (out: number[], value: number): void => pushVarint(out, value);

function writeBody<T>(out: number[], op: Op<T>, writeValue: (out: number[], value: T) => void): void {
  if (op.type === 'delete') {
    out.push(1);
    pushId(out, op.target);
  } else {
    out.push((op.left === null ? 0 : 2) | (op.right === null ? 0 : 4));
    writeValue(out, op.value);
    if (op.left !== null) pushId(out, op.left);
    if (op.right !== null) pushId(out, op.right);
  }
}

function readBody(buf: Uint8Array, r: { pos: number }, id: OpId): Op<number> {
  const flags = readByte(buf, r);
  if (flags === 1) return { type: 'delete', id, target: readId(buf, r) };
  if ((flags & ~6) !== 0) throw new Error(`unknown op flags ${flags}`);
  const value = readVarint(buf, r);
  const left = flags & 2 ? readId(buf, r) : null;
  const right = flags & 4 ? readId(buf, r) : null;
  return { type: 'insert', id, value, left, right };
}

export function pushVarint(out: number[], n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot encode ${n} as a varint`);
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

export function readVarint(buf: Uint8Array, r: { pos: number }): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    const b = readByte(buf, r);
    n += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 0x80;
    if (scale > 2 ** 53) throw new Error('varint too long');
  }
  if (!Number.isSafeInteger(n)) throw new Error('varint out of range');
  return n;
}

/** The bytes of `parts`, one after the other. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A signed integer as a varint: 0, -1, 1, -2, ... as 0, 1, 2, 3, ... */
export function pushZigzag(out: number[], n: number): void {
  pushVarint(out, n >= 0 ? n * 2 : -n * 2 - 1);
}

export function readZigzag(buf: Uint8Array, r: { pos: number }): number {
  const z = readVarint(buf, r);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function pushId(out: number[], id: OpId): void {
  pushVarint(out, id.actor);
  pushVarint(out, id.counter);
}

function readId(buf: Uint8Array, r: { pos: number }): OpId {
  const actor = readVarint(buf, r) as ActorId;
  const counter = readVarint(buf, r);
  if (counter < 1 || actor > MAX_ACTOR) throw new Error(`bad id ${actor}.${counter}`);
  return { actor, counter };
}

function readByte(buf: Uint8Array, r: { pos: number }): number {
  const b = buf[r.pos++];
  if (b === undefined) throw new Error('op body ends early');
  return b;
}

function end(buf: Uint8Array, r: { pos: number }): void {
  if (r.pos !== buf.length) throw new Error(`op body has ${buf.length - r.pos} trailing bytes`);
}
