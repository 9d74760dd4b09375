import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeColumns, encodeBatch, encodeColumns } from '../src/crdt/batch-codec.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { byteCodec, jsonCodec, stringCodec, type ValueCodec } from '../src/crdt/value-codec.js';

/** Ops of a list of `values` typed, then a few deleted and some typed elsewhere: runs of every kind. */
function opsOf<T>(values: readonly T[], equals?: (a: T, b: T) => boolean): Op<T>[] {
  const list = new FastList<T>(actorId(3), equals === undefined ? {} : { equals });
  const ops: Op<T>[] = [...list.insertMany(0, values)];
  if (list.length > 2) ops.push(...list.deleteMany(1, Math.floor(list.length / 2)));
  ops.push(...list.insertMany(0, values.slice(0, 2)));
  return ops;
}

const roundTrips = <T>(codec: ValueCodec<T>, values: T[]): void => {
  const ops = opsOf(values, codec.equals);
  expect(decodeBatch(encodeBatch(ops, codec), codec)).toEqual(ops);
  expect(decodeColumns(encodeColumns(ops, codec), codec)).toEqual(ops);
};

describe('value codecs', () => {
  it('round-trip any string (any Unicode, empty, long) in batches and columns', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 20 }), (values) => roundTrips(stringCodec, values)), { numRuns: 300 });
  });

  it('round-trip any JSON value, and decoded copies of one op are one op to a list given its equality', () => {
    // JSON's own rules apply (-0 is written 0): values that JSON keeps as they are come back equal.
    const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
    fc.assert(fc.property(fc.array(fc.jsonValue().map(asJson), { maxLength: 12 }), (values) => roundTrips(jsonCodec, values)), { numRuns: 300 });
    const ops = opsOf<unknown>([{ gene: 1 }, [2, 3]], jsonCodec.equals);
    const copy = decodeBatch(encodeBatch(ops, jsonCodec), jsonCodec);
    const list = new FastList<unknown>(actorId(4), { equals: jsonCodec.equals! });
    expect(list.applyMany(ops).applied).toBe(ops.length);
    expect(list.applyMany(copy)).toMatchObject({ duplicate: ops.length, applied: 0 });
  });

  it('byteCodec is the default: the bytes of numbers are those of a batch without a codec', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100_000 }), { maxLength: 30 }), (values) => {
        const ops = opsOf(values);
        expect(encodeBatch(ops, byteCodec)).toEqual(encodeBatch(ops));
        expect(decodeColumns(encodeColumns(ops), byteCodec)).toEqual(ops);
      }),
    );
  });

  it('refuse a value they cannot write faithfully, naming the codec', () => {
    const write = <T>(codec: ValueCodec<T>, value: unknown) => () => codec.write([], value as T);
    expect(write(stringCodec, 5)).toThrow(new TypeError('stringCodec: value must be a string, got number'));
    expect(write(stringCodec, 'a\uD800b')).toThrow(RangeError);
    expect(write(byteCodec, '5')).toThrow(TypeError);
    expect(write(byteCodec, -1)).toThrow(RangeError);
    expect(write(byteCodec, 1.5)).toThrow(RangeError);
    expect(write(jsonCodec, undefined)).toThrow(/jsonCodec: value undefined has no JSON form/);
    expect(write(jsonCodec, 10n)).toThrow(/jsonCodec: value has no JSON form/);
    expect(() => encodeBatch(opsOf<unknown>([1, 'x']), stringCodec as ValueCodec<unknown>)).toThrow(TypeError);
  });

  it('refuse bytes they could not have written', () => {
    const bytes = encodeBatch(opsOf(['héllo', 'wörld']), stringCodec);
    for (let cut = 1; cut < bytes.length; cut++) expect(() => decodeBatch(bytes.subarray(0, cut), stringCodec)).toThrow();
    const bad = Uint8Array.from([2, 0xc3, 0x28]); // a string of two bytes that are not UTF-8
    expect(() => stringCodec.read(bad, { pos: 0 })).toThrow(TypeError);
    const notJson = [] as number[];
    stringCodec.write(notJson, '{oops');
    expect(() => jsonCodec.read(Uint8Array.from(notJson), { pos: 0 })).toThrow(/jsonCodec: bytes are not JSON/);
  });
});
