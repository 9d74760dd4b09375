import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ACTOR, type ActorId } from '../src/crdt/ids.js';
import type { VersionVector } from '../src/crdt/version.js';
import { asked, decodeBinarySyncReply, decodeBinarySyncRequest, encodeBinarySyncReply, encodeBinarySyncRequest } from '../src/transport/binary-wire.js';
import { readDelta, readSet, writeDelta, writeSet } from '../src/transport/vectors.js';
import { pushVarint } from '../src/crdt/codec.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';

const actorArb = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: MAX_ACTOR })) as fc.Arbitrary<ActorId>;
const versionArb: fc.Arbitrary<VersionVector> = fc.array(fc.tuple(actorArb, fc.integer({ min: 1, max: 2 ** 40 })), { maxLength: 40 }).map((es) => new Map(es));

describe('version vectors on the binary wire (v5)', () => {
  it('a delta read against its base gives back the vector, for any vector and base', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (version, base) => {
        const out: number[] = [];
        writeDelta(out, version, base);
        const r = { pos: 0 };
        expect(readDelta(Uint8Array.from(out), r, base)).toEqual(version);
        expect(r.pos).toBe(out.length);
      }),
    );
  });

  it('costs a byte where the vector equals its base, at a thousand authors', () => {
    const big = new Map(Array.from({ length: 1000 }, (_, i) => [(i * 65536 + i) as ActorId, 1000 + i]));
    const out: number[] = [];
    writeDelta(out, big, big);
    expect(out).toEqual([0]);
    const set: number[] = [];
    writeSet(set, [...big.keys()], big);
    expect(set.length).toBe(125 + 1);
  });

  it('a set read against its base gives back the set, for any set and base', () => {
    fc.assert(
      fc.property(fc.array(actorArb, { maxLength: 40 }), versionArb, (members, base) => {
        const set = [...new Set(members)];
        const out: number[] = [];
        writeSet(out, set, base);
        const r = { pos: 0 };
        expect(readSet(Uint8Array.from(out), r, base).sort((a, b) => a - b)).toEqual(set.sort((a, b) => a - b));
        expect(r.pos).toBe(out.length);
      }),
    );
  });

  it('refuses authors out of order or out of range, counts past the highest counter, and ends cut short', () => {
    const read = (bytes: number[]) => () => readDelta(Uint8Array.from(bytes), { pos: 0 }, new Map());
    expect(read([2, 5, 1, 0, 1])).toThrow(/out of order/);
    expect(read([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1])).toThrow(/out of range/);
    const beyond: number[] = [1, 3];
    pushVarint(beyond, MAX_COUNTER + 1);
    expect(read(beyond)).toThrow(/highest counter/);
    expect(read([2, 3, 1])).toThrow();
    expect(() => readSet(Uint8Array.of(), { pos: 0 }, new Map([[1 as ActorId, 1]]))).toThrow(/ends early/);
  });

  it('a sync request and its answer round-trip, the answer read against the request', () => {
    fc.assert(
      fc.property(actorArb, versionArb, versionArb, fc.integer({ min: 0, max: 1000 }), fc.boolean(), versionArb, versionArb, fc.option(fc.tuple(actorArb, fc.nat(), fc.boolean(), fc.uint8Array({ minLength: 64, maxLength: 64 }))), (from, version, retired, own, fullHeads, theirs, told, h) => {
        const heard = [...version.keys()].slice(0, 3);
        const head = h === null ? {} : { head: { actor: h[0], counter: h[1], tailed: h[2], signature: h[3] } };
        const request = { from, version, report: { own, retired, heard, ...head }, ...(fullHeads ? { fullHeads: true } : {}) };
        const back = decodeBinarySyncRequest(encodeBinarySyncRequest(request));
        expect({ ...back, report: { ...back.report, heard: [...(back.report?.heard ?? [])].sort((a, b) => a - b) } }).toEqual({ ...request, report: { ...request.report, heard: [...heard].sort((a, b) => a - b) } });
        const digest = { actors: [...version.keys()].sort((a, b) => a - b).slice(0, 2), digest: new Uint8Array(32).fill(7) };
        const page = { version: theirs, ops: [], proofs: [], forks: [], heads: [], headsDigest: digest, more: false, from: 3 as ActorId, retired: told };
        expect(decodeBinarySyncReply(encodeBinarySyncReply(3 as ActorId, page, asked(request)), asked(request))).toEqual(page);
      }),
    );
  });

  it('a damaged sync request is refused with an error, never taken as another', () => {
    const bytes = encodeBinarySyncRequest({ from: 7 as ActorId, version: new Map([[7 as ActorId, 3], [9 as ActorId, 4]]), report: { own: 3, retired: new Map([[7 as ActorId, 2]]), heard: [9 as ActorId] } });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, value, cut) => {
        const damaged = cut ? bytes.slice(0, at) : bytes.map((b, i) => (i === at ? value : b));
        try {
          const r = decodeBinarySyncRequest(damaged);
          // What decodes is a well-formed request (a changed count or author is another, valid one).
          expect(r.version.size).toBeLessThanOrEqual(3);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
    expect(() => decodeBinarySyncRequest(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeBinarySyncRequest(bytes.map((b, i) => (i === 2 ? 0xff : b)))).toThrow();
  });
});
