import type { Chain, FeedCrypto } from '../src/sync/feed-crypto.js';
import { nodeFeedCrypto } from '../src/transport/signing.js';

/** A chain that hashes nothing: every head is the same 32 zero bytes. */
const NO_HEAD = new Uint8Array(32);
const noChain: Chain = {
  update() {},
  head: () => NO_HEAD,
  copy: () => noChain,
  save: () => new Uint8Array(0),
};

/**
 * Bench only: feeds "unsigned". No chain hashing, every signature passes, every key is one; the
 * replication workload runs the same paths with this and with `nodeFeedCrypto`, so that the ratio
 * of the two is what hashing and verifying cost. (Op encoding for the chain still runs: `Feeds`
 * encodes each op before it hands the bytes to `update`.)
 *
 * `tagOf` is the real one: stores draw their author id's tag from `nodeFeedCrypto.tagOf` of their
 * key, and a receiver refuses a new feed whose key gives another tag (`key_mismatch`), so a cheaper
 * derivation would refuse every push. It runs once per feed a replica first sees (one SHA-256 of
 * 32 bytes), not per op, so it does not count in the comparison.
 */
export const unsignedFeedCrypto: FeedCrypto = {
  startChain: () => noChain,
  resumeChain: () => noChain,
  verify: () => true,
  isKey: () => true,
  tagOf: (key) => nodeFeedCrypto.tagOf(key),
};
