/// <reference lib="dom" />
import type { OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import type { FeedRecords } from '../sync/Feeds.js';
import type { Knowledge } from '../sync/knowledge.js';
import type { Compaction, Store } from '../sync/store.js';
import { KeyedMemoryStore, memoryBacking, randomSeed, type MemoryBacking, type SignerOf } from './KeyedMemoryStore.js';

const DB_VERSION = 1;
const OBJECTS = 'replica';
const KEY = 'backing';

/**
 * A browser's store: a memory store whose backing is kept in IndexedDB, read whole when opened
 * and written whole after each change (the structured clone IndexedDB takes is the backing as
 * it stands, so a write is consistent). Writing is behind: the `Store` interface is synchronous
 * and IndexedDB is not, so what a replica must not show before it is stored (its own ops, an
 * acknowledgement) waits for `flushed()`. One tab holds a replica at a time (a Web Lock): two
 * live copies of one incarnation would sign two different ops with one counter.
 */
export class IndexedDbStore<T> implements Store<T> {
  readonly #inner: KeyedMemoryStore<T>;
  readonly #backing: MemoryBacking<T>;
  readonly #db: IDBDatabase;
  readonly #release: () => void;
  #writing: Promise<void> = Promise.resolve();
  #failed: Error | null = null;

  private constructor(inner: KeyedMemoryStore<T>, backing: MemoryBacking<T>, db: IDBDatabase, release: () => void) {
    this.#inner = inner;
    this.#backing = backing;
    this.#db = db;
    this.#release = release;
  }

  /**
   * The replica kept under `name` (a new one if none is), as member `member`. Rejects when
   * another tab holds it, or when IndexedDB or Web Locks are not there.
   */
  static async open<T>(name: string, member: number, signerOf: SignerOf, isValue?: (value: T) => boolean): Promise<IndexedDbStore<T>> {
    const release = await holdLock(`crdt-genome:${name}`);
    try {
      const db = await openDb(name);
      const saved = (await request(db.transaction(OBJECTS).objectStore(OBJECTS).get(KEY))) as MemoryBacking<T> | undefined;
      const backing = saved ?? memoryBacking<T>();
      const store = new IndexedDbStore(new KeyedMemoryStore<T>(member, backing, isValue, randomSeed, signerOf), backing, db, release);
      // A new replica's key is kept before it signs anything.
      if (saved === undefined) store.#changed();
      await store.flushed();
      return store;
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Deletes the replica kept under `name`, holding its lock meanwhile: waits up to `waitMs` for
   * a store of this tab that is closing, and rejects when another tab keeps it open.
   */
  static async destroy(name: string, waitMs = 3000): Promise<void> {
    try {
      await navigator.locks.request(`crdt-genome:${name}`, { signal: AbortSignal.timeout(waitMs) }, () => request(indexedDB.deleteDatabase(`crdt-genome:${name}`)));
    } catch (err) {
      throw (err as Error).name === 'TimeoutError' ? new Error('this replica is open in another tab') : err;
    }
  }

  /** Resolves once every change so far is in IndexedDB; rejects if a write failed (then the store is of no more use). */
  async flushed(): Promise<void> {
    await this.#writing;
    if (this.#failed !== null) throw this.#failed;
  }

  #changed(): void {
    if (this.#failed !== null) throw this.#failed;
    const put = this.#db.transaction(OBJECTS, 'readwrite', { durability: 'strict' });
    put.objectStore(OBJECTS).put(this.#backing, KEY);
    const done = new Promise<void>((resolve) => {
      put.oncomplete = () => resolve();
      put.onerror = put.onabort = () => {
        this.#failed ??= new Error(`IndexedDB: ${put.error?.message ?? 'a write was aborted'}`);
        resolve();
      };
    });
    this.#writing = this.#writing.then(() => done);
  }

  get member(): number {
    return this.#inner.member;
  }
  get actor() {
    return this.#inner.actor;
  }
  get signer() {
    return this.#inner.signer;
  }
  snapshot(): Uint8Array | null {
    return this.#inner.snapshot();
  }
  load(): Op<T>[] {
    return this.#inner.load();
  }
  records(): FeedRecords {
    return this.#inner.records();
  }
  check(op: Op<T>): string | null {
    return this.#inner.check(op);
  }
  retired(): VersionVector {
    return this.#inner.retired();
  }
  knowledge(): Knowledge {
    return this.#inner.knowledge();
  }
  bytes(): number {
    return this.#inner.bytes();
  }
  append(ops: readonly Op<T>[], records?: FeedRecords): void {
    this.#inner.append(ops, records);
    this.#changed();
  }
  drop(ids: readonly OpId[], records: FeedRecords): void {
    this.#inner.drop(ids, records);
    this.#changed();
  }
  compact(c: Compaction): void {
    this.#inner.compact(c);
    this.#changed();
  }
  replace(ops: readonly Op<T>[], records: FeedRecords, snapshot?: Compaction): void {
    this.#inner.replace(ops, records, snapshot);
    this.#changed();
  }
  keepRetired(version: VersionVector): void {
    this.#inner.keepRetired(version);
    this.#changed();
  }
  keepKnowledge(k: Knowledge): void {
    this.#inner.keepKnowledge(k);
    this.#changed();
  }
  renew(): void {
    this.#inner.renew();
    this.#changed();
  }
  close(): void {
    this.#inner.close();
    void this.#writing.then(() => {
      this.#db.close();
      this.#release();
    });
  }
}

function openDb(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(`crdt-genome:${name}`, DB_VERSION);
  open.onupgradeneeded = () => open.result.createObjectStore(OBJECTS);
  return request(open);
}

function request<R>(req: IDBRequest<R>): Promise<R> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB: ${req.error?.message ?? 'a request failed'}`));
  });
}

/** Hold the Web Lock `name` until the returned function is called; rejects at once if another holds it. */
function holdLock(name: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    void navigator.locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          reject(new Error(`this replica is open in another tab`));
          return undefined;
        }
        // Held until released.
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}
