import { formatActor, type ActorId, type OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { Gene } from '../genome/gene.js';
import type { Rng } from '../genome/Rng.js';
import type { Proof } from '../sync/Feeds.js';
import type { Replica } from '../sync/Replica.js';

/** A push an attacker could send: who it claims to come from, its ops, and a made-up signature. */
export interface JunkPush {
  readonly what: string;
  readonly from: ActorId;
  readonly ops: Op<Gene>[];
  readonly proof: Proof;
}

/**
 * A genuine feed an attacker can have seen on the network: another author's ops `replica` holds,
 * as it would relay them, from the first it did not collect (a collected op is taken again as a
 * duplicate, whatever its content: the replica keeps nothing of it to compare, and a push of ops
 * it holds changes nothing).
 */
export function seenFeed(replica: Replica<Gene>): SeenFeed | undefined {
  const feeds = replica.replicator.feeds;
  const collected = (a: ActorId): number => replica.list.collected?.get(a) ?? 0;
  const author = [...replica.list.version().keys()].find((a) => a !== replica.actor && feeds.pointAtOrBefore(a, Infinity) > collected(a));
  if (author === undefined) return undefined;
  const end = feeds.pointAtOrBefore(author, Infinity);
  const from = collected(author);
  return { author, ops: replica.list.opsOf(author, from, end - from), proof: feeds.proof(author, end) };
}

/** A genuine feed the attacker has seen: an author's ops as a replica holds them, and the proof it would relay. */
export interface SeenFeed {
  readonly author: ActorId;
  readonly ops: readonly Op<Gene>[];
  readonly proof: Proof;
}

/**
 * Pushes a replica in a cluster of `actors` must refuse whole, changing nothing: ops of an actor
 * outside the cluster, counters past the highest, origins or targets naming a stranger or past the
 * highest counter, a value that is not a gene, a made-up signature. Each may come after
 * genuine-looking ops of a member. With `seen`, forgeries of a real author's feed too: its next
 * ops under a key of the attacker's, under its own key with a signature that does not match, and
 * its genuine ops altered, with its genuine signature.
 */
export function junkPushes(rng: Rng, actors: number, seen?: SeenFeed): JunkPush[] {
  const member = rng.int(actors) as ActorId;
  const stranger = (actors + rng.int(1000)) as ActorId;
  const id = (actor: ActorId, counter: number): OpId => ({ actor, counter });
  const insert = (at: OpId, value: number, left: OpId | null = null): Op<Gene> => ({ type: 'insert', id: at, value, left, right: null });
  const far = MAX_COUNTER + 1 + rng.int(1000);
  // A first op of the member that would be taken alone: the junk after it must refuse the batch.
  const lead = (ops: Op<Gene>[]): Op<Gene>[] => (rng.next() < 0.5 ? [insert(id(member, 1 + rng.int(5)), rng.int(256)), ...ops] : ops);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));
  const push = (what: string, from: ActorId, ops: Op<Gene>[]): JunkPush => ({
    what,
    from,
    ops,
    proof: { actor: from, counter: ops[ops.length - 1]?.id.counter ?? 1, key: bytes(32), signature: bytes(64) },
  });
  return [
    push(`ops of stranger ${stranger}`, stranger, [insert(id(stranger, 1), rng.int(256))]),
    push('a counter past the highest', member, lead([insert(id(member, far), rng.int(256))])),
    push('an origin of a stranger', member, lead([insert(id(member, 7), 1, id(stranger, 1))])),
    push('a target past the highest counter', member, lead([{ type: 'delete', id: id(member, 8), target: id(member, far) }])),
    push('a value that is not a gene', member, lead([insert(id(member, 9), 256 + rng.int(1000))])),
    push('made-up signature', member, [insert(id(member, 1), rng.int(256))]),
    ...(seen === undefined ? [] : forgeries(rng, seen, bytes)),
  ];
}

function forgeries(rng: Rng, seen: SeenFeed, bytes: (n: number) => Uint8Array): JunkPush[] {
  const { author, ops, proof } = seen;
  const next = proof.counter + 1;
  const coming: Op<Gene>[] = [0, 1, 2].map((k) => ({ type: 'insert', id: { actor: author, counter: next + k }, value: rng.int(256), left: null, right: null }));
  const signedBy = (key: Uint8Array): Proof => ({ actor: author, counter: next + 2, key, signature: bytes(64) });
  const out: JunkPush[] = [
    { what: `${formatActor(author)}'s coming ops under another key`, from: author, ops: coming, proof: signedBy(bytes(32)) },
    { what: `${formatActor(author)}'s coming ops under its key, signed by someone else`, from: author, ops: coming, proof: signedBy(proof.key) },
  ];
  const i = rng.int(ops.length);
  const victim = ops[i];
  if (victim?.type === 'insert') {
    const altered = ops.map((op, k) => (k === i ? { ...victim, value: (victim.value + 1 + rng.int(255)) % 256 } : op));
    out.push({ what: `${formatActor(author)}'s op ${victim.id.counter} altered, under its genuine signature`, from: author, ops: altered, proof });
  }
  return out;
}
