import { memberOf, type ActorId } from '../crdt/ids.js';
import { opsIn, versionToJSON, type VersionVector } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import { digest, toHex } from '../genome/render.js';
import type { Replica } from '../sync/Replica.js';
import type { Faults } from '../web/types.js';
import type { FaultState } from './FaultState.js';
import type { CompactionReport } from './TimedStore.js';

export interface Status {
  actor: number;
  /** This actor's incarnation: its author id (see INTERNALS.md, "Incarnations"). */
  incarnation: number;
  length: number;
  digest: string;
  /** Member → ops of that member held, all its incarnations together. */
  version: Record<string, number>;
  /** Author id (incarnation) → ops of it held: the full version vector. */
  replicas: Record<string, number>;
  /** Incarnations proven to have signed two different ops at one position, and where. */
  equivocations: Array<{ actor: number; incarnation: number; at: number }>;
  pending: number;
  /** Deleted elements still held in memory (they go once collected). */
  tombstones: number;
  /** Author id → ops of it every member heard from holds, as far as this actor knows: the stable version. */
  stable: Record<string, number>;
  /** Author id → ops of it whose deletes' targets this actor has retired (stored; reported to peers). */
  retired: Record<string, number>;
  /** Author id → ops of it this actor has collected: their tombstones are gone, and they are sent to no one as ops. */
  collected: Record<string, number>;
  /** Bytes of the store on disk (0 with `--memory`). */
  storeBytes: number;
  /** The last compaction of the store since this actor started, or null. */
  lastCompaction: CompactionReport | null;
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
  /** Sends what replication owes now (the outbox's pump): serving a sync may make the replica ask its asker back. */
  wake: () => void = () => undefined;
  /** Peers whose genome equalled ours at the last verify round. */
  matchCount = 0;
  readonly messages: MessageCounts = { sent: 0, dropped: 0, failed: 0, blocked: 0, syncRounds: 0, bytesIn: 0, bytesOut: 0 };
  /** Replication requests this actor refused: route (`POST /genome`) → error code → how many. */
  readonly refused = new Map<string, Map<string, number>>();
  readonly faults: FaultState;
  lastCompaction: CompactionReport | null = null;
  #rendered: { key: number; list: object; hex: string; digest: string } | null = null;

  constructor(replica: Replica<Gene>, faults: FaultState) {
    this.replica = replica;
    this.faults = faults;
  }

  /** The member number: the actor id people use. */
  get actor(): number {
    return this.replica.member;
  }

  /** This incarnation's author id. */
  get incarnation(): ActorId {
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
    const version = list.version();
    return {
      actor: this.actor,
      incarnation: this.incarnation,
      length: list.length,
      digest: this.digest,
      version: byMember(version),
      replicas: versionToJSON(version),
      equivocations: this.replica.replicator.feeds.equivocations().map((e) => ({ actor: memberOf(e.actor), incarnation: e.actor, at: e.at })),
      pending: list.pendingCount,
      tombstones: list.tombstones,
      stable: versionToJSON(this.replica.replicator.stable()),
      retired: versionToJSON(this.replica.replicator.retired),
      collected: versionToJSON(list.collected ?? new Map()),
      storeBytes: this.replica.storeBytes,
      lastCompaction: this.lastCompaction,
      matchCount: this.matchCount,
      mutations: this.replica.mutations,
      messages: { ...this.messages },
      faults: this.faults.toJSON(),
    };
  }

  /** Ops applied to the list, every actor's: the sum of its version vector. */
  get applied(): number {
    return opsIn(this.replica.list.version());
  }

  /** Every change to one list applies an op, so the list and the number of applied ops key the cache. */
  #render(): { hex: string; digest: string } {
    const key = this.applied;
    // A proven fork rebuilds the list (dropping ops): a new list is a change whatever the count.
    const list = this.replica.list;
    if (this.#rendered?.key !== key || this.#rendered.list !== list) {
      const hex = toHex(this.replica.list.toArray());
      this.#rendered = { key, list, hex, digest: digest(hex) };
    }
    return this.#rendered;
  }
}

/** A version vector summed per member: what `/status.version` reports. */
function byMember(version: VersionVector): Record<string, number> {
  const sums = new Map<number, number>();
  for (const [actor, n] of version) sums.set(memberOf(actor), (sums.get(memberOf(actor)) ?? 0) + n);
  const out: Record<string, number> = {};
  for (const [member, n] of [...sums].sort((a, b) => a[0] - b[0])) out[String(member)] = n;
  return out;
}
