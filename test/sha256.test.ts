import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../src/transport/sha256.js';

const node = (parts: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const parts = fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 });

describe('SHA-256 with a state to save', () => {
  it('gives the FIPS 180-4 digests of the standard examples', () => {
    expect(hex(new Sha256().digest())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(new Sha256().update(new TextEncoder().encode('abc')).digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const long = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(hex(new Sha256().update(long).digest())).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('digests any input cut into any parts as node:crypto does, and goes on after a digest', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const h = new Sha256();
        for (const p of a) h.update(p);
        expect(hex(h.digest())).toBe(node(a));
        for (const p of b) h.update(p);
        expect(hex(h.digest())).toBe(node([...a, ...b]));
      }),
      { numRuns: 500 },
    );
  });

  it('resumes from a saved state (and a copy) exactly where it was', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const h = new Sha256();
        for (const p of a) h.update(p);
        const saved = h.save();
        const copy = h.copy();
        const resumed = Sha256.resume(saved);
        for (const p of b) {
          resumed.update(p);
          copy.update(p);
        }
        expect(hex(resumed.digest())).toBe(node([...a, ...b]));
        expect(hex(copy.digest())).toBe(node([...a, ...b]));
        // The original is untouched by what the copy and the resumed hash took in.
        expect(hex(h.digest())).toBe(node(a));
        expect(Sha256.resume(resumed.save()).save()).toEqual(resumed.save());
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a saved state it cannot have made', () => {
    const good = new Sha256().update(new Uint8Array(70)).save();
    expect(() => Sha256.resume(good.subarray(0, 39))).toThrow(RangeError);
    expect(() => Sha256.resume(good.subarray(0, good.length - 1))).toThrow(/has 46 bytes/);
    const negative = Uint8Array.from(good);
    new DataView(negative.buffer).setFloat64(32, -64);
    expect(() => Sha256.resume(negative)).toThrow(/impossible length/);
    const fraction = Uint8Array.from(good);
    new DataView(fraction.buffer).setFloat64(32, 70.5);
    expect(() => Sha256.resume(fraction)).toThrow(/impossible length/);
  });
});
