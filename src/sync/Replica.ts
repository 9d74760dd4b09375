import { memberOf, type ActorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER, opProblem } from '../crdt/validate.js';
import { opsIn, type VersionVector } from '../crdt/version.js';
import type { FeedCrypto } from './feed-crypto.js';
import { Feeds, type FeedRecords, type Fork, type Proof, type SignedPoint } from './Feeds.js';
import { cutPoint, doomedOps } from './forks.js';
import type { PeerId, Reply, Request, RetireReport, SyncPage } from './messages.js';
import { Replicator, type Outgoing, type PageOutcome, type PushResult, type SyncConfig } from './Replicator.js';
import type { Compaction, Store } from './store.js';

/** The replication settings, and how an op is written into its feed's chain (its canonical bytes). */
export interface ReplicaConfig<T> extends SyncConfig<T> {
  readonly encode: (op: Op<T>) => Uint8Array;
  /** How far apart the signed points kept for relaying are (default `POINT_SPACING`). */
  readonly pointSpacing?: number;
}

/**
 * A list, its store and its replicator, with the durability rule in one place: every op this
 * replica takes — made here or received — is stored before anyone else can learn of it (before
 * `edit` returns, before a push is acknowledged). The actor program and the simulator both run
 * their replicas through this class.
 */
export class Replica<T> {
  readonly #store: Store<T>;
  readonly #makeList: MakeList<T>;
  readonly #peers: readonly PeerId[];
  readonly #config: ReplicaConfig<T>;
  readonly #crypto: FeedCrypto;
  #replicator!: Replicator<T>;
  /** Ops in the retired version last stored (it only grows). */
  #retiredStored = -1;
  /** `Replicator.knowledgeChanges` when the store last kept what the replica knows of its peers. */
  #knowledgeStored = 0;
  /** Op rows stored since the snapshot (or since the start): what the next compaction would remove. */
  #rows = 0;

  constructor(store: Store<T>, makeList: MakeList<T>, peers: readonly PeerId[], config: ReplicaConfig<T>, now: number, crypto: FeedCrypto) {
    this.#store = store;
    this.#makeList = makeList;
    this.#peers = peers;
    this.#config = config;
    this.#crypto = crypto;
    try {
      this.#build(now);
    } catch (err) {
      // What cannot be loaded is left as it is, for a repair, and not held open.
      store.close();
      throw err;
    }
  }

  get list(): List<T> {
    return this.#replicator.list;
  }

  get replicator(): Replicator<T> {
    return this.#replicator;
  }

  /** The list, feeds and replicator from what the store holds (at start, and after a fork is proven). */
  #build(now: number): void {
    const store = this.#store;
    const { list, ops } = this.#stored();
    // What it retired and may have reported: a restart must not forget it (see `keepRetired`).
    list.retire?.(store.retired());
    const feeds = new Feeds(store.actor, store.signer, this.#crypto, this.#config.encode, this.#config.pointSpacing);
    const signed = feeds.restore(store.records(), ops);
    if (signed.length > 0) store.append([], { keys: [], points: signed });
    // The store checks every received op before the list takes it: it must be able to hold it.
    this.#replicator = new Replicator(list, feeds, this.#peers, this.#config, now, (op) => store.check(op));
    this.#replicator.restoreKnowledge(store.knowledge(), now);
    // What it knows now is what the store holds.
    this.#knowledgeStored = this.#replicator.knowledgeChanges;
  }

  /**
   * The list the store holds, and every op it holds: the snapshot's (each checked against the
   * rules, as a received op is), then the rows, which the list takes after the snapshot.
   */
  #stored(): { list: List<T>; ops: Op<T>[]; snapshotted: boolean } {
    const store = this.#store;
    const bytes = store.snapshot();
    const rows = store.load();
    this.#rows = rows.length;
    if (bytes === null) {
      const list = this.#makeList(store.actor);
      list.restore(rows);
      return { list, ops: rows, snapshotted: false };
    }
    const codec = this.#config.snapshots;
    if (codec === undefined) throw new Error('the store holds a snapshot, and this replica was given no way to read one');
    let list: List<T>;
    try {
      list = codec.decode(store.actor, bytes);
    } catch (err) {
      throw new Error(`the store's snapshot cannot be loaded: ${(err as Error).message}`);
    }
    const ops = [...list.appliedOps()];
    for (const op of ops) {
      const problem = opProblem(op, this.#config.rules);
      if (problem !== null) throw new Error(`the store's snapshot holds an op no replica may take: ${problem}`);
    }
    list.restore(rows);
    for (const op of rows) ops.push(op);
    return { list, ops, snapshotted: true };
  }

  /**
   * Keep the list's state as the store's snapshot in place of the rows it covers (the ops
   * applied; pending ones stay rows), with only the signed points the feeds keep.
   */
  compact(): void {
    const codec = this.#config.snapshots;
    if (codec === undefined) throw new Error('this replica has no snapshot codec');
    const list = this.list;
    const covers = list.version();
    const snapshot = codec.encode(list);
    const feeds = this.replicator.feeds;
    this.#store.compact({ snapshot, covers, points: feeds.keptPoints(), chains: feeds.chainStates(), bases: feeds.bases.states() });
    this.#rows = list.pendingCount;
  }

