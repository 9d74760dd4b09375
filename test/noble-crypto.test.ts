import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import { nobleFeedCrypto, nobleSeed, nobleSigner } from '../src/transport/noble-crypto.js';
import { nodeFeedCrypto, signerFromSeed } from '../src/transport/signing.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('feed cryptography in plain JavaScript (for a browser) and on node:crypto', () => {
  it('make the same keys and signatures from a seed, and each takes what the other signed', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 300 }), (seed, message) => {
        const [noble, node] = [nobleSigner(seed), signerFromSeed(seed)];
        expect(noble.key).toEqual(node.key);
        const signature = noble.sign(message);
        expect(signature).toEqual(node.sign(message));
        expect(nodeFeedCrypto.verify(noble.key, message, signature)).toBe(true);
        expect(nobleFeedCrypto.verify(node.key, message, signature)).toBe(true);
        expect(nobleFeedCrypto.tagOf(noble.key)).toBe(nodeFeedCrypto.tagOf(node.key));
      }),
      { numRuns: 100 },
    );
  });

  it('refuse alike: a flipped bit anywhere, a key that is no point, a short signature', () => {
    const signer = nobleSigner(nobleSeed());
    const message = new TextEncoder().encode('an op body');
    const signature = signer.sign(message);
    fc.assert(
      fc.property(fc.nat(32 + 64 + message.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const [k, m, s] = [signer.key.slice(), message.slice(), signature.slice()];
        const where = at < 32 ? [k, at] : at < 96 ? [s, at - 32] : [m, at - 96];
        (where[0] as Uint8Array)[where[1] as number]! ^= 1 << bit;
        expect(nobleFeedCrypto.verify(k, m, s)).toBe(nodeFeedCrypto.verify(k, m, s));
        expect(nobleFeedCrypto.verify(k, m, s)).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(bytes(32), (key) => {
      expect(nobleFeedCrypto.isKey(key)).toBe(nodeFeedCrypto.isKey(key));
    }), { numRuns: 300 });
    expect(nobleFeedCrypto.verify(signer.key, message, signature.subarray(0, 63))).toBe(false);
    expect(nobleFeedCrypto.verify(signer.key.subarray(1), message, signature)).toBe(false);
  });

  it('hash chains alike: the same heads, and a saved chain resumes on either', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 90 }), { maxLength: 12 }), fc.nat(12), (ops, cut) => {
        const [a, b] = [nobleFeedCrypto.startChain(actorId(7)), nodeFeedCrypto.startChain(actorId(7))];
        ops.slice(0, cut).forEach((op) => (a.update(op), b.update(op)));
        const [c, d] = [nodeFeedCrypto.resumeChain(a.save()), nobleFeedCrypto.resumeChain(b.save())];
        ops.slice(cut).forEach((op) => (c.update(op), d.update(op)));
        expect(c.head()).toEqual(d.head());
      }),
      { numRuns: 200 },
    );
  });
});
