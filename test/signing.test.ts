import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import { signedStatement } from '../src/sync/feed-crypto.js';
import { newSigner, nodeFeedCrypto, signerFromSeed } from '../src/transport/signing.js';

describe('signing on node:crypto', () => {
  it('verifies what its signer signs, and nothing else', () => {
    const { seed, signer } = newSigner();
    const message = signedStatement(actorId(7), 3, new Uint8Array(32).fill(1));
    const signature = signer.sign(message);
    expect(nodeFeedCrypto.verify(signer.key, message, signature)).toBe(true);
    expect(signerFromSeed(seed).key).toEqual(signer.key);
    const other = signedStatement(actorId(7), 4, new Uint8Array(32).fill(1));
    expect(nodeFeedCrypto.verify(signer.key, other, signature)).toBe(false);
    expect(nodeFeedCrypto.verify(newSigner().signer.key, message, signature)).toBe(false);
    expect(nodeFeedCrypto.verify(signer.key, message, signature.subarray(0, 63))).toBe(false);
  });

  it('tells Ed25519 points from other 32-byte strings', () => {
    for (let i = 0; i < 20; i++) expect(nodeFeedCrypto.isKey(newSigner().signer.key)).toBe(true);
    // About half of all 32-byte strings are not points; a run of 200 misses none of both kinds.
    const verdicts = Array.from({ length: 200 }, () => nodeFeedCrypto.isKey(randomBytes(32)));
    expect(verdicts.filter((v) => v).length).toBeGreaterThan(40);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(40);
    // y = p (2^255 - 19) is out of range.
    const p = new Uint8Array(32).fill(0xff);
    p[0] = 0xed;
    p[31] = 0x7f;
    expect(nodeFeedCrypto.isKey(p)).toBe(false);
    expect(nodeFeedCrypto.isKey(new Uint8Array(31))).toBe(false);
  });

  it('gives every key a non-zero tag', () => {
    for (let i = 0; i < 20; i++) expect(nodeFeedCrypto.tagOf(newSigner().signer.key)).toBeGreaterThan(0);
  });

  it('chains: the head after n ops depends on every one of them, and copies go their own way', () => {
    const a = nodeFeedCrypto.startChain(actorId(1));
    const b = nodeFeedCrypto.startChain(actorId(1));
    expect(a.head()).toEqual(b.head());
    expect(nodeFeedCrypto.startChain(actorId(2)).head()).not.toEqual(a.head());
    a.update(Uint8Array.of(1, 2));
    const c = a.copy();
    a.update(Uint8Array.of(3));
    c.update(Uint8Array.of(4));
    expect(a.head()).not.toEqual(c.head());
    b.update(Uint8Array.of(1, 2, 3));
    expect(b.head()).toEqual(a.head());
  });
});
