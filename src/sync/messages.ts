import type { ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import type { ChainState, Fork, Head, Proof } from './Feeds.js';

/** How a replica names a peer: a base URL over HTTP, a name in the simulator. */
export type PeerId = string;

/**
 * Requests one replica sends another; each is answered by the matching reply.
 * - `push`: the sender's own ops the receiver may lack, in counter order, with the sender's
 *   signature over its feed as far as they go;
 * - `sync`: anti-entropy: "this is what I hold; send me what I lack"; with `state`, the asker
 *   also takes the responder's whole list as a state, should it be far behind.
 * `from` is the sender's author id (its incarnation); a push names the incarnation it is for
 * (`to`, the one that last answered the sender), and another refuses it (`other_incarnation`);
 * it says what its sender retired or was told was (`told`), as sync answers do (`SyncPage.retired`).
 */
export type Request<T> =
  | { readonly type: 'push'; readonly from: ActorId; readonly ops: readonly Op<T>[]; readonly proof: Proof<T>; readonly to?: ActorId; readonly told?: VersionVector }
  | SyncRequest;

/**
 * Anti-entropy's request. With `fullHeads`, the answer carries every signed head it has for the
 * asker's feeds (`SyncPage.heads`); without, those at the asker's lengths come as one digest
 * (`SyncPage.headsDigest`), and the asker asks again with `fullHeads` only if its own differ.
 */
export interface SyncRequest {
  readonly type: 'sync';
  readonly from: ActorId;
  readonly version: VersionVector;
  readonly state?: boolean;
  readonly report?: RetireReport;
  readonly fullHeads?: boolean;
}

/**
 * The signed heads of the feeds an asker holds as far as the responder does, as one digest
 * (`Feeds.headsDigest`): equal unless some feed forked there (or a head is missing on one side).
 */
export interface HeadsDigest {
  readonly actors: readonly ActorId[];
  readonly digest: Uint8Array;
}

/**
 * What a replica has retired (stored before it says so), and how many ops of its own it had made
 * then: none it makes after names a target of those deletes (see INTERNALS.md, "Collecting
 * tombstones"). With it, every incarnation it had heard from (served, or been answered by): any
 * of those may hold what it sent them, so a collector counts them too. Sent with its sync requests.
 */
export interface RetireReport {
  readonly retired: VersionVector;
  readonly own: number;
  readonly heard?: readonly ActorId[];
  /**
   * The asker's signed point at the end of its copy of the responder's own feed: the responder
   * counts the asker as holding its feed only as far as a head it signed itself shows (see
   * INTERNALS.md, "Stability counts branches").
   */
  readonly head?: Head;
}

/**
 * The answer to a sync request: the responder's version, one page of the ops the asker lacks,
 * and for each feed in the page the signed point it ends at.
 */
export interface SyncPage<T> {
  readonly version: VersionVector;
  readonly ops: readonly Op<T>[];
  readonly proofs: readonly Proof<T>[];
  /** Proofs of equivocation the responder holds: the asker checks them and acts on them as the responder did. */
  readonly forks: readonly Fork<T>[];
  /** The signed point at the end of each feed of `version`, where the responder holds one (`Feeds.heads`). */
  readonly heads: readonly Head[];
  /** In place of most of `heads`, where the asker did not ask for them all: see `SyncRequest.fullHeads`. */
  readonly headsDigest?: HeadsDigest;
  /** More ops are missing than fit in one page: ask again with the updated version. */
  readonly more: boolean;
  /**
   * In place of ops, the responder's whole list as a state (see `states.ts`): it holds `version`,
   * `proofs` sign each feed the asker lacks part of to its end, and `more` is true.
   */
  readonly state?: Uint8Array;
  /**
   * With a state that collected ops the asker lacks: each such feed's chain at its base (at or
   * past what was collected), which the asker hashes the state's later ops on from (`ChainBases`).
   */
  readonly bases?: readonly ChainState[];
  /**
   * The responder (its author id) and what it had retired or been told others retired, having
   * heard the asker: what the asker must hold and retire before its next op (see
   * `Replicator.mayEdit`). Where replicas count members (`SyncConfig.members`).
   */
  readonly from?: ActorId;
  readonly retired?: VersionVector;
}

export type Reply<T> = { readonly type: 'push' } | ({ readonly type: 'sync' } & SyncPage<T>);
