import { pushVarint, readVarint } from '../crdt/codec.js';
import { stringCodec } from '../crdt/value-codec.js';

/**
 * A sync session's message on any transport (session wire v1): what kind it is, the id of the
 * exchange it belongs to (a request's, which its answer repeats), and a body in wire v5.
 *   message := 'G' 0x01 kind:byte id:varint body
 *   kind    := 0x01 push (body: a binary push)      0x02 sync (body: a binary sync request)
 *              0x11 push taken (no body)            0x12 sync answer (body: a binary sync reply)
 *              0x1f refused (body: code:string message:string), an answer to either request
 */
export const SESSION_WIRE = 1;
const MAGIC = 0x47;

export const PUSH = 0x01;
export const SYNC = 0x02;
export const TAKEN = 0x11;
export const ANSWER = 0x12;
export const REFUSED = 0x1f;
const KINDS = new Set([PUSH, SYNC, TAKEN, ANSWER, REFUSED]);

export interface Envelope {
  readonly kind: number;
  readonly id: number;
  readonly body: Uint8Array;
}

export function encodeEnvelope(kind: number, id: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head: number[] = [MAGIC, SESSION_WIRE, kind];
  pushVarint(head, id);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Throws on bytes that are not a session message of this version. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('a session message must be a Uint8Array');
  if (bytes[0] !== MAGIC) throw new Error('not a sync session message');
  if (bytes[1] !== SESSION_WIRE) throw new Error(`a sync session message of version ${String(bytes[1])}: this build speaks version ${SESSION_WIRE}`);
  const kind = bytes[2] as number;
  if (!KINDS.has(kind)) throw new Error(`unknown message kind ${kind}`);
  const r = { pos: 3 };
  const id = readVarint(bytes, r);
  return { kind, id, body: bytes.subarray(r.pos) };
}

export function encodeRefusal(code: string, message: string): Uint8Array {
  const out: number[] = [];
  stringCodec.write(out, code);
  stringCodec.write(out, message);
  return Uint8Array.from(out);
}

export function decodeRefusal(body: Uint8Array): { code: string; message: string } {
  const r = { pos: 0 };
  const code = stringCodec.read(body, r);
  const message = stringCodec.read(body, r);
  if (r.pos !== body.length) throw new Error(`${body.length - r.pos} trailing bytes`);
  return { code, message };
}
