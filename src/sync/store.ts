import type { ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';

/**
 * Where a replica keeps every op it has taken (its own and its peers'), so that it survives a
 * restart. Implementations: SQLite (`src/store/SqliteStore.ts`) and memory (`MemoryStore`);
 * both pass `runStoreTests`.
 */
export interface Store<T> {
  readonly actor: ActorId;
  /** Everything stored, in the order it was appended. */
  load(): Op<T>[];
  /** Store ops atomically; they are durable when this returns. Ops already stored are ignored. */
  append(ops: readonly Op<T>[]): void;
  close(): void;
}
