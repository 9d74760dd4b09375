import type { ActorId } from '../crdt/ids.js';
import { versionToJSON } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import { digest, toHex } from '../genome/render.js';
import type { Replica } from '../sync/Replica.js';
import type { Faults } from '../web/types.js';
import type { FaultState } from './FaultState.js';

export interface Status {
  actor: number;
  length: number;
  digest: string;
  version: Record<string, number>;
  pending: number;
  matchCount: number;
  mutations: number;
  messages: MessageCounts;
  faults: Faults;
}

/**
 * Outgoing replication requests: sent (and answered), dropped on purpose (drop rate), failed,
 * blocked (to a peer in the partition, not attempted); the anti-entropy requests among those put
 * on the wire (`syncRounds`); and the bytes of replication: in, the push and sync request bodies
 * received and the sync answers received; out, this actor's request bodies and its answers to /sync.
 */
export interface MessageCounts {
  sent: number;
  dropped: number;
  failed: number;
  blocked: number;
  syncRounds: number;
  bytesIn: number;
  bytesOut: number;
}

/** One actor's replica and what it reports about it; the rendering is cached between changes. */
export class ActorState {
  readonly replica: Replica<Gene>;
  /** Peers whose genome equalled ours at the last verify round. */
  matchCount = 0;
  readonly messages: MessageCounts = { sent: 0, dropped: 0, failed: 0, blocked: 0, syncRounds: 0, bytesIn: 0, bytesOut: 0 };
  /** Replication requests this actor refused: route (`POST /genome`) → error code → how many. */
  readonly refused = new Map<string, Map<string, number>>();
  readonly faults: FaultState;
  #rendered: { key: number; hex: string; digest: string } | null = null;

  constructor(replica: Replica<Gene>, faults: FaultState) {
    this.replica = replica;
    this.faults = faults;
  }

  get actor(): ActorId {
    return this.replica.actor;
  }

  get hex(): string {
    return this.#render().hex;
  }

  get digest(): string {
    return this.#render().digest;
  }

  status(): Status {
    const { list } = this.replica;
    return {
      actor: this.actor,
      length: list.length,
      digest: this.digest,
      version: versionToJSON(list.version()),
      pending: list.pendingCount,
      matchCount: this.matchCount,
      mutations: this.replica.mutations,
      messages: { ...this.messages },
      faults: this.faults.toJSON(),
    };
  }

  /** Ops applied to the list, every actor's: the sum of its version vector. */
  get applied(): number {
    let n = 0;
    for (const c of this.replica.list.version().values()) n += c;
    return n;
  }

  /** Every change to the list applies an op, so the number of applied ops keys the cache. */
  #render(): { hex: string; digest: string } {
    const key = this.applied;
    if (this.#rendered?.key !== key) {
      const hex = toHex(this.replica.list.toArray());
      this.#rendered = { key, hex, digest: digest(hex) };
    }
    return this.#rendered;
  }
}