  /** Bytes the store takes on disk (0 in memory). */
  get storeBytes(): number {
    return this.#store.bytes();
  }

  /**
   * Compact if rows applied to the list were stored since the snapshot and none since `rows` was
   * last read as `seen` (the store went quiet: the actor asks now and then). A quiet store then
   * holds its snapshot alone, with the tombstones collected since gone from it too.
   */
  compactIfQuiet(seen: number): number {
    const rows = this.#rows;
    if (this.#config.snapshots !== undefined && rows === seen && rows > this.list.pendingCount) this.compact();
    return this.#rows;
  }

  /** Compact once enough rows were stored since the snapshot (`SnapshotCodec.every`, `growth`). */
  #added(added: number): void {
    this.#rows += added;
    const codec = this.#config.snapshots;
    if (codec === undefined || this.#rows < codec.every) return;
    const list = this.list;
    if (this.#rows >= codec.growth * (list.length + (list.tombstones ?? 0))) this.compact();
  }

  /**
   * A fork was proven (see INTERNALS.md, "Equivocation"): drop, from the store and the list, the
   * forked feed from the fork on and every op that builds on it, keep the proof, and start again
   * from the store. Each feed cut short ends at a point whose tail (the ops dropped after it, or a
   * branch of the fork) proves it, so what is kept can still be relayed. If own ops are dropped,
   * this replica goes on as a new incarnation: its old ids past the cut are spent.
   */
  #freeze(now: number): void {
    const feeds = this.#replicator.feeds;
    const { ops, snapshotted } = this.#stored();
    const doomed = doomedOps(ops, (actor) => feeds.frozenAt(actor), feeds.droppedIds());
    const byFeed = new Map<ActorId, Op<T>[]>();
    for (const op of doomed) {
      const cut = byFeed.get(op.id.actor);
      if (cut === undefined) byFeed.set(op.id.actor, [op]);
      else cut.push(op);
    }
    const points: SignedPoint[] = [];
    for (const [actor, cut] of byFeed) {
      cut.sort((a, b) => a.id.counter - b.id.counter);
      const point = cutPoint(actor, cut, feeds);
      if (point !== null) points.push(point as unknown as SignedPoint);
    }
    // Own ops dropped, or own feed frozen (a copy of its key signed ops past the last made here).
    const own = byFeed.has(this.actor) || feeds.frozenAt(this.actor) !== Infinity;
    const forks = feeds.forks() as unknown as Fork<number>[];
    // The new incarnation first: a crash between the two leaves the old ops to be dropped again
    // (the proof comes back from peers), never an old id free to be made again.
    if (own) this.#store.renew();
    const records = { keys: [], points, forks, dropped: doomed.map((op) => op.id) };
    if (!snapshotted) this.#store.drop(records.dropped, records);
    else {
      // The snapshot holds ops to drop. One that collected is cut; otherwise the store goes back
      // to rows, and the next compaction makes a snapshot of what is kept.
      const drop = new Set(doomed);
      const kept = this.#cutCollected((actor) => byFeed.get(actor)?.[0]?.id.counter ?? Infinity);
      if (kept !== null) this.#store.replace([...this.list.pendingOps()].filter((op) => !drop.has(op)), records, kept);
      else this.#store.replace(ops.filter((op) => !drop.has(op)), records);
    }
    this.#build(now);
  }

  /**
   * For `#freeze`: a list that collected cannot be rebuilt from its ops, so the ops a fork drops
   * (from `cut(author)` on) are cut out of it, and it is kept as the snapshot (null: it collected
   * nothing, and its ops are kept as rows). Its feeds go on from their bases on a restart.
   */
  #cutCollected(cut: (actor: ActorId) => number): Compaction | null {
    const codec = this.#config.snapshots;
    if (codec?.without === undefined || (this.list.collected?.size ?? 0) === 0) return null;
    let list: List<T>;
    try {
      list = codec.without(this.list, cut);
    } catch {
      // The fork reaches below what was retired here (INTERNALS.md, "What is still open: forks
      // against collection"): the ops are kept as rows, and what was collected comes back with a
      // peer's state.
      return null;
    }
    const feeds = this.replicator.feeds;
    return {
      snapshot: codec.encode(list),
      covers: list.version(),
      points: { upTo: new Map(), keep: [] },
      chains: feeds.chainStates().filter((c) => cut(c.actor) === Infinity),
      bases: feeds.bases.states().filter((b) => b.count < cut(b.actor)),
    };
  }

  /** This incarnation's author id. */
  get actor(): ActorId {
    return this.list.actor;
  }

  /** The member this replica is an incarnation of. */
  get member(): number {
    return this.#store.member;
  }

  /**
   * Mutations made by this member in its lifetime, one op each: this incarnation's, and its
   * earlier incarnations' as far as this replica holds them (from peers, after a lost store).
   */
  get mutations(): number {
    let n = 0;
    for (const [actor, count] of this.list.version()) if (memberOf(actor) === this.member) n += count;
    return n;
  }

