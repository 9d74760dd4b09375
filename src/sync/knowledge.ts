import type { ActorId } from '../crdt/ids.js';
import { covers, join, type VersionVector } from '../crdt/version.js';
import type { Feeds } from './Feeds.js';

/** What a replica keeps of its peers besides ops, stored before it says or acts on it (`PeerKnowledge.saved`). */
export interface Knowledge {
  readonly told: VersionVector;
  readonly heard: readonly ActorId[];
}

/**
 * What collection rests on besides retire reports (see INTERNALS.md, "Who may still name a
 * tombstone"): the incarnations a replica has served or been answered by (its reports name them,
 * so collectors wait for each), and what peers said was retired (it holds and retires that
 * before its next op).
 */
export class PeerKnowledge {
  #told: VersionVector = new Map();
  readonly #heard = new Set<ActorId>();
  #changes = 0;

  /** `actor` was served, or answered: it may hold what this replica sent it. */
  hear(actor: ActorId): void {
    if (this.#heard.has(actor)) return;
    this.#heard.add(actor);
    this.#changes++;
  }

  /** A member said `told` was retired (by it, or by others it heard from). */
  tell(told: VersionVector): void {
    if (covers(this.#told, told)) return;
    this.#told = join(this.#told, told);
    this.#changes++;
  }

  /** How many times what is known grew: a store keeps it again when this moves. */
  get changes(): number {
    return this.#changes;
  }

  get heard(): ActorId[] {
    return [...this.#heard];
  }

  /** What to store before anything is said or taken on it. */
  get saved(): Knowledge {
    return { told: this.#told, heard: this.heard };
  }

  /** Take back what a store kept. */
  restore(k: Knowledge): void {
    this.tell(k.told);
    for (const a of k.heard) this.hear(a);
  }

  /** What this replica says was retired, with `retired` its own: that, and what it was told. */
  said(retired: VersionVector): VersionVector {
    return join(retired, this.#told);
  }

  /**
   * What to hold and retire before the next op, or null if nothing: what it was told, but the
   * ops no replica keeps (at or past a proven fork, or dropped as building on one), which never come.
   */
  due<T>(feeds: Pick<Feeds<T>, 'forks' | 'droppedIds' | 'frozenAt'>): VersionVector | null {
    const v = this.#told;
    if (v.size === 0) return null;
    if (feeds.forks().length === 0 && feeds.droppedIds().size === 0) return v;
    const cap = new Map<ActorId, number>();
    for (const [a] of v) cap.set(a, feeds.frozenAt(a) - 1);
    for (const key of feeds.droppedIds()) {
      const [a, c] = key.split('.').map(Number) as [ActorId, number];
      const was = cap.get(a);
      if (was !== undefined) cap.set(a, Math.min(was, c - 1));
    }
    const out = new Map<ActorId, number>();
    for (const [a, n] of v) {
      const m = Math.min(n, cap.get(a) ?? n);
      if (m > 0) out.set(a, m);
    }
    return out;
  }
}
