import { memberOf, type ActorId } from '../crdt/ids.js';
import { join, type VersionVector } from '../crdt/version.js';

/**
 * A new incarnation's wait before its first op (see INTERNALS.md, "New incarnations"): it heeds
 * every other member's latest answer, and may edit once it has one from each, holds the join of
 * what they had retired, and has retired it too.
 */
export class Gate {
  readonly #self: number;
  readonly #others: number;
  /** Per member heard back from, what it had retired in its latest answer. */
  readonly #retired = new Map<number, VersionVector>();

  constructor(self: ActorId, members: number) {
    this.#self = memberOf(self);
    this.#others = members - 1;
  }

  /** An answer from `from` (a member's incarnation) that had retired `retired`. */
  heard(from: ActorId, retired: VersionVector): void {
    this.#retired.set(memberOf(from), retired);
  }

  /**
   * What to hold and retire before the first op, or null while some member has not answered.
   * Each member's latest word counts: what it retired may shrink, where ops it held were dropped
   * with a proven fork.
   */
  due(): VersionVector | null {
    const others = [...this.#retired.keys()].filter((m) => m !== this.#self).length;
    return others < this.#others ? null : [...this.#retired.values()].reduce(join, new Map());
  }
}
