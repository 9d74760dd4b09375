import type { ChangeEvent, ChangeListener } from '../crdt/changes.js';
import type { OpId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';

/**
 * What a session shows of its list: reading and following it. Edits go through the session
 * (`insertMany`, `deleteMany`), which stores and signs them; ops come in through `receive`.
 */
export type ListView<T> = Pick<List<T>, 'actor' | 'length' | 'pendingCount' | 'tombstones' | 'toArray' | 'version' | 'has' | 'indexOf' | 'onChange' | 'opsSince' | 'toString'>;

/**
 * The session's list as one object for its whole life. The replica replaces its list when it
 * takes a state or drops a proven fork; listeners stay here, and are told of the replacement as
 * a change like any other (what went, what came), so a mirror of the list stays exact.
 */
export class SessionList<T> implements ListView<T> {
  readonly #current: () => List<T>;
  readonly #listeners = new Set<ChangeListener<T>>();
  #followed: List<T> | null = null;
  #unfollow: () => void = () => undefined;

  constructor(current: () => List<T>) {
    this.#current = current;
  }

  get actor(): List<T>['actor'] {
    return this.#current().actor;
  }
  get length(): number {
    return this.#current().length;
  }
  get pendingCount(): number {
    return this.#current().pendingCount;
  }
  get tombstones(): number {
    return this.#current().tombstones;
  }
  toArray(): T[] {
    return this.#current().toArray();
  }
  version(): VersionVector {
    return this.#current().version();
  }
  has(id: OpId): boolean {
    return this.#current().has(id);
  }
  indexOf(id: OpId): number {
    return this.#current().indexOf(id);
  }
  opsSince(version: VersionVector): Op<T>[] {
    return this.#current().opsSince(version);
  }
  toString(): string {
    return this.#current().toString();
  }

  onChange(listener: ChangeListener<T>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`onChange: listener must be a function, got ${typeof listener}`);
    this.#listeners.add(listener);
    if (this.#followed === null) this.#follow(this.#current());
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** After anything that may have replaced the list: tell listeners it was replaced, and follow the new one. */
  check(): void {
    const now = this.#current();
    const before = this.#followed;
    if (before === null || before === now) return;
    this.#follow(now);
    const gone = before.length;
    const values = now.toArray();
    if (gone > 0) this.#emit({ type: 'delete', index: 0, count: gone, local: false });
    if (values.length > 0) this.#emit({ type: 'insert', index: 0, values, local: false });
  }

  #follow(list: List<T>): void {
    this.#unfollow();
    this.#followed = list;
    this.#unfollow = list.onChange((e) => this.#emit(e));
  }

  #emit(event: ChangeEvent<T>): void {
    for (const listener of this.#listeners) listener(event);
  }
}
