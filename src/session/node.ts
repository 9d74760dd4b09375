import { nodeFeedCrypto, signerFromSeed } from '../transport/signing.js';
import { memorySession, type MemorySessionOptions } from './memory-session.js';
import type { SyncSession } from './SyncSession.js';

/** A sync session in Node: ops kept in memory, signed with node:crypto's Ed25519. */
export const nodeSession = <T>(opts: MemorySessionOptions<T>): SyncSession<T> => memorySession(opts, nodeFeedCrypto, signerFromSeed);
