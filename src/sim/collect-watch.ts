import { formatId, idKey, type OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { covers, type VersionVector } from '../crdt/version.js';
import type { Collectable } from '../sync/stability.js';

/**
 * The simulator's check of the collection rule: it sees every op ever made, so it knows whether
 * what a replica worked out it may collect was safe then: every op that names a target of those
 * deletes (as an origin, or deleting it again) must have been held there already.
 */
export class CollectWatch {
  readonly #seen: Array<{ who: string; at: number; collectable: VersionVector; held: VersionVector }> = [];
  readonly #last = new Map<string, VersionVector>();

  /** `who` worked out `collectable` at `at`, holding `held`. */
  note(who: string, at: number, collectable: Collectable | null, held: VersionVector): void {
    if (collectable === null) return;
    const last = this.#last.get(who);
    if (last !== undefined && covers(last, collectable.version)) return;
    this.#last.set(who, collectable.version);
    this.#seen.push({ who, at, collectable: collectable.version, held });
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
          return `t=${s.at}: ${s.who} could collect ${formatId(d.target)} (deleted by ${formatId(d.id)}) while it lacked ${formatId(late.id)}, which names it`;
        }
      }
    }
    return null;
  }
}
