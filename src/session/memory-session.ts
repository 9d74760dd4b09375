import { KeyedMemoryStore, memoryBacking, randomSeed, type SignerOf } from '../store/KeyedMemoryStore.js';
import type { FeedCrypto } from '../sync/feed-crypto.js';
import { SyncSession, type SessionOptions } from './SyncSession.js';

export interface MemorySessionOptions<T> extends Omit<SessionOptions<T>, 'store' | 'crypto' | 'now'> {
  /** This replica's member number, 0 .. members - 1: no two live replicas may share one. */
  readonly member: number;
  /** Now, in ms; default `Date.now()`. */
  readonly now?: number;
}

/**
 * A sync session whose ops are kept in memory (a restart is a new incarnation of the member,
 * which its peers catch up), signing with `signerOf` and checking with `crypto`.
 */
export function memorySession<T>(opts: MemorySessionOptions<T>, crypto: FeedCrypto, signerOf: SignerOf): SyncSession<T> {
  const { member, now, ...rest } = opts;
  checkMember(member);
  const store = new KeyedMemoryStore<T>(member, memoryBacking<T>(), opts.isValue, randomSeed, signerOf);
  return new SyncSession<T>({ ...rest, store, crypto, now: now ?? Date.now() });
}

export function checkMember(member: unknown): asserts member is number {
  if (!Number.isInteger(member) || (member as number) < 0) throw new RangeError(`member must be a whole number of 0 or more, got ${String(member)}`);
}