  /** Make local edits; they are stored, in one transaction, before this returns. */
  edit(make: (list: List<T>) => Op<T>, count = 1): Op<T>[] {
    return this.editMany(count, (list) => Array.from({ length: count }, () => make(list)));
  }

  /** As `edit`, for one call that makes `count` ops at once (`insertMany`, `deleteMany`). */
  editMany(count: number, make: (list: List<T>) => readonly Op<T>[]): Op<T>[] {
    if (this.list.nextCounter + count - 1 > MAX_COUNTER) throw new RangeError(`actor ${this.actor} has used every counter up to ${MAX_COUNTER}`);
    const ops = [...make(this.list)];
    this.#store.append(ops, { keys: [], points: this.replicator.feeds.signOwn(ops) });
    this.#added(ops.length);
    return ops;
  }

  /** A push from a peer; what it adds is stored before this returns, so the caller may acknowledge. */
  receivePush(from: ActorId, ops: readonly Op<T>[], proof: Proof<T>, now = 0, to?: ActorId, told?: VersionVector): PushResult<T> {
    const result = this.replicator.servePush(from, ops, proof, to, told);
    // What the push said was retired is kept before its ops.
    this.#keepRetired();
    this.#keep(result.accepted, result.records, now);
    return result;
  }

  /** Store what was taken; then, if it proved a fork, act on it. */
  #keep(ops: readonly Op<T>[], records: FeedRecords, now: number): void {
    if (ops.length > 0 || records.keys.length > 0 || (records.dropped?.length ?? 0) > 0) this.#store.append(ops, records);
    this.#added(ops.length);
    this.#freezeIfForked(now, (records.dropped?.length ?? 0) > 0);
  }

  /** A new fork, or (`dropped`: ops were just dropped) an op held waiting for one now known to be dropped: drop what they doom. */
  #freezeIfForked(now: number, dropped = false): void {
    const feeds = this.replicator.feeds;
    const waitsInVain = dropped && this.list.pendingCount > 0 && [...this.list.pendingOps()].some((op) => feeds.doomed(op));
    if (feeds.takeAdopted().length > 0 || waitsInVain) this.#freeze(now);
  }

  serveSync(asker: ActorId, version: VersionVector, takesState = false, report?: RetireReport, now = 0, fullHeads = true): SyncPage<T> {
    const page = this.replicator.serveSync(asker, version, takesState, report, now, fullHeads);
    // The asker is heard before it is answered: every report from now on names it.
    this.#keepRetired();
    return page;
  }

  /**
   * Store what the list retired, the incarnations heard and what peers said was retired, where
   * they grew, before any request or answer can say so or anything is taken on them.
   */
  #keepRetired(): void {
    const retired = this.replicator.retired;
    const n = opsIn(retired);
    if (n !== this.#retiredStored) {
      this.#store.keepRetired(retired);
      this.#retiredStored = n;
    }
    const changes = this.replicator.knowledgeChanges;
    if (changes !== this.#knowledgeStored) {
      this.#store.keepKnowledge(this.replicator.knowledge);
      this.#knowledgeStored = changes;
    }
  }

  poll(now: number): Outgoing<T>[] {
    this.#keepRetired();
    return this.replicator.poll(now);
  }

  onReply(peer: PeerId, request: Request<T>, reply: Reply<T>, now: number): PageOutcome<T> {
    const outcome = this.replicator.onReply(peer, request, reply, now);
    // What the answer said was retired is kept before anything it carried.
    this.#keepRetired();
    if (outcome.state?.taken === true) {
      this.#adopt(outcome.state.previous, outcome.state.bytes, outcome.state.covers, outcome.records);
      this.#keepRetired();
      this.#freezeIfForked(now);
    } else this.#keep(outcome.accepted, outcome.records, now);
    return outcome;
  }

  /**
   * Take a checked state (see INTERNALS.md, "Catch-up from state"): the keys and points that prove
   * it and, as rows, every op held here that it lacks (some may be in the snapshot it replaces);
   * then the state as the store's snapshot in place of the rows it covers; each in one
   * transaction: what a restart loads is what the replicator now holds. Nothing was
   * acknowledged in between.
   */
  #adopt(previous: List<T>, bytes: Uint8Array, covers: VersionVector, records: FeedRecords): void {
    const beyond = [...previous.appliedOps(covers)];
    this.#store.append(beyond, records);
    const feeds = this.replicator.feeds;
    this.#store.compact({ snapshot: bytes, covers, points: { upTo: new Map(), keep: [] }, chains: feeds.chainStates(), bases: feeds.bases.states() });
    this.#rows = beyond.length + this.list.pendingCount;
  }

  onFailure(peer: PeerId, request: Request<T>, now: number): void {
    this.replicator.onFailure(peer, request, now);
  }

  onDropped(peer: PeerId, request: Request<T>): void {
    this.replicator.onDropped(peer, request);
  }

  onBehind(peer: PeerId): void {
    this.replicator.onBehind(peer);
  }

  close(): void {
    this.#store.close();
  }
}
