import { pushVarint, readVarint } from './codec.js';

/**
 * How the values of a list's elements are written in op batches and states. Anyone can implement
 * it: `write` appends a value's bytes, one at least (throwing a TypeError or RangeError for a
 * value it cannot write faithfully), `read` reads one back and throws on bytes it could not have
 * written.
 * `equals` is the equality decoded values need (two decodings of one op are one op): hand it to
 * the list (`ListOptions.equals`) when values are objects.
 */
export interface ValueCodec<T> {
  readonly name: string;
  write(out: number[], value: T): void;
  read(bytes: Uint8Array, r: { pos: number }): T;
  readonly equals?: (a: T, b: T) => boolean;
}

/** Non-negative whole numbers (genes, character codes) as varints: one byte each below 128. The default. */
export const byteCodec: ValueCodec<number> = {
  name: 'byte',
  write(out, value) {
    if (typeof value !== 'number') throw new TypeError(`byteCodec: value must be a number, got ${typeof value}`);
    pushVarint(out, value);
  },
  read: readVarint,
};

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });
/** A lone surrogate: UTF-8 cannot hold it, so the string would come back changed. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings as their UTF-8 length and bytes. */
export const stringCodec: ValueCodec<string> = {
  name: 'string',
  write(out, value) {
    if (typeof value !== 'string') throw new TypeError(`stringCodec: value must be a string, got ${typeof value}`);
    if (LONE_SURROGATE.test(value)) throw new RangeError('stringCodec: value holds a lone surrogate, which UTF-8 cannot hold');
    const bytes = utf8.encode(value);
    pushVarint(out, bytes.length);
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i] as number);
  },
  read(bytes, r) {
    const length = readVarint(bytes, r);
    if (r.pos + length > bytes.length) throw new RangeError('stringCodec: a string runs past the end of the bytes');
    const text = fromUtf8.decode(bytes.subarray(r.pos, r.pos + length));
    r.pos += length;
    return text;
  },
};

/**
 * Any JSON value, as its JSON text (JSON's rules: NaN and infinities become null, -0 becomes 0,
 * key order is kept). Equality compares the texts, so decoded copies of one op are one op.
 */
export const jsonCodec: ValueCodec<unknown> = {
  name: 'json',
  write(out, value) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new TypeError(`jsonCodec: value has no JSON form (${(error as Error).message})`);
    }
    if (typeof text !== 'string') throw new TypeError(`jsonCodec: value ${String(value)} has no JSON form`);
    stringCodec.write(out, text);
  },
  read(bytes, r) {
    const text = stringCodec.read(bytes, r);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new RangeError(`jsonCodec: bytes are not JSON (${(error as Error).message})`);
    }
  },
  equals: (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b),
};
