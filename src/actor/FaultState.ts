import type { ActorId } from '../crdt/ids.js';
import type { Faults } from '../web/types.js';

/**
 * The faults one actor is subject to at runtime (`POST /admin/faults`): the drop rate of its
 * outgoing replication messages, the actors it is partitioned from, and whether its mutations are
 * paused. Peers are known by URL on the way out and by actor id on the way in, so it holds the
 * URL → id map too.
 */
export class FaultState {
  readonly #peerIds: ReadonlyMap<string, ActorId>;
  #dropRate: number;
  #partition = new Set<number>();
  #pauseMutations = false;

  constructor(peerIds: ReadonlyMap<string, ActorId>, dropRate = 0) {
    this.#peerIds = peerIds;
    this.#dropRate = dropRate;
  }

  get dropRate(): number {
    return this.#dropRate;
  }

  get pauseMutations(): boolean {
    return this.#pauseMutations;
  }

  /** This actor sends nothing to the peer at `url`: it is in the partition. */
  cuts(url: string): boolean {
    const id = this.#peerIds.get(url);
    return id !== undefined && this.#partition.has(id);
  }

  /** This actor refuses requests from `actor`: it is in the partition. */
  refuses(actor: number): boolean {
    return this.#partition.has(actor);
  }

  /** Apply a partial update (input already validated); fields not given keep their value. */
  update(change: Partial<Faults>): Faults {
    if (change.dropRate !== undefined) this.#dropRate = change.dropRate;
    if (change.partition !== undefined) this.#partition = new Set(change.partition);
    if (change.pauseMutations !== undefined) this.#pauseMutations = change.pauseMutations;
    return this.toJSON();
  }

  toJSON(): Faults {
    return { dropRate: this.#dropRate, partition: [...this.#partition].sort((a, b) => a - b), pauseMutations: this.#pauseMutations };
  }

  toString(): string {
    const { dropRate, partition, pauseMutations } = this.toJSON();
    return `dropRate=${dropRate} partition=[${partition.join(',')}] pauseMutations=${pauseMutations}`;
  }
}
