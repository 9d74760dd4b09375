import { applyBatch, type BatchResult } from '../crdt/batch.js';
import type { ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { ReferenceList } from '../crdt/ReferenceList.js';
import { versionToJSON } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import { mutate, type Mutation } from '../genome/mutation.js';
import { digest, toHex } from '../genome/render.js';

export interface Status {
  actor: number;
  length: number;
  digest: string;
  version: Record<string, number>;
  pending: number;
  matchCount: number;
  mutations: number;
}

/** One actor's genome and what it reports about it; the rendering is cached between changes. */
export class ActorState {
  readonly actor: ActorId;
  readonly list: List<Gene>;
  /** Mutations this actor made. */
  mutations = 0;
  /** Peers whose genome equalled ours at the last verify round. */
  matchCount = 0;
  #hex: string | null = null;
  #digest: string | null = null;

  constructor(actor: ActorId, list: List<Gene> = new ReferenceList<Gene>(actor)) {
    this.actor = actor;
    this.list = list;
  }

  get hex(): string {
    return (this.#hex ??= toHex(this.list.toArray()));
  }

  get digest(): string {
    return (this.#digest ??= digest(this.hex));
  }

  mutate(m: Mutation): Op<Gene> {
    const op = mutate(this.list, m);
    this.mutations++;
    this.#changed();
    return op;
  }

  receive(ops: readonly Op<Gene>[]): BatchResult {
    const result = applyBatch(this.list, ops);
    if ((result.status === 'ok' || result.status === 'full') && result.applied > 0) this.#changed();
    return result;
  }

  status(): Status {
    return {
      actor: this.actor,
      length: this.list.length,
      digest: this.digest,
      version: versionToJSON(this.list.version()),
      pending: this.list.pendingCount,
      matchCount: this.matchCount,
      mutations: this.mutations,
    };
  }

  #changed(): void {
    this.#hex = null;
    this.#digest = null;
  }
}
