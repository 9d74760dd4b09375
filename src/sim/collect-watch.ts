import { formatId, idKey, memberOf, type ActorId, type OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { covers, type VersionVector } from '../crdt/version.js';
import type { Collectable } from '../sync/stability.js';

/**
 * The simulator's check of the collection rule: it sees every op ever made, so it knows whether
 * what a replica worked out it may collect was safe then: every op that names a target of those
 * deletes (as an origin, or deleting it again) must have been held there already.
 */
export class CollectWatch {
  readonly #seen: Array<{ who: string; at: number; collectable: VersionVector; counted: ReadonlySet<ActorId>; held: VersionVector }> = [];
  /** Unsafe moments owed to a member's newest incarnation, unknown to the replica then (see INTERNALS.md, "New incarnations"). */
  #newcomers = 0;
  readonly #last = new Map<string, VersionVector>();

  /** When each incarnation was first seen (started, or made its first op). */
  readonly #births = new Map<ActorId, number>();

  born(actor: ActorId, at: number): void {
    if (!this.#births.has(actor)) this.#births.set(actor, at);
  }

  /** Whether no other incarnation of `actor`'s member was born after it and by `at`. */
  #latest(actor: ActorId, at: number): boolean {
    const born = this.#births.get(actor) ?? Infinity;
    if (born > at) return true;
    for (const [other, when] of this.#births) if (other !== actor && memberOf(other) === memberOf(actor) && when > born && when <= at) return false;
    return true;
  }

  /** `who` worked out `collectable` at `at`, holding `held`. */
  note(who: string, at: number, collectable: Collectable | null, held: VersionVector): void {
    if (collectable === null) return;
    const last = this.#last.get(who);
    if (last !== undefined && covers(last, collectable.version)) return;
    this.#last.set(who, collectable.version);
    this.#seen.push({ who, at, collectable: collectable.version, counted: new Set(collectable.counted), held });
  }

  /** Unsafe moments where the op came from a member's newest incarnation (after a lost store), not yet known there. */
  get newcomers(): number {
    return this.#newcomers;
  }

  /** How many times a replica's collectable version grew. */
  get notes(): number {
    return this.#seen.length;
  }

  /**
   * The first unsafe moment, given every op that exists in the end, or null. Ops a copied key
   * signed (`forged`) are left out: a second process on one identity keeps no promise its
   * author made (such an op is refused where what it names was collected).
   */
  problem<T>(ops: readonly Op<T>[], forged: ReadonlySet<Op<T>> = new Set()): string | null {
    const namers = new Map<string, Op<T>[]>();
    const name = (id: OpId | null, op: Op<T>): void => {
      if (id === null) return;
      const list = namers.get(idKey(id));
      if (list === undefined) namers.set(idKey(id), [op]);
      else list.push(op);
    };
    for (const op of ops) {
      if (op.type === 'insert') {
        name(op.left, op);
        name(op.right, op);
      } else name(op.target, op);
    }
    const held = (v: VersionVector, id: OpId): boolean => id.counter <= (v.get(id.actor) ?? 0);
    for (const s of this.#seen) {
      for (const d of ops) {
        if (d.type !== 'delete' || !held(s.collectable, d.id)) continue;
        for (const late of (namers.get(idKey(d.target)) ?? []).filter((op) => !held(s.held, op.id) && !forged.has(op))) {
          // An incarnation the replica could not know of: its member's latest then (or not born
          // yet), a new incarnation after a lost store. The open problem of new incarnations.
          if (!s.counted.has(late.id.actor) && this.#latest(late.id.actor, s.at)) {
            this.#newcomers++;
            continue;
          }
          return `t=${s.at}: ${s.who} could collect ${formatId(d.target)} (deleted by ${formatId(d.id)}) while it lacked ${formatId(late.id)}, which names it`;
        }
      }
    }
    return null;
  }
}
