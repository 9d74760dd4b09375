import { memberOf, type ActorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import type { FeedCrypto } from './feed-crypto.js';
import { Feeds, type Proof } from './Feeds.js';
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
  readonly list: List<T>;
  readonly replicator: Replicator<T>;
  readonly #store: Store<T>;

  constructor(store: Store<T>, makeList: MakeList<T>, peers: readonly PeerId[], config: ReplicaConfig<T>, now: number, crypto: FeedCrypto) {
    this.#store = store;
    this.list = makeList(store.actor);
    const ops = store.load();
    this.list.restore(ops);
    const feeds = new Feeds(store.actor, store.signer, crypto, config.encode, config.pointSpacing);
    const signed = feeds.restore(store.records(), ops);
    if (signed.length > 0) store.append([], { keys: [], points: signed });
    // The store checks every received op before the list takes it: it must be able to hold it.
    this.replicator = new Replicator(this.list, feeds, peers, config, now, (op) => store.check(op));
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
  receivePush(from: ActorId, ops: readonly Op<T>[], proof: Proof): PushResult<T> {
    const result = this.replicator.servePush(from, ops, proof);
    if (result.accepted.length > 0 || result.records.keys.length > 0) this.#store.append(result.accepted, result.records);
    return result;
  }

  serveSync(asker: ActorId, version: VersionVector): SyncPage<T> {
    return this.replicator.serveSync(asker, version);
  }

  poll(now: number): Outgoing<T>[] {
    return this.replicator.poll(now);
  }

  onReply(peer: PeerId, request: Request<T>, reply: Reply<T>, now: number): PageOutcome<T> {
    const outcome = this.replicator.onReply(peer, request, reply, now);
    if (outcome.accepted.length > 0 || outcome.records.keys.length > 0) this.#store.append(outcome.accepted, outcome.records);
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
