import type { ChangeListener } from './changes.js';
import type { ActorId, OpId } from './ids.js';
import type { DeleteOp, InsertOp, Op } from './ops.js';
import type { VersionVector } from './version.js';

/**
 * What happened to an op handed to `apply`:
 * - `applied`: integrated now (and anything it released from the pending set);
 * - `duplicate`: already held, nothing changed;
 * - `pending`: held until its dependencies arrive;
 * - `full`: it would have to wait but the pending set is full (in all, or its author's share); not
 *   taken, offer it again later;
 * - `equivocation`: an op with this id but other content is already held; not taken;
 * - `invalid`: it names an op that is not an insert as an origin or target; not taken;
 * - `collected`: it names an element this list has collected (see `FastList.collect`): only a
 *   replica that broke the stability rule makes such an op; not taken.
 */
export type ApplyResult = 'applied' | 'duplicate' | 'pending' | 'full' | 'equivocation' | 'invalid' | 'collected';

/**
 * What `applyMany` did with a batch: ops applied now, already held, waiting for dependencies,
 * not taken because the pending set is full (offer them again later), and ops that had been
 * waiting and were applied because of the batch.
 */
export interface ApplyCounts {
  readonly applied: number;
  readonly duplicate: number;
  readonly pending: number;
  readonly full: number;
  readonly released: number;
}

/** What `check` says of an op: new, or why `apply` would not take it. */
export type CheckResult = 'new' | 'duplicate' | 'equivocation' | 'invalid' | 'collected';

/** A replicated list: local edits make ops, remote ops are applied in any order, any number of times. */
export interface List<T> {
  readonly actor: ActorId;
  /** Visible elements. */
  readonly length: number;
  /** Ops held until their dependencies arrive. */
  readonly pendingCount: number;
  /** Deleted elements still held (see INTERNALS.md, "Collecting tombstones"). */
  readonly tombstones: number;
  /** The counter the next local op will get: one past this actor's ops held. */
  readonly nextCounter: number;
  /** Pending ops the last `apply` or `applyMany` applied because of the ops it was given. */
  readonly released: number;
  insert(index: number, value: T): InsertOp<T>;
  delete(index: number): DeleteOp;
  /** Insert `values` at `index`, one op each (a run: consecutive ids, each after the one before). */
  insertMany(index: number, values: readonly T[]): InsertOp<T>[];
  /** Delete `count` elements from `index` on, one op each. */
  deleteMany(index: number, count: number): DeleteOp[];
  apply(op: Op<T>): ApplyResult;
  /**
   * Apply a batch of remote ops in any order. An op no list may take (an equivocation, one naming
   * a delete or a collected element) throws a `RefusedOpError` before anything is applied.
   */
  applyMany(ops: Iterable<Op<T>>): ApplyCounts;
  /**
   * The ops `version` lacks, in a causal order (each after its dependencies): what to send a
   * replica at that version. Throws a RangeError when this list collected some of them.
   */
  opsSince(version: VersionVector): Op<T>[];
  /**
   * Call `listener` with what each change did in index terms (local edits, remote ops and the
   * ops they released), once the call that made it returns; returns a function that stops it.
   */
  onChange(listener: ChangeListener<T>): () => void;
  /** Visible position of the element `id` made; -1 when it is deleted or not held. */
  indexOf(id: OpId): number;
  /**
   * Take back ops this replica held before (from its store, in the order it took them): as `apply`,
   * but the pending bounds do not apply, since each op was admitted once. Throws on an op that
   * could not have been taken (an equivocation).
   */
  restore(ops: Iterable<Op<T>>): void;
  /** What `apply(op)` would say about its identity, without changing anything. */
  check(op: Op<T>): CheckResult;
  /** Applied ops of `actor` with counters after `after`, in counter order, at most `limit`. */
  opsOf(actor: ActorId, after: number, limit: number): Op<T>[];
  /**
   * Every applied op in the order it was applied: a causal order (each op after its
   * dependencies); with `except`, only the ops that version does not cover.
   */
  appliedOps(except?: VersionVector): Iterable<Op<T>>;
  /** Ops held until their dependencies arrive. */
  pendingOps(): Iterable<Op<T>>;
  /**
   * Where the list can: retire the targets of the deletes `stable` holds, which every replica has
   * applied (see `FastList.retire`); returns what is retired now.
   */
  retire?(stable: VersionVector): VersionVector;
  /**
   * Where the list can: whether `op` names, as an origin or target, an element this list retired
   * or collected. An op its own author makes after retiring never does (see `Feeds.#stolen`).
   */
  namesRetired?(op: Op<T>): boolean;
  /** Where the list can: collect the retired tombstones `stable` covers (see `FastList.collect`); returns how many went. */
  collect?(stable: VersionVector): number;
  /** What `collect(stable)` would make the collected version (the ops it would forget, with those already forgotten). */
  collecting?(stable: VersionVector): VersionVector;
  /** The ops every replica holds that this list no longer keeps (see `FastList.collect`); none when absent. */
  readonly collected?: VersionVector;
  toArray(): T[];
  version(): VersionVector;
  has(id: OpId): boolean;
  toString(): string;
}

export interface ListOptions<T> {
  /** Bound on the pending set. */
  readonly maxPending?: number;
  /** Bound on one author's ops in the pending set (default: `maxPending`); see `fairShare`. */
  readonly maxPendingPerAuthor?: number;
  /** Equality of values, for equivocation checks. */
  readonly equals?: (a: T, b: T) => boolean;
}

export type MakeList<T> = (actor: ActorId, options?: ListOptions<T>) => List<T>;

/** Default bound on ops waiting for dependencies (see INTERNALS.md). */
export const DEFAULT_MAX_PENDING = 10_000;

/** Each of `members` authors' share of a pending set of `max` ops. */
export const fairShare = (members: number, max = DEFAULT_MAX_PENDING): number => Math.max(1, Math.floor(max / Math.max(1, members)));
