import { performance } from 'node:perf_hooks';
import type { ActorId, OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { Signer } from '../sync/feed-crypto.js';
import type { FeedRecords } from '../sync/Feeds.js';
import type { Store } from '../sync/store.js';

/**
 * A store that reports how long each write takes, in seconds, to `observe`. The timing lives
 * here, at the actor, so the stores and the sync protocol stay free of clocks.
 */
export class TimedStore<T> implements Store<T> {
  readonly #inner: Store<T>;
  readonly #observe: (seconds: number) => void;

  constructor(inner: Store<T>, observe: (seconds: number) => void) {
    this.#inner = inner;
    this.#observe = observe;
  }

  get member(): number {
    return this.#inner.member;
  }

  get actor(): ActorId {
    return this.#inner.actor;
  }

  get signer(): Signer {
    return this.#inner.signer;
  }

  load(): Op<T>[] {
    return this.#inner.load();
  }

  records(): FeedRecords {
    return this.#inner.records();
  }

  /** A write that throws is not observed: the actor stops on it anyway. */
  append(ops: readonly Op<T>[], records?: FeedRecords): void {
    const start = performance.now();
    this.#inner.append(ops, records);
    this.#observe((performance.now() - start) / 1000);
  }

  check(op: Op<T>): string | null {
    return this.#inner.check(op);
  }

  drop(ids: readonly OpId[], records: FeedRecords): void {
    this.#inner.drop(ids, records);
  }

  renew(): void {
    this.#inner.renew();
  }

  close(): void {
    this.#inner.close();
  }
}
