import { FugueTree } from './FugueTree.js';
import { formatId, type ActorId, type OpId } from './ids.js';
import { DEFAULT_MAX_PENDING, type ApplyResult, type List, type ListOptions } from './list.js';
import { dependencies, sameOp, type DeleteOp, type InsertOp, type Op } from './ops.js';
import { PendingOps } from './PendingOps.js';
import { formatVersion, type VersionVector } from './version.js';

/**
 * The first, simple list: a FugueMax tree plus a per-actor op log and a bounded pending set.
 * It stays as the reference oracle: faster lists must render exactly what it renders.
 */
export class ReferenceList<T> implements List<T> {
  readonly actor: ActorId;
  readonly #tree = new FugueTree<T>();
  /** Applied ops per actor, at index counter - 1 (ops of one actor apply in counter order). */
  readonly #log = new Map<ActorId, Op<T>[]>();
  /** Applied ops in application order. */
  readonly #applied: Op<T>[] = [];
  readonly #pending: PendingOps<T>;
  readonly #equals: (a: T, b: T) => boolean;

  constructor(actor: ActorId, options: ListOptions<T> = {}) {
    this.actor = actor;
    this.#pending = new PendingOps(options.maxPending ?? DEFAULT_MAX_PENDING);
    this.#equals = options.equals ?? Object.is;
  }

  get length(): number {
    return this.#tree.length;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get nextCounter(): number {
    return this.#held(this.actor) + 1;
  }

  insert(index: number, value: T): InsertOp<T> {
    if (!Number.isInteger(index) || index < 0 || index > this.length) {
      throw new RangeError(`insert index ${index} out of range 0..${this.length}`);
    }
    const { left, right } = this.#tree.originsAt(index);
    const op: InsertOp<T> = { type: 'insert', id: this.#nextId(), value, left, right };
    this.#applyLocal(op);
    return op;
  }

  delete(index: number): DeleteOp {
    const op: DeleteOp = { type: 'delete', id: this.#nextId(), target: this.#tree.idAt(index) };
    this.#applyLocal(op);
    return op;
  }

  apply(op: Op<T>): ApplyResult {
    const verdict = this.check(op);
    if (verdict !== 'new') return verdict;
    const missing = this.#missing(op);
    if (missing !== null) {
      if (this.#pending.full) return 'full';
      this.#pending.add(op, missing);
      return 'pending';
    }
    this.#integrateAndRelease(op);
    return 'applied';
  }

  check(op: Op<T>): 'new' | 'duplicate' | 'equivocation' | 'invalid' {
    const held = this.#opAt(op.id) ?? this.#pending.get(op.id);
    if (held !== undefined) return sameOp(held, op, this.#equals) ? 'duplicate' : 'equivocation';
    return this.#refsValid(op) ? 'new' : 'invalid';
  }

  opsOf(actor: ActorId, after: number, limit: number): Op<T>[] {
    return (this.#log.get(actor) ?? []).slice(after, after + limit);
  }

  appliedOps(): Iterable<Op<T>> {
    return this.#applied;
  }

  has(id: OpId): boolean {
    return this.#opAt(id) !== undefined;
  }

  toArray(): T[] {
    return this.#tree.toArray();
  }

  version(): VersionVector {
    return new Map([...this.#log].map(([actor, ops]) => [actor, ops.length]));
  }

  toString(): string {
    return `ReferenceList a${this.actor} ${formatVersion(this.version())} pending=${this.pendingCount} ${this.#tree}`;
  }

  #nextId(): OpId {
    return { actor: this.actor, counter: this.nextCounter };
  }

  #applyLocal(op: Op<T>): void {
    const result = this.apply(op);
    if (result !== 'applied') throw new Error(`local op ${formatId(op.id)} was not applied: ${result}`);
  }

  #held(actor: ActorId): number {
    return this.#log.get(actor)?.length ?? 0;
  }

  #opAt(id: OpId): Op<T> | undefined {
    return this.#log.get(id.actor)?.[id.counter - 1];
  }

  /** Origins and targets must be inserts made before this op (by its author's own clock, too). */
  #refsValid(op: Op<T>): boolean {
    const refs = op.type === 'insert' ? [op.left, op.right] : [op.target];
    for (const ref of refs) {
      if (ref === null) continue;
      if (ref.actor === op.id.actor && ref.counter >= op.id.counter) return false;
      const target = this.#opAt(ref);
      if (target !== undefined && target.type !== 'insert') return false;
    }
    return true;
  }

  /** The first dependency not yet applied, or null when `op` can be applied. */
  #missing(op: Op<T>): OpId | null {
    for (const dep of dependencies(op)) if (!this.has(dep)) return dep;
    return null;
  }

  #integrateAndRelease(first: Op<T>): void {
    const ready = [first];
    for (let op = ready.pop(); op !== undefined; op = ready.pop()) {
      this.#integrate(op);
      for (const waiter of this.#pending.release(op.id)) {
        if (!this.#refsValid(waiter)) continue; // names a delete as its origin: never applicable
        const missing = this.#missing(waiter);
        if (missing === null) ready.push(waiter);
        else this.#pending.repark(waiter, missing);
      }
    }
  }

  #integrate(op: Op<T>): void {
    if (op.type === 'insert') this.#tree.insert(op.id, op.value, op.left, op.right);
    else this.#tree.delete(op.target);
    let ops = this.#log.get(op.id.actor);
    if (ops === undefined) this.#log.set(op.id.actor, (ops = []));
    ops.push(op);
    this.#applied.push(op);
  }
}
