import { idKey, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';

/**
 * Every op a run made: honest replicas' (the first op of each id) and those a copied key signed.
 * How many distinct ids each author has is kept as ops come, so that a long run's checks need not
 * count a million ops again every virtual second.
 */
export class OpsMade<T> {
  /** Honest ops in the order they were made, each id once. */
  readonly honest: Op<T>[] = [];
  /** Ops signed with a copied key (the `equivocate` fault). */
  readonly forged: Op<T>[] = [];
  /** Honest ops by author, at their counter - 1: an author's counters run from 1 without gaps. */
  readonly #byId = new Map<ActorId, Op<T>[]>();
  readonly #forgedIds = new Set<string>();
  readonly #distinct = new Map<ActorId, number>();

  /** Keeps an honest op; returns the op made earlier with its id, if any (then `op` is not kept). */
  add(op: Op<T>): Op<T> | undefined {
    let mine = this.#byId.get(op.id.actor);
    if (mine === undefined) this.#byId.set(op.id.actor, (mine = []));
    const earlier = mine[op.id.counter - 1];
    if (earlier !== undefined) return earlier;
    mine[op.id.counter - 1] = op;
    this.honest.push(op);
    if (!this.#forgedIds.has(idKey(op.id))) this.#count(op);
    return undefined;
  }

  /** Keeps an op signed with a copied key. */
  forge(op: Op<T>): void {
    this.forged.push(op);
    const key = idKey(op.id);
    if (this.#byId.get(op.id.actor)?.[op.id.counter - 1] === undefined && !this.#forgedIds.has(key)) this.#count(op);
    this.#forgedIds.add(key);
  }

  /** Every op: honest ones, then forged ones. */
  all(): Op<T>[] {
    return [...this.honest, ...this.forged];
  }

  /** How many distinct ids of each author `all` holds. */
  get distinct(): VersionVector {
    return this.#distinct;
  }

  #count(op: Op<T>): void {
    this.#distinct.set(op.id.actor, (this.#distinct.get(op.id.actor) ?? 0) + 1);
  }
}
