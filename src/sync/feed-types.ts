import type { ActorId, OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { Chain } from './feed-crypto.js';

/**
 * A signature of `actor`'s key over the chain head after its first `counter` ops — or, with a
 * `tail`, after the ops that follow them: the tail proves the first `counter` ops without being
 * taken. A feed cut short (at a fork, or before an op that builds on one) ends at such a point.
 */
export interface SignedPoint<T = number> {
  readonly actor: ActorId;
  readonly counter: number;
  readonly signature: Uint8Array;
  readonly tail?: readonly Op<T>[];
}

/** The signed point a replica holds at the end of a feed: its signature, and whether it has a tail. */
export interface Head {
  readonly actor: ActorId;
  readonly counter: number;
  readonly signature: Uint8Array;
  readonly tailed: boolean;
}

/** A signed point with the key that made it: what a push or a page carries for each feed in it. */
export interface Proof<T = number> extends SignedPoint<T> {
  readonly key: Uint8Array;
}

/** One branch of a forked feed: its ops from the fork on, and the author's signature at the last. */
export interface Branch<T> {
  readonly ops: readonly Op<T>[];
  readonly signature: Uint8Array;
}

/**
 * The proof that `actor` equivocated: two branches of its feed that its key signed, both running
 * on from its first `at - 1` ops and differing at `at`. Anyone holding those ops can check it.
 */
export interface Fork<T> {
  readonly actor: ActorId;
  readonly at: number;
  readonly branches: readonly [Branch<T>, Branch<T>];
}

/**
 * What a replica keeps of feeds besides their ops: each author's key, the points it may relay,
 * the forks it has proof of, and the ops it dropped because they are or build on a fork.
 */
export interface FeedRecords {
  readonly keys: ReadonlyArray<{ readonly actor: ActorId; readonly key: Uint8Array }>;
  readonly points: readonly SignedPoint[];
  readonly forks?: readonly Fork<number>[];
  readonly dropped?: readonly OpId[];
  /** Feeds' chains saved at compaction (see `ChainState`), as a store gives them back. */
  readonly chains?: readonly ChainState[];
  /** Feeds' bases saved at compaction (see `ChainBases`): their chains at or past what was collected. */
  readonly bases?: readonly ChainState[];
}

/**
 * A feed's chain saved after its first `count` ops, where the feed has a signed point: a replica
 * goes on from it without hashing those ops again (or holding them, once collected). Checked
 * against that point's signature when taken back.
 */
export interface ChainState {
  readonly actor: ActorId;
  readonly count: number;
  readonly state: Uint8Array;
}

export const NO_RECORDS: FeedRecords = { keys: [], points: [] };

/**
 * Why a batch of ops is refused, by HTTP code:
 * - `bad_signature` (403): a feed's ops do not match its author's signature (forged, altered, unsigned);
 * - `own_ops` (403): ops under the receiver's own author id, which only it makes;
 * - `key_mismatch` (403): a key that is not the author's (another key is known, or it does not give the id's tag);
 * - `bad_key` (400): 32 bytes that are no Ed25519 public key;
 * - `unknown_feed` (409): a feed never seen, presented without its first op;
 * - `gap` (409): ops that start past what the receiver holds of their feed, so their chain cannot be checked;
 * - `equivocation` (409): a validly signed op at a position where the author signed another (the proof);
 * - `other_incarnation` (409): a push addressed to another incarnation of the receiving member
 *   (it lost its store): the sender has not heard this one, and must sync with it first;
 * - `invalid_op` (400): an op no replica takes, or, in a page, one that would have to wait.
 */
export type FeedRefusalCode = 'bad_signature' | 'own_ops' | 'key_mismatch' | 'bad_key' | 'unknown_feed' | 'gap' | 'equivocation' | 'other_incarnation' | 'invalid_op';

export interface FeedRefusal {
  readonly code: FeedRefusalCode;
  readonly actor: ActorId;
  readonly message: string;
}

/** Feeds checked, not yet taken: `commit` takes them once their ops are applied. */
export interface PlanEntry<T> {
  readonly actor: ActorId;
  readonly key: Uint8Array;
  /** The batch's ops of this feed. */
  readonly ops: readonly Op<T>[];
  readonly last: number;
  /** The chain after `last`. */
  readonly chain: Chain;
  /** The point that proved them, to keep. */
  readonly point: SignedPoint<T>;
  /** Where a collected state's feed was checked from (past what was held): the feed goes on from it. */
  readonly base?: { readonly count: number; readonly chain: Chain };
}

export interface FeedPlan<T> {
  readonly entries: ReadonlyArray<PlanEntry<T>>;
  /** Feeds of the batch that are refused, each for its own reason. */
  readonly refusals: readonly FeedRefusal[];
  /** Points with a tail that were checked (their tails are signed ops, not taken). */
  readonly tails: readonly SignedPoint<T>[];
}

/** An author proven to have equivocated, and where its feed forks. */
export interface Equivocation {
  readonly actor: ActorId;
  /** The first position where the branches differ. */
  readonly at: number;
}

/**
 * A signed point is kept for relaying if it is this many ops past the last one kept, or the
 * latest; long edits are signed this often too. Pages grow past their limits to reach a point
 * (see `missingOps`), so this stays well below the largest page (4,096 ops).
 */
export const POINT_SPACING = 256;
