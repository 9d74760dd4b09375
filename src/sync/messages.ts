import type { ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';

/** How a replica names a peer: a base URL over HTTP, a name in the simulator. */
export type PeerId = string;

/**
 * Requests one replica sends another; each is answered by the matching reply.
 * - `push`: ops the receiver may lack (the sender's own, in counter order);
 * - `sync`: anti-entropy: "this is what I hold; send me what I lack". `catchUp` marks the
 *   exchanges an actor makes at start, before its first mutation.
 */
export type Request<T> =
  | { readonly type: 'push'; readonly from: ActorId; readonly ops: readonly Op<T>[] }
  | { readonly type: 'sync'; readonly from: ActorId; readonly version: VersionVector; readonly catchUp: boolean };

/** The answer to a sync request: the responder's version and one page of the ops the asker lacks. */
export interface SyncPage<T> {
  readonly version: VersionVector;
  readonly ops: readonly Op<T>[];
  /** More ops are missing than fit in one page: ask again with the updated version. */
  readonly more: boolean;
  /**
   * The highest counter of the asker's own ops the responder holds, waiting ones included: an
   * asker that lost its store must not make new ops below it.
   */
  readonly yours: number;
}

export type Reply<T> = { readonly type: 'push' } | ({ readonly type: 'sync' } & SyncPage<T>);
