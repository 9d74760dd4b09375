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
  /**
   * Store ops atomically; they are durable when this returns. An op already stored with the same
   * content is ignored; one stored with other content (an op the list dropped: it waited, then
   * could never apply) is replaced, and moves to the end of the order. An op `check` refuses
   * throws, and nothing of the call is stored.
   */
  append(ops: readonly Op<T>[]): void;
  /**
   * Why this store could not hold `op` and load it again, or null: the same check `load` makes of
   * what it reads, so a store never holds what it cannot load. Pure; a replica asks before taking an op.
   */
  check(op: Op<T>): string | null;
  close(): void;
}
