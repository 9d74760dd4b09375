import { formatId, type ActorId, type OpId } from '../crdt/ids.js';
import type { DeleteOp, Op } from '../crdt/ops.js';
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
   *
   * Near-linear in the ops: a replica's held version only grows while it lives, so a delete found
   * safe at one of its notes is safe at its later ones, and each note checks only the deletes it
   * newly covers. Where a replica's held version shrank (a new incarnation under its name, after
   * a lost store), everything it covers is checked again.
   */
  problem<T>(ops: readonly Op<T>[], forged: ReadonlySet<Op<T>> = new Set()): string | null {
    // The ops that name each id, by its author and counter (numbers: a million string keys cost more).
    const namers = new Map<ActorId, Op<T>[][]>();
    const name = (id: OpId | null, op: Op<T>): void => {
      if (id === null) return;
      let mine = namers.get(id.actor);
      if (mine === undefined) namers.set(id.actor, (mine = []));
      const list = mine[id.counter];
      if (list === undefined) mine[id.counter] = [op];
      else list.push(op);
    };
    const deletes = new Map<ActorId, DeleteOp[]>();
    for (const op of ops) {
      if (op.type === 'insert') {
        name(op.left, op);
        name(op.right, op);
        continue;
      }
      name(op.target, op);
      const mine = deletes.get(op.id.actor);
      if (mine === undefined) deletes.set(op.id.actor, [op]);
      else mine.push(op);
    }
    for (const mine of deletes.values()) mine.sort((a, b) => a.id.counter - b.id.counter);
    const held = (v: VersionVector, id: OpId): boolean => id.counter <= (v.get(id.actor) ?? 0);
    /** Per replica name: its held version at its last note, and per author the deletes up to which its notes were checked. */
    const checked = new Map<string, { held: VersionVector; upTo: Map<ActorId, number> }>();
    for (const s of this.#seen) {
      let past = checked.get(s.who);
      if (past === undefined || !covers(s.held, past.held)) checked.set(s.who, (past = { held: s.held, upTo: new Map() }));
      else past.held = s.held;
      for (const [author, count] of s.collectable) {
        const from = past.upTo.get(author) ?? 0;
        if (count <= from) continue;
        past.upTo.set(author, count);
        const mine = deletes.get(author) ?? [];
        for (let i = firstAbove(mine, from); i < mine.length && (mine[i] as DeleteOp).id.counter <= count; i++) {
          const d = mine[i] as DeleteOp;
          const late = namers.get(d.target.actor)?.[d.target.counter]?.find((op) => !held(s.held, op.id) && !forged.has(op));
          if (late !== undefined) return `t=${s.at}: ${s.who} could collect ${formatId(d.target)} (deleted by ${formatId(d.id)}) while it lacked ${formatId(late.id)}, which names it`;
        }
      }
    }
    return null;
  }
}

/** The index of the first delete in `sorted` (by counter) whose counter is above `counter`. */
function firstAbove(sorted: readonly DeleteOp[], counter: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as DeleteOp).id.counter <= counter) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
