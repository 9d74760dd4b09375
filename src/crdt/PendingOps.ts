import { idKey, type OpId } from './ids.js';
import type { Op } from './ops.js';

/**
 * Ops waiting for a dependency, indexed by the one they wait for. Bounded in all (`max`) and per
 * author (`maxPerAuthor`): a flood cannot grow memory without limit, and one author's ops that
 * never become ready cannot take the room other authors' out-of-order ops need.
 */
export class PendingOps<T> {
  readonly #byId = new Map<string, Op<T>>();
  readonly #waiting = new Map<string, Op<T>[]>();
  readonly #perAuthor = new Map<number, number>();
  readonly #max: number;
  readonly #maxPerAuthor: number;

  constructor(max: number, maxPerAuthor = max) {
    this.#max = max;
    this.#maxPerAuthor = maxPerAuthor;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Ops of `author` held. */
  #countOf(author: number): number {
    return this.#perAuthor.get(author) ?? 0;
  }

  /** Whether an op of `author` may be added within the bounds. */
  admits(author: number): boolean {
    return this.#byId.size < this.#max && this.#countOf(author) < this.#maxPerAuthor;
  }

  values(): IterableIterator<Op<T>> {
    return this.#byId.values();
  }

  get(id: OpId): Op<T> | undefined {
    return this.#byId.get(idKey(id));
  }

  /**
   * Hold `op` until `missing` is applied. The caller checks `admits` for a new op; an op released
   * and parked again, or restored from a store, was admitted once and is not refused.
   */
  add(op: Op<T>, missing: OpId): void {
    this.#byId.set(idKey(op.id), op);
    this.#perAuthor.set(op.id.actor, this.#countOf(op.id.actor) + 1);
    const key = idKey(missing);
    const list = this.#waiting.get(key);
    if (list === undefined) this.#waiting.set(key, [op]);
    else list.push(op);
  }

  /** Ops that were waiting for `id`; they leave the set and the caller re-examines them. */
  release(id: OpId): Op<T>[] {
    const key = idKey(id);
    const ops = this.#waiting.get(key);
    if (ops === undefined) return [];
    this.#waiting.delete(key);
    for (const op of ops) {
      this.#byId.delete(idKey(op.id));
      const n = this.#countOf(op.id.actor) - 1;
      if (n === 0) this.#perAuthor.delete(op.id.actor);
      else this.#perAuthor.set(op.id.actor, n);
    }
    return ops;
  }
}
