import { nobleFeedCrypto, nobleSigner } from '../transport/noble-crypto.js';
import { memorySession, type MemorySessionOptions } from './memory-session.js';
import type { SyncSession } from './SyncSession.js';

/**
 * A sync session for a browser (or any JavaScript without node:crypto): ops kept in memory,
 * signed with Ed25519 in plain JavaScript (`nobleFeedCrypto`), which Node's actors check alike.
 * Bundle it from this module (`esbuild src/session/browser.ts --bundle --platform=browser`).
 */
export const browserSession = <T>(opts: MemorySessionOptions<T>): SyncSession<T> => memorySession(opts, nobleFeedCrypto, { signer: nobleSigner, tagOf: nobleFeedCrypto.tagOf });
