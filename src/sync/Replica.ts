import type { BatchResult } from '../crdt/batch.js';
import type { ActorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import type { PeerId, Reply, Request, SyncPage } from './messages.js';
import { Replicator, type Outgoing, type PageOutcome, type SyncConfig } from './Replicator.js';
import type { Store } from './store.js';

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

  constructor(store: Store<T>, makeList: MakeList<T>, peers: readonly PeerId[], config: SyncConfig<T>, now: number) {
    this.#store = store;
    this.list = makeList(store.actor);
    this.list.restore(store.load());
    // The store checks every received op before the list takes it: it must be able to hold it.
    this.replicator = new Replicator(this.list, peers, config, now, (op) => store.check(op));
  }

  get actor(): ActorId {
    return this.list.actor;
  }

  /** Mutations made by this actor in its lifetime (restarts included): one op each. */
  get mutations(): number {
    return this.list.nextCounter - 1;
  }

  /** Make local edits; they are stored, in one transaction, before this returns. */
  edit(make: (list: List<T>) => Op<T>, count = 1): Op<T>[] {
    if (this.list.nextCounter + count - 1 > MAX_COUNTER) throw new RangeError(`actor ${this.actor} has used every counter up to ${MAX_COUNTER}`);
    const ops: Op<T>[] = [];
    for (let i = 0; i < count; i++) ops.push(make(this.list));
    this.#store.append(ops);
    return ops;
  }

  /** A push from a peer; what it adds is stored before this returns, so the caller may acknowledge. */
  receivePush(from: ActorId, ops: readonly Op<T>[]): BatchResult<T> {
    const result = this.replicator.servePush(from, ops);
    if (result.accepted.length > 0) this.#store.append(result.accepted);
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
    if (outcome.accepted.length > 0) this.#store.append(outcome.accepted);
    return outcome;
  }

  onFailure(peer: PeerId, request: Request<T>, now: number): void {
    this.replicator.onFailure(peer, request, now);
  }

  onDropped(peer: PeerId, request: Request<T>): void {
    this.replicator.onDropped(peer, request);
  }

  close(): void {
    this.#store.close();
  }
}
