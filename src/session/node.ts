import { memoryBacking, MemoryStore } from '../store/MemoryStore.js';
import { nodeFeedCrypto } from '../transport/signing.js';
import { SyncSession, type SessionOptions } from './SyncSession.js';

export interface NodeSessionOptions<T> extends Omit<SessionOptions<T>, 'store' | 'crypto' | 'now'> {
  /** This replica's member number, 0 .. members - 1: no two live replicas may share one. */
  readonly member: number;
  /** Now, in ms; default `Date.now()`. */
  readonly now?: number;
}

/**
 * A sync session in Node: ops kept in memory (a restart is a new incarnation of the member, which
 * its peers catch up), signed with Node's Ed25519.
 */
export function nodeSession<T>(opts: NodeSessionOptions<T>): SyncSession<T> {
  const { member, now, ...rest } = opts;
  if (!Number.isInteger(member) || member < 0) throw new RangeError(`member must be a whole number of 0 or more, got ${String(member)}`);
  const isValue = opts.isValue;
  const store = new MemoryStore<T>(member, memoryBacking<T>(), isValue);
  return new SyncSession<T>({ ...rest, store, crypto: nodeFeedCrypto, now: now ?? Date.now() });
}
