import { refusal } from './batch.js';
import { Changes, type ChangeListener } from './changes.js';
import { formatId, type ActorId, type OpId } from './ids.js';
import { checkActor, checkCount, checkIndex, checkOp, checkOps, checkVersion } from './input.js';
import { DEFAULT_MAX_PENDING, type ApplyCounts, type ApplyResult, type CheckResult, type List, type ListOptions } from './list.js';
import { sameOp, type DeleteOp, type InsertOp, type Op } from './ops.js';
import { PendingOps } from './PendingOps.js';
import { RefusedOpError } from './validate.js';
import { covers, formatVersion, type VersionVector } from './version.js';

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
  /** Listeners, and the events of the call under way. */
  protected readonly changes = new Changes<T>();
  /** Pending ops the last `apply` or `applyMany` applied because of the ops it was given. */
  #released = 0;

  constructor(actor: ActorId, options: ListOptions<T>) {
    checkActor(actor, 'actor');
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
  /** Visible position of the element `id` made; -1 when it is deleted or not held. */
  abstract indexOf(id: OpId): number;
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

  get released(): number {
    return this.#released;
  }

  onChange(listener: ChangeListener<T>): () => void {
    return this.changes.listen(listener);
  }

  apply(op: Op<T>): ApplyResult {
    checkOp(op, 'apply: op');
    this.#released = 0;
    const verdict = this.#apply(op, true, false);
    this.changes.flush();
    return verdict;
  }

  applyMany(ops: Iterable<Op<T>>): ApplyCounts {
    const batch = checkOps(ops, 'applyMany: ops');
    const refused = refusal(this, batch, this.#equals);
    if (refused !== null) throw new RefusedOpError(refused.verdict, refused.op, `applyMany: ${refused.message}`);
    const counts = { applied: 0, duplicate: 0, pending: 0, released: 0, full: 0 };
    this.#released = 0;
    this.changes.begin();
    try {
      for (const op of batch) counts[this.#apply(op, true, false) as 'applied' | 'duplicate' | 'pending' | 'full']++;
    } finally {
      this.changes.end();
    }
    counts.released = this.#released;
    return counts;
  }

  insertMany(index: number, values: readonly T[]): InsertOp<T>[] {
    checkIndex(index, this.length, 'insertMany: index');
    if (!Array.isArray(values)) throw new TypeError(`insertMany: values must be an array, got ${typeof values}`);
    const ops: InsertOp<T>[] = [];
    this.changes.begin();
    try {
      for (let k = 0; k < values.length; k++) ops.push(this.insert(index + k, values[k] as T));
    } finally {
      this.changes.end();
    }
    return ops;
  }

  deleteMany(index: number, count: number): DeleteOp[] {
    checkCount(count, 'deleteMany: count');
    checkIndex(index, this.length - count, 'deleteMany: index');
    const ops: DeleteOp[] = [];
    this.changes.begin();
    try {
      for (let k = 0; k < count; k++) ops.push(this.delete(index));
    } finally {
      this.changes.end();
    }
    return ops;
  }

  opsSince(version: VersionVector): Op<T>[] {
    checkVersion(version, 'opsSince: version');
    const { collected } = this as Partial<Pick<List<T>, 'collected'>>;
    if (collected !== undefined && !covers(version, collected)) {
      throw new RangeError(`opsSince: this list collected ops ${formatVersion(version)} lacks (it holds ${formatVersion(collected)} only as state): send its state instead`);
    }
    return [...this.appliedOps(version)];
  }

  restore(ops: Iterable<Op<T>>): void {
    try {
      for (const op of ops) {
        const verdict = this.#apply(op, false, false);
        if (verdict === 'equivocation') throw new Error(`op ${formatId(op.id)} is held twice with different content`);
      }
    } finally {
      this.changes.flush();
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

  /** Call after integrating an op outside `apply` (a local edit): applies what waited for it; returns how many. */
  protected releaseAfter(id: OpId): number {
    if (this.#pending.size === 0) return 0;
    let released = 0;
    const ready: OpId[] = [id];
    for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
      for (const waiter of this.#pending.release(next)) {
        if (this.#refsVerdict(waiter) !== 'new') continue; // names a delete, or a collected element: never applicable
        const missing = this.#missing(waiter);
        if (missing !== null) {
          this.#pending.add(waiter, missing);
        } else {
          this.#integrate(waiter, false);
          released++;
          ready.push(waiter.id);
        }
      }
    }
    return released;
  }

  /** Make and apply a local op through the general path (simple lists use this). */
  protected applyLocal<O extends Op<T>>(op: O): O {
    const result = this.#apply(op, true, true);
    this.changes.flush();
    if (result !== 'applied') throw new Error(`local op ${formatId(op.id)} was not applied: ${result}`);
    return op;
  }

  /** Integrate `op`, queuing its event when anyone listens (a delete of a tombstone changes nothing visible). */
  #integrate(op: Op<T>, local: boolean): void {
    if (!this.changes.listening) return this.integrate(op);
    if (op.type === 'insert') {
      this.integrate(op);
      this.changes.inserted(this.indexOf(op.id), op.value, local);
    } else {
      const index = this.indexOf(op.target);
      this.integrate(op);
      if (index >= 0) this.changes.deleted(index, local);
    }
  }

  #apply(op: Op<T>, bounded: boolean, local: boolean): ApplyResult {
    const verdict = this.check(op);
    if (verdict !== 'new') return verdict;
    const missing = this.#missing(op);
    if (missing !== null) {
      if (bounded && !this.#pending.admits(op.id.actor)) return 'full';
      this.#pending.add(op, missing);
      return 'pending';
    }
    this.#integrate(op, local);
    this.#released += this.releaseAfter(op.id);
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
