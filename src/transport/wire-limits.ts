/** The JSON wire's version (`wire.ts`); the binary wire's is 5 (`binary-wire.ts`). */
export const WIRE_VERSION = 2;

/** Most entries a version vector on the wire may have. */
export const MAX_VERSION_ENTRIES = 65_536;

/** Largest request body an actor accepts; senders keep batches and pages well below it. */
export const BODY_LIMIT = 1024 * 1024;
/** Push batches and sync pages stay under this many bytes of ops... */
export const BATCH_BYTES = 256 * 1024;
/** ...and this many ops (also enforced by the schema). */
export const MAX_BATCH_OPS = 4096;
