import { memberOf, type ActorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import type { FeedCrypto } from './feed-crypto.js';
import { Feeds, type FeedRecords, type Fork, type Proof, type SignedPoint } from './Feeds.js';
import { cutPoint, doomedOps } from './forks.js';
import type { PeerId, Reply, Request, SyncPage } from './messages.js';
import { Replicator, type Outgoing, type PageOutcome, type PushResult, type SyncConfig } from './Replicator.js';
import type { Store } from './store.js';

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
  #list!: List<T>;
  #replicator!: Replicator<T>;

  constructor(store: Store<T>, makeList: MakeList<T>, peers: readonly PeerId[], config: ReplicaConfig<T>, now: number, crypto: FeedCrypto) {
    this.#store = store;
    this.#makeList = makeList;
    this.#peers = peers;
    this.#config = config;
    this.#crypto = crypto;
    this.#build(now);
  }

  get list(): List<T> {
    return this.#list;
  }

  get replicator(): Replicator<T> {
    return this.#replicator;
  }

  /** The list, feeds and replicator from what the store holds (at start, and after a fork is proven). */
  #build(now: number): void {
    const store = this.#store;
    const list = this.#makeList(store.actor);
    const ops = store.load();
    list.restore(ops);
    const feeds = new Feeds(store.actor, store.signer, this.#crypto, this.#config.encode, this.#config.pointSpacing);
    const signed = feeds.restore(store.records(), ops);
    if (signed.length > 0) store.append([], { keys: [], points: signed });
    this.#list = list;
    // The store checks every received op before the list takes it: it must be able to hold it.
    this.#replicator = new Replicator(list, feeds, this.#peers, this.#config, now, (op) => store.check(op));
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
    const ops = this.#store.load();
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
    const own = byFeed.has(this.actor);
    const forks = feeds.forks() as unknown as Fork<number>[];
    // The new incarnation first: a crash between the two leaves the old ops to be dropped again
    // (the proof comes back from peers), never an old id free to be made again.
    if (own) this.#store.renew();
    this.#store.drop(doomed.map((op) => op.id), { keys: [], points, forks, dropped: doomed.map((op) => op.id) });
    this.#build(now);
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
    if (this.list.nextCounter + count - 1 > MAX_COUNTER) throw new RangeError(`actor ${this.actor} has used every counter up to ${MAX_COUNTER}`);
    const ops: Op<T>[] = [];
    for (let i = 0; i < count; i++) ops.push(make(this.list));
    this.#store.append(ops, { keys: [], points: this.replicator.feeds.signOwn(ops) });
    return ops;
  }

  /** A push from a peer; what it adds is stored before this returns, so the caller may acknowledge. */
  receivePush(from: ActorId, ops: readonly Op<T>[], proof: Proof<T>, now = 0): PushResult<T> {
    const result = this.replicator.servePush(from, ops, proof);
    this.#keep(result.accepted, result.records, now);
    return result;
  }

  /** Store what was taken; then, if it proved a fork, act on it. */
  #keep(ops: readonly Op<T>[], records: FeedRecords, now: number): void {
    if (ops.length > 0 || records.keys.length > 0 || (records.dropped?.length ?? 0) > 0) this.#store.append(ops, records);
    const feeds = this.replicator.feeds;
    // A new fork, or an op held waiting for one now known to be dropped: drop what they doom.
    const waitsInVain = (records.dropped?.length ?? 0) > 0 && this.list.pendingCount > 0 && [...this.list.pendingOps()].some((op) => feeds.doomed(op));
    if (feeds.takeAdopted().length > 0 || waitsInVain) this.#freeze(now);
  }

  serveSync(asker: ActorId, version: VersionVector): SyncPage<T> {
    return this.replicator.serveSync(asker, version);
  }

  poll(now: number): Outgoing<T>[] {
    return this.replicator.poll(now);
  }

  onReply(peer: PeerId, request: Request<T>, reply: Reply<T>, now: number): PageOutcome<T> {
    const outcome = this.replicator.onReply(peer, request, reply, now);
    this.#keep(outcome.accepted, outcome.records, now);
    return outcome;
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
