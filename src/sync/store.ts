import type { ActorId, OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import type { Signer } from './feed-crypto.js';
import type { ChainState, FeedRecords, SignedPoint } from './Feeds.js';
import type { Knowledge } from './knowledge.js';

/**
 * A snapshot to keep in place of the ops it covers (see INTERNALS.md, "Store compaction"): the
 * list's state as bytes, the ops it holds (of each author, counters 1..n), and, of the signed
 * points, the ones still needed among those up to each feed's checked length.
 */
export interface Compaction {
  readonly snapshot: Uint8Array;
  readonly covers: VersionVector;
  readonly points: { readonly upTo: VersionVector; readonly keep: readonly SignedPoint[] };
  /** Feeds' chains to keep in place of the previous ones (`Feeds.chainStates`). */
  readonly chains?: readonly ChainState[];
  /** Feeds' bases to keep in place of the previous ones (`ChainBases.states`): the snapshot collected up to them. */
  readonly bases?: readonly ChainState[];
}

/**
 * Where a replica keeps every op it has taken (its own and its peers'), with what proves them
 * (authors' keys, signed points), and its own identity, so that all of it survives a restart.
 * The ops are a snapshot (the list's state at some point) and every op taken since, as rows.
 * Implementations: SQLite (`src/store/SqliteStore.ts`) and memory (`MemoryStore`); both pass
 * `runStoreTests`.
 */
export interface Store<T> {
  /** The member this store belongs to: the actor number people use. */
  readonly member: number;
  /** This incarnation's author id: made with the store, with its key (see INTERNALS.md, "Incarnations"). */
  readonly actor: ActorId;
  /** Signs with this incarnation's private key, which never leaves the store. */
  readonly signer: Signer;
  /** The latest snapshot, or null when the store holds every op as a row. */
  snapshot(): Uint8Array | null;
  /** The ops stored as rows (all but those the snapshot covers), in the order appended. */
  load(): Op<T>[];
  /** Keys and signed points stored. */
  records(): FeedRecords;
  /**
   * Store ops and their records atomically; they are durable when this returns. An op already
   * stored with the same content is ignored; one stored with other content (an op the list
   * dropped: it waited, then could never apply) is replaced, and moves to the end of the order.
   * An op `check` refuses throws, and nothing of the call is stored.
   */
  append(ops: readonly Op<T>[], records?: FeedRecords): void;
  /**
   * Why this store could not hold `op` and load it again, or null: the same check `load` makes of
   * what it reads, so a store never holds what it cannot load. Pure; a replica asks before taking an op.
   */
  check(op: Op<T>): string | null;
  /**
   * Drop the ops `ids` (ops no replica keeps, past a proven fork) and store `records`, in one
   * transaction. Ops are never dropped otherwise.
   */
  drop(ids: readonly OpId[], records: FeedRecords): void;
  /**
   * In one transaction: keep `c.snapshot` in place of the previous one, delete the op rows it
   * covers, and delete the signed points up to `c.points.upTo` other than `c.points.keep`.
   * A crash leaves the store as it was before or after, never between.
   */
  compact(c: Compaction): void;
  /**
   * Replace what is held — snapshot and op rows — by the rows `ops` (in that order) and store
   * `records`, then keep `snapshot` (if given) as `compact` does, in one transaction: how ops are
   * dropped from a store whose snapshot holds them (with a snapshot: one that collected, whose
   * ops can no longer all be rows).
   */
  replace(ops: readonly Op<T>[], records: FeedRecords, snapshot?: Compaction): void;
  /** What the replica last said it retired (`keepRetired`), or an empty version. */
  retired(): VersionVector;
  /**
   * Keep what the replica retired, durably, before it reports it to anyone: a restart must not
   * forget it, or a local insert could name a tombstone a peer was told it never would.
   */
  keepRetired(version: VersionVector): void;
  /** What the replica last kept of its peers (`keepKnowledge`), or nothing. */
  knowledge(): Knowledge;
  /**
   * Keep the incarnations the replica heard and what peers said was retired, durably, before it
   * answers or reports anything, or takes anything an answer carried: a restart that forgot
   * them could leave a collector unaware of a replica it had sent ops to, or let the replica name
   * a tombstone it had been told was retired (see INTERNALS.md, "Who may still name a tombstone").
   */
  keepKnowledge(k: Knowledge): void;
  /** Bytes the store takes on disk (0 in memory). */
  bytes(): number;
  /**
   * Start a new incarnation of the member in this store: a new key pair and author id. The old
   * incarnation's public key is kept with the other authors', so its ops can still be checked.
   */
  renew(): void;
  close(): void;
}
