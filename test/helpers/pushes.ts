import { encodeOpBody } from '../../src/crdt/codec.js';
import type { ActorId } from '../../src/crdt/ids.js';
import type { Op } from '../../src/crdt/ops.js';
import { memoryBacking, type MemoryBacking } from '../../src/store/MemoryStore.js';
import { Feeds, type Proof } from '../../src/sync/Feeds.js';
import type { Replica } from '../../src/sync/Replica.js';
import { encodeBinaryPush } from '../../src/transport/binary-wire.js';
import { nodeFeedCrypto, signerFromSeed } from '../../src/transport/signing.js';
import { encodePush } from '../../src/transport/wire.js';
import { deliver, newReplica, signedPush, type ReplicaOptions, type SignedPush } from './feeds.js';

/** A real author: a replica of `member` over a memory store, whose key the test can also sign with. */
export interface Author {
  readonly member: number;
  readonly replica: Replica<number>;
  readonly backing: MemoryBacking<number>;
  /** Its author id (incarnation). */
  readonly actor: ActorId;
  /** Its public key. */
  readonly key: Uint8Array;
  /** Make one edit (one op, signed as the replica signs every edit). */
  edit(make: Parameters<Replica<number>['edit']>[0]): Op<number>;
  /** Its push of its own ops after `after`, up to its latest signed point. */
  push(after?: number): SignedPush;
  /** Its signature over its first `counter` ops, as it signed them when it got there (Ed25519 signatures are deterministic). */
  proofAt(counter: number): Proof;
}

export function author(member: number, opts: Omit<ReplicaOptions, 'backing'> = {}): Author {
  const backing = memoryBacking<number>();
  const replica = newReplica(member, { ...opts, backing });
  const a: Author = {
    member,
    replica,
    backing,
    actor: replica.actor,
    key: signerFromSeed(backing.seed).key,
    edit: (make) => replica.edit(make)[0] as Op<number>,
    push: (after = 0) => signedPush(replica, after),
    proofAt: (counter) => signFeed(a, replica.list.opsOf(replica.actor, 0, counter)),
  };
  return a;
}

/**
 * Another replica of the same incarnation (the same key, hence the same author id) that signs a
 * branch of its own: what an equivocating author does.
 */
export function twinOf(a: Author): Replica<number> {
  return newReplica(a.member, { backing: memoryBacking<number>(a.backing.seed) });
}

/**
 * `a`'s signature over `ops` as its feed from counter 1, whatever they are: ops an honest replica
 * would never make (a hostile but genuine author), signed with its real key.
 */
export function signFeed(a: Author, ops: readonly Op<number>[]): Proof {
  const feeds = new Feeds<number>(a.actor, signerFromSeed(a.backing.seed), nodeFeedCrypto, encodeOpBody);
  feeds.signOwn(ops);
  return feeds.proof(a.actor, (ops[ops.length - 1] as Op<number>).id.counter);
}

/** `a`'s push of its ops after `after`, with its op at counter `at` replaced by `op` and the signature left as it was: a forgery. */
export function forged(a: Author, at: number, change: (op: Op<number>) => Op<number>, after = 0): SignedPush {
  const push = a.push(after);
  return { ...push, ops: push.ops.map((op) => (op.id.counter === at ? change(op) : op)) };
}

/** Member 2's op (gene 1), and member 1's three made on top of it (genes 2, 3 after it, then its delete): at a receiver lacking member 2's op, member 1's all wait. */
export function dependentPushes(): { origin: Author; dependent: Author; first: SignedPush; then: SignedPush } {
  const origin = author(2);
  origin.edit((l) => l.insert(0, 1));
  const dependent = author(1);
  const first = origin.push();
  if (deliver(dependent.replica, first).status !== 'ok') throw new Error('member 1 did not take member 2\'s op');
  dependent.edit((l) => l.insert(1, 2));
  dependent.edit((l) => l.insert(2, 3));
  dependent.edit((l) => l.delete(0));
  return { origin, dependent, first, then: dependent.push() };
}

/** A push as a JSON body (wire v2). */
export const jsonPush = (p: SignedPush): string => encodePush(p.from, p.ops, p.proof);

/** A push as a binary body (wire v3). */
export const binaryPush = (p: SignedPush): Buffer => Buffer.from(encodeBinaryPush(p.from, p.ops, p.proof));
