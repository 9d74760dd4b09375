import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeColumns, encodeBatch, encodeColumns } from '../src/crdt/batch-codec.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { decodeState, encodeState } from '../src/crdt/fast/state-codec.js';
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

describe('states with a value codec', () => {
  /** Two replicas of strings edited concurrently, merged, then a few collected: a state with every kind of piece. */
  function edited(values: string[], cuts: number[]): FastList<string> {
    const a = new FastList<string>(actorId(1));
    const b = new FastList<string>(actorId(2));
    a.insertMany(0, values);
    b.applyMany(a.opsSince(b.version()));
    for (const [i, cut] of cuts.entries()) {
      const [list, other] = i % 2 === 0 ? [a, b] : [b, a];
      if (list.length > 0 && cut % 3 === 0) list.deleteMany(cut % list.length, 1 + (cut % Math.min(3, list.length - (cut % list.length))));
      else list.insertMany(cut % (list.length + 1), values.slice(0, 1 + (cut % 4)));
      if (cut % 5 === 0) other.applyMany(list.opsSince(other.version()));
    }
    a.applyMany(b.opsSince(a.version()));
    return a;
  }

  it('round-trip a list of any strings: the reloaded list is the saved one and goes on alike', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(50), { maxLength: 20 }), (values, cuts) => {
        const list = edited(values, cuts);
        const state = list.exportState();
        const loaded = FastList.fromState(actorId(1), decodeState(encodeState(state, stringCodec), stringCodec));
        expect(loaded.toArray()).toEqual(list.toArray());
        expect(loaded.exportState()).toEqual(state);
        expect(loaded.insert(0, 'next')).toEqual(list.insert(0, 'next'));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trip JSON values, and byteCodec writes the bytes of a state without a codec', () => {
    const list = new FastList<unknown>(actorId(1), { equals: jsonCodec.equals! });
    list.insertMany(0, [{ gene: 1 }, [2, 'three'], null, 'x', 4.5]);
    list.deleteMany(1, 2);
    const loaded = FastList.fromState(actorId(1), decodeState(encodeState(list.exportState(), jsonCodec), jsonCodec), { equals: jsonCodec.equals! });
    expect(loaded.toArray()).toEqual(list.toArray());
    const numbers = new FastList<number>(actorId(1));
    numbers.insertMany(0, [1, 2, 300, 70000]);
    numbers.deleteMany(0, 1);
    const plain = encodeState(numbers.exportState());
    expect(encodeState(numbers.exportState(), byteCodec)).toEqual(plain);
    expect(decodeState(plain, byteCodec)).toEqual(decodeState(plain));
  });

  it('refuse, naming the codec, what one codec wrote and another is asked to read, and values a column cannot hold', () => {
    const list = new FastList<string>(actorId(1));
    list.insertMany(0, ['a', 'b']);
    const coded = encodeState(list.exportState(), stringCodec);
    expect(() => decodeState(coded)).toThrow(/written by the string codec: read it with that codec/);
    expect(() => decodeState(coded, jsonCodec as ValueCodec<unknown>)).toThrow(/written by the string codec: read it with that codec, not json/);
    const numbers = new FastList<number>(actorId(1));
    numbers.insert(0, 7);
    expect(() => decodeState(encodeState(numbers.exportState()), stringCodec)).toThrow(/values are numbers: read it without the string codec/);
    expect(() => encodeState(list.exportState() as never)).toThrow(/value 0 \("a"\) is not a whole number of 0 or more; give a value codec/);
    const silent: ValueCodec<string> = { name: 'silent', write: () => undefined, read: () => '' };
    expect(() => encodeState(list.exportState(), silent)).toThrow(/silent codec wrote no bytes/);
    expect(() => decodeState('bytes' as never)).toThrow(TypeError);
  });

  it('refuse damaged coded states: any cut is an error, a flipped byte an error or a consistent list', () => {
    const list = edited(['alpha', 'βeta', '', 'delta'], [3, 7, 10, 1, 6, 9, 12, 5]);
    const bytes = encodeState(list.exportState(), stringCodec);
    for (let end = 0; end < bytes.length; end++) expect(() => decodeState(bytes.subarray(0, end), stringCodec)).toThrow();
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const damaged = bytes.slice();
        damaged[at] = (damaged[at] as number) ^ flip;
        let loaded: FastList<string>;
        try {
          loaded = FastList.fromState(actorId(1), decodeState(damaged, stringCodec));
        } catch {
          return;
        }
        // What loads is a list: it renders, saves and loads again as itself.
        const again = FastList.fromState(actorId(1), decodeState(encodeState(loaded.exportState(), stringCodec), stringCodec));
        expect(again.toArray()).toEqual(loaded.toArray());
      }),
      { numRuns: 500 },
    );
  });
});
