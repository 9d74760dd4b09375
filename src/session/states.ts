import { FastList } from '../crdt/fast/FastList.js';
import { decodeSaved, encodeState } from '../crdt/fast/state-codec.js';
import type { ListOptions } from '../crdt/list.js';
import type { ValueCodec } from '../crdt/value-codec.js';
import type { SnapshotCodec } from '../sync/states.js';

/** A session's store compacts into a state once this many ops were stored since the last one. */
export const SESSION_COMPACT_EVERY = 1000;

/**
 * Lists as plain states (list state v6, values written by `codec`): what a session's store
 * compacts into, and what it takes from, or sends to, a peer far behind or one that collected
 * what it lacks. Uncompressed, so that it needs nothing a browser lacks; the actors' states are
 * Brotli (`store/snapshot.ts`), and the lab's relay inflates one before a tab sees it.
 */
export function plainStates<T>(codec: ValueCodec<T>, options: ListOptions<T>, maxBytes: number, every = SESSION_COMPACT_EVERY): SnapshotCodec<T> {
  return {
    every,
    // Each compaction writes the whole list: at least as many ops as it holds elements between two.
    growth: 1,
    maxBytes,
    encode(list) {
      if (!(list instanceof FastList)) throw new Error('only a FastList can be written as a state');
      return encodeState((list as FastList<T>).exportState(), codec);
    },
    decode: (actor, bytes) => FastList.fromSaved(actor, decodeSaved(bytes, codec), options),
  };
}
