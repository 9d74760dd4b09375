import { performance } from 'node:perf_hooks';
import type { ActorId, OpId } from '../crdt/ids.js';
import type { Knowledge } from '../sync/knowledge.js';
import type { Op } from '../crdt/ops.js';
import { opsIn, type VersionVector } from '../crdt/version.js';
import type { Signer } from '../sync/feed-crypto.js';
import type { FeedRecords } from '../sync/Feeds.js';
import type { Compaction, Store } from '../sync/store.js';

/** A compaction as the actor reports it (`/status.lastCompaction`). */
export interface CompactionReport {
  /** When it ended (ISO 8601). */
  readonly at: string;
  /** Ops the snapshot holds: the sum of the version vector it covers. */
  readonly ops: number;
  readonly snapshotBytes: number;
  /** How long the store's transaction took (encoding the snapshot comes before it). */
  readonly ms: number;
}

/**
 * A store that reports how long each write takes, in seconds, to `observe`, and each compaction
 * to `compacted`. The timing lives here, at the actor, so the stores and the sync protocol stay
 * free of clocks.
 */
export class TimedStore<T> implements Store<T> {
  readonly #inner: Store<T>;
  readonly #observe: (seconds: number) => void;
  readonly #compacted: (report: CompactionReport) => void;

  constructor(inner: Store<T>, observe: (seconds: number) => void, compacted: (report: CompactionReport) => void = () => {}) {
    this.#inner = inner;
    this.#observe = observe;
    this.#compacted = compacted;
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

  snapshot(): Uint8Array | null {
    return this.#inner.snapshot();
  }

  compact(c: Compaction): void {
    const start = performance.now();
    this.#inner.compact(c);
    this.#compacted({ at: new Date().toISOString(), ops: opsIn(c.covers), snapshotBytes: c.snapshot.length, ms: performance.now() - start });
  }

  replace(ops: readonly Op<T>[], records: FeedRecords): void {
    this.#inner.replace(ops, records);
  }

  bytes(): number {
    return this.#inner.bytes();
  }

  retired(): VersionVector {
    return this.#inner.retired();
  }

  keepRetired(version: VersionVector): void {
    this.#inner.keepRetired(version);
  }

  knowledge(): Knowledge {
    return this.#inner.knowledge();
  }

  keepKnowledge(k: Knowledge): void {
    this.#inner.keepKnowledge(k);
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
