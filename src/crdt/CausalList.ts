import { formatId, type ActorId, type OpId } from './ids.js';
import { DEFAULT_MAX_PENDING, type ApplyResult, type CheckResult, type List, type ListOptions } from './list.js';
import { sameOp, type DeleteOp, type InsertOp, type Op } from './ops.js';
import { PendingOps } from './PendingOps.js';
import type { VersionVector } from './version.js';

export type RefKind = 'insert' | 'delete' | 'absent' | 'collected';

/**
 * What every list shares: causal delivery (an op waits in a bounded pending set until its
 * author's previous op and its origins or target are applied), idempotence, and the refusal of
 * equivocating or invalid ops. Subclasses keep the elements and the applied ops.
 */
export abstract class CausalList<T> implements List<T> {
  readonly actor: ActorId;
  readonly #pending: PendingOps<T>;
  readonly #equals: (a: T, b: T) => boolean;

  constructor(actor: ActorId, options: ListOptions<T>) {
    this.actor = actor;
    const max = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#pending = new PendingOps(max, options.maxPendingPerAuthor ?? max);
    this.#equals = options.equals ?? Object.is;
  }

  abstract readonly length: number;
  abstract readonly tombstones: number;
  abstract insert(index: number, value: T): InsertOp<T>;
  abstract delete(index: number): DeleteOp;
  abstract opsOf(actor: ActorId, after: number, limit: number): Op<T>[];
  abstract appliedOps(except?: VersionVector): Iterable<Op<T>>;
  abstract toArray(): T[];
  abstract version(): VersionVector;
  abstract toString(): string;
  /** How many ops of `actor` are applied (they apply in counter order, so counters 1..n). */
  protected abstract held(actor: ActorId): number;
  /** The applied op with this id; undefined when it is not applied, or no longer kept (collected). */
  protected abstract opAt(id: OpId): Op<T> | undefined;
  /**
   * What an op naming `id` as an origin or target would name: an applied insert or delete, an op
   * not applied yet (absent), or an element this list has collected (or a delete it forgot).
   */
  protected abstract refKind(id: OpId): RefKind;
  /** Apply an op whose dependencies are all applied, and record it. */
  protected abstract integrate(op: Op<T>): void;

  get pendingCount(): number {
    return this.#pending.size;
  }

  get nextCounter(): number {
    return this.held(this.actor) + 1;
  }

  pendingOps(): Iterable<Op<T>> {
    return this.#pending.values();
  }

  has(id: OpId): boolean {
    return id.counter <= this.held(id.actor);
  }

  apply(op: Op<T>): ApplyResult {
    return this.#apply(op, true);
  }

  restore(ops: Iterable<Op<T>>): void {
    for (const op of ops) {
      const verdict = this.#apply(op, false);
      if (verdict === 'equivocation') throw new Error(`op ${formatId(op.id)} is held twice with different content`);
    }
  }

  check(op: Op<T>): CheckResult {
    if (this.has(op.id)) {
      const held = this.opAt(op.id);
      // A collected op is known to every replica; its content is no longer here to compare.
      return held === undefined || sameOp(held, op, this.#equals) ? 'duplicate' : 'equivocation';
    }
    const pending = this.#pending.size > 0 ? this.#pending.get(op.id) : undefined;
    if (pending !== undefined) return sameOp(pending, op, this.#equals) ? 'duplicate' : 'equivocation';
    return this.#refsVerdict(op);
  }

  /** Call after integrating an op outside `apply` (a local edit): applies what waited for it. */
  protected released(id: OpId): void {
    if (this.#pending.size === 0) return;
    const ready: OpId[] = [id];
    for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
      for (const waiter of this.#pending.release(next)) {
        if (this.#refsVerdict(waiter) !== 'new') continue; // names a delete, or a collected element: never applicable
        const missing = this.#missing(waiter);
        if (missing !== null) {
          this.#pending.add(waiter, missing);
        } else {
          this.integrate(waiter);
          ready.push(waiter.id);
        }
      }
    }
  }

  protected checkInsertIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index > this.length) {
      throw new RangeError(`insert index ${index} out of range 0..${this.length}`);
    }
  }

  /** Make and apply a local op through the general path (simple lists use this). */
  protected applyLocal<O extends Op<T>>(op: O): O {
    const result = this.apply(op);
    if (result !== 'applied') throw new Error(`local op ${formatId(op.id)} was not applied: ${result}`);
    return op;
  }

  #apply(op: Op<T>, bounded: boolean): ApplyResult {
    const verdict = this.check(op);
    if (verdict !== 'new') return verdict;
    const missing = this.#missing(op);
    if (missing !== null) {
      if (bounded && !this.#pending.admits(op.id.actor)) return 'full';
      this.#pending.add(op, missing);
      return 'pending';
    }
    this.integrate(op);
    this.released(op.id);
    return 'applied';
  }

  /**
   * Origins and targets must be inserts made before this op (by its author's own clock, too), and
   * not collected: only a replica that broke the stability rule names a collected element.
   */
  #refsVerdict(op: Op<T>): 'new' | 'invalid' | 'collected' {
    if (op.type === 'delete') return this.#refVerdict(op, op.target);
    const left = this.#refVerdict(op, op.left);
    return left !== 'new' ? left : this.#refVerdict(op, op.right);
  }

  #refVerdict(op: Op<T>, ref: OpId | null): 'new' | 'invalid' | 'collected' {
    if (ref === null) return 'new';
    if (ref.actor === op.id.actor && ref.counter >= op.id.counter) return 'invalid';
    const kind = this.refKind(ref);
    return kind === 'delete' ? 'invalid' : kind === 'collected' ? 'collected' : 'new';
  }

  /** The first dependency not yet applied, or null when `op` can be applied. */
  #missing(op: Op<T>): OpId | null {
    // The order of `dependencies(op)`, without building its array: this runs for every op applied.
    if (op.id.counter > this.held(op.id.actor) + 1) return { actor: op.id.actor, counter: op.id.counter - 1 };
    if (op.type === 'delete') return this.has(op.target) ? null : op.target;
    if (op.left !== null && !this.has(op.left)) return op.left;
    if (op.right !== null && !this.has(op.right)) return op.right;
    return null;
  }
}
