import { encodeOpBody } from '../../src/crdt/codec.js';
import { type ActorId } from '../../src/crdt/ids.js';
import type { MakeList } from '../../src/crdt/list.js';
import type { Op } from '../../src/crdt/ops.js';
import { ReferenceList } from '../../src/crdt/ReferenceList.js';
import { memoryBacking, MemoryStore, type MemoryBacking } from '../../src/store/MemoryStore.js';
import type { Proof } from '../../src/sync/Feeds.js';
import { Replica, type ReplicaConfig } from '../../src/sync/Replica.js';
import { nodeFeedCrypto } from '../../src/transport/signing.js';

export const testConfig: ReplicaConfig<number> = { syncIntervalMs: 1000, backoffMinMs: 100, backoffMaxMs: 800, maxOps: 3, maxBytes: Infinity, sizeOf: () => 1, encode: encodeOpBody };
export const referenceList: MakeList<number> = (a) => new ReferenceList<number>(a);

export interface ReplicaOptions {
  peers?: string[];
  config?: Partial<ReplicaConfig<number>>;
  /** The store's backing: the same one is the same incarnation after a restart. */
  backing?: MemoryBacking<number>;
  makeList?: MakeList<number>;
}

/** A replica of member `member` over a memory store, the reference list and real signatures. */
export function newReplica(member: number, opts: ReplicaOptions = {}): Replica<number> {
  const store = new MemoryStore<number>(member, opts.backing ?? memoryBacking());
  return new Replica(store, opts.makeList ?? referenceList, opts.peers ?? [], { ...testConfig, ...opts.config }, 0, nodeFeedCrypto);
}

export interface SignedPush {
  from: ActorId;
  ops: Op<number>[];
  proof: Proof;
}

/** What `author`'s push of its own ops after `after` would carry (up to its latest signed point). */
export function signedPush(author: Replica<number>, after = 0): SignedPush {
  const feeds = author.replicator.feeds;
  const end = feeds.pointAtOrBefore(author.actor, author.list.nextCounter - 1);
  return { from: author.actor, ops: author.list.opsOf(author.actor, after, end - after), proof: feeds.proof(author.actor, end) };
}

/** Hand `push` to `to`, as its route would. */
export const deliver = (to: Replica<number>, push: SignedPush) => to.receivePush(push.from, push.ops, push.proof);

/** Anti-entropy until `asker` has everything `server` (named `name` among its peers) has for it; no refusal expected. */
export function pull(asker: Replica<number>, server: Replica<number>, name: string): void {
  for (let more = true; more; ) {
    const version = asker.replicator.feeds.advertise(asker.list.version());
    const request = { type: 'sync', from: asker.actor, version, report: asker.replicator.reportTo(server.actor, version) } as const;
    const page = server.serveSync(asker.actor, request.version, false, request.report);
    const outcome = asker.onReply(name, request, { type: 'sync', ...page }, 0);
    if (outcome.refusals.length > 0) throw new Error(`${name} refused: ${JSON.stringify(outcome.refusals)}`);
    more = page.more && outcome.accepted.length > 0;
  }
}
