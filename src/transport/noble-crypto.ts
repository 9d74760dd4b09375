import { ed25519 } from '@noble/curves/ed25519.js';
import { KEY_BYTES, SIGNATURE_BYTES, type FeedCrypto, type Signer } from '../sync/feed-crypto.js';
import { isPoint, ownHashing } from './feed-hashing.js';

/**
 * Feed cryptography in plain JavaScript, for a browser (whose WebCrypto is asynchronous, and
 * feeds sign and check inline): Ed25519 from @noble/curves, checked as RFC 8032 says and as
 * OpenSSL checks (no ZIP-215), so a signature one side takes the other takes too; the chains
 * and tags are the Node adapter's own (`feed-hashing.ts`), byte for byte.
 */
export const nobleFeedCrypto: FeedCrypto = {
  ...ownHashing,
  verify(key, message, signature) {
    if (signature.length !== SIGNATURE_BYTES || !isKey(key)) return false;
    try {
      return ed25519.verify(signature, message, key, { zip215: false });
    } catch {
      return false;
    }
  },
  isKey,
};

function isKey(key: Uint8Array): boolean {
  return key.length === KEY_BYTES && isPoint(key);
}

/** An Ed25519 signer from its 32-byte seed. */
export function nobleSigner(seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new Error(`a private key seed has 32 bytes, not ${seed.length}`);
  const key = ed25519.getPublicKey(seed);
  return { key, sign: (message) => ed25519.sign(message, seed) };
}

/** A new private key seed, from the platform's random source (`crypto.getRandomValues`). */
export function nobleSeed(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}
