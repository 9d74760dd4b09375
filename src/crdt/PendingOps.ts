import { idKey, type OpId } from './ids.js';
import type { Op } from './ops.js';

/**
 * Ops waiting for a dependency, indexed by the one they wait for. Bounded: `add` refuses
 * once `max` ops are held, so a flood from a peer cannot grow memory without limit.
 */
export class PendingOps<T> {
  readonly #byId = new Map<string, Op<T>>();
  readonly #waiting = new Map<string, Op<T>[]>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#byId.size;
  }

  get full(): boolean {
    return this.#byId.size >= this.#max;
  }

  values(): IterableIterator<Op<T>> {
    return this.#byId.values();
  }

  get(id: OpId): Op<T> | undefined {
    return this.#byId.get(idKey(id));
  }

  add(op: Op<T>, missing: OpId): void {
    if (this.full) throw new Error('pending set is full');
    this.#byId.set(idKey(op.id), op);
    this.#park(op, missing);
  }

  /** Ops that were waiting for `id`; they leave the set and the caller re-examines them. */
  release(id: OpId): Op<T>[] {
    const key = idKey(id);
    const ops = this.#waiting.get(key);
    if (ops === undefined) return [];
    this.#waiting.delete(key);
    for (const op of ops) this.#byId.delete(idKey(op.id));
    return ops;
  }

  /** Put back an op that was released but still misses another dependency. */
  repark(op: Op<T>, missing: OpId): void {
    this.#byId.set(idKey(op.id), op);
    this.#park(op, missing);
  }

  #park(op: Op<T>, missing: OpId): void {
    const key = idKey(missing);
    const list = this.#waiting.get(key);
    if (list === undefined) this.#waiting.set(key, [op]);
    else list.push(op);
  }
}
