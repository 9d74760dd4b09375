import { CausalList, type RefKind } from './CausalList.js';
import { FugueTree } from './FugueTree.js';
import { checkId, checkIndex } from './input.js';
import type { ActorId, OpId } from './ids.js';
import type { ListOptions } from './list.js';
import type { DeleteOp, InsertOp, Op } from './ops.js';
import { formatVersion, type VersionVector } from './version.js';

/**
 * The first, simple list: a FugueMax tree plus a per-actor op log. It stays as the reference
 * oracle: faster lists must render exactly what it renders for the same ops.
 */
export class ReferenceList<T> extends CausalList<T> {
  readonly #tree = new FugueTree<T>();
  /** Applied ops per actor, at index counter - 1 (ops of one actor apply in counter order). */
  readonly #log = new Map<ActorId, Op<T>[]>();
  /** Applied ops in application order. */
  readonly #applied: Op<T>[] = [];
  #tombstones = 0;

  constructor(actor: ActorId, options: ListOptions<T> = {}) {
    super(actor, options);
  }

  get length(): number {
    return this.#tree.length;
  }

  /** Every deleted element: the reference never collects. */
  get tombstones(): number {
    return this.#tombstones;
  }

  insert(index: number, value: T): InsertOp<T> {
    checkIndex(index, this.length, 'insert: index');
    const { left, right } = this.#tree.originsAt(index);
    return this.applyLocal({ type: 'insert', id: this.#nextId(), value, left, right });
  }

  delete(index: number): DeleteOp {
    checkIndex(index, this.length - 1, 'delete: index');
    return this.applyLocal({ type: 'delete', id: this.#nextId(), target: this.#tree.idAt(index) });
  }

  indexOf(id: OpId): number {
    checkId(id, 'indexOf: id');
    return this.#tree.indexOf(id);
  }

  opsOf(actor: ActorId, after: number, limit: number): Op<T>[] {
    return (this.#log.get(actor) ?? []).slice(after, after + limit);
  }

  appliedOps(except?: VersionVector): Iterable<Op<T>> {
    return except === undefined ? this.#applied : this.#applied.filter((op) => op.id.counter > (except.get(op.id.actor) ?? 0));
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

  protected held(actor: ActorId): number {
    return this.#log.get(actor)?.length ?? 0;
  }

  protected opAt(id: OpId): Op<T> | undefined {
    return this.#log.get(id.actor)?.[id.counter - 1];
  }

  protected refKind(id: OpId): RefKind {
    return this.opAt(id)?.type ?? 'absent';
  }

  protected integrate(op: Op<T>): void {
    if (op.type === 'insert') this.#tree.insert(op.id, op.value, op.left, op.right);
    else if (this.#tree.delete(op.target)) this.#tombstones++;
    let ops = this.#log.get(op.id.actor);
    if (ops === undefined) this.#log.set(op.id.actor, (ops = []));
    ops.push(op);
    this.#applied.push(op);
  }

  #nextId(): OpId {
    return { actor: this.actor, counter: this.nextCounter };
  }
}
