import type { FeedCrypto } from '../sync/feed-crypto.js';

/**
 * `crypto` with each signature check done once per process: in a simulation every replica checks
 * the same signed points, and an Ed25519 verification is a pure function of its inputs, so the
 * answer is remembered, keyed by all three of them. A thousand replicas would otherwise spend
 * most of a run verifying one feed's point a thousand times.
 */
export function sharedVerify(crypto: FeedCrypto): FeedCrypto {
  const seen = new Map<string, boolean>();
  return {
    ...crypto,
    verify(key, message, signature) {
      const k = `${Buffer.from(key).toString('base64')}.${Buffer.from(message).toString('base64')}.${Buffer.from(signature).toString('base64')}`;
      let ok = seen.get(k);
      if (ok === undefined) {
        ok = crypto.verify(key, message, signature);
        seen.set(k, ok);
      }
      return ok;
    },
  };
}
