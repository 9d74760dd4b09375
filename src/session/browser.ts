import { IndexedDbStore } from '../store/IndexedDbStore.js';
import { nobleFeedCrypto, nobleSigner } from '../transport/noble-crypto.js';
import { checkMember, memorySession, type MemorySessionOptions } from './memory-session.js';
import { SyncSession } from './SyncSession.js';

/**
 * A sync session for a browser (or any JavaScript without node:crypto): ops kept in memory,
 * signed with Ed25519 in plain JavaScript (`nobleFeedCrypto`), which Node's actors check alike.
 * Bundle it from this module (`esbuild src/session/browser.ts --bundle --platform=browser`).
 */
export const browserSession = <T>(opts: MemorySessionOptions<T>): SyncSession<T> => memorySession(opts, nobleFeedCrypto, nobleSigner);

/**
 * A browser replica kept in IndexedDB under `name`: a reload (or a later visit) is the same
 * incarnation, with its ops and its key, offline edits included. Before sending what `poll`
 * gave, wait for `store.flushed()`: an op or an acknowledgement must be stored before a peer sees it.
 */
export async function persistentBrowserSession<T>(name: string, opts: MemorySessionOptions<T>): Promise<{ session: SyncSession<T>; store: IndexedDbStore<T> }> {
  const { member, now, ...rest } = opts;
  checkMember(member);
  const store = await IndexedDbStore.open<T>(name, member, nobleSigner, opts.isValue);
  return { session: new SyncSession<T>({ ...rest, store, crypto: nobleFeedCrypto, now: now ?? Date.now() }), store };
}

/** Deletes the browser replica kept under `name` (the next `persistentBrowserSession` is a new incarnation). */
export const deleteBrowserReplica = (name: string): Promise<void> => IndexedDbStore.destroy(name);
