/**
 * Stores: where an actor keeps every op it has taken. SQLite for real runs, memory for
 * `--memory` and the simulator. Both implement the `Store` interface of `src/sync`.
 */
export { MemoryStore, memoryBacking, type MemoryBacking } from './MemoryStore.js';
export { SqliteStore } from './SqliteStore.js';
export { StoreError } from './StoreError.js';
export { SCHEMA_VERSION } from './schema.js';
