import type { ActorState } from '../../src/actor/ActorState.js';
import { concatBytes, encodeOpBody } from '../../src/crdt/codec.js';
import { replicaId, type ActorId, type OpId } from '../../src/crdt/ids.js';
import type { DeleteOp, InsertOp, Op } from '../../src/crdt/ops.js';
import { signedStatement, type Signer } from '../../src/sync/feed-crypto.js';
import type { Proof } from '../../src/sync/Feeds.js';
import { newSigner, nodeFeedCrypto } from '../../src/transport/signing.js';
import { proofBytes } from '../../src/transport/binary-wire.js';
import { encodeProof } from '../../src/transport/wire.js';
import { holdings } from './actor-app.js';
import { varints } from './bytes.js';

/**
 * Helpers for the hostile-input tests and the wire fuzzer: authors that sign whatever they are
 * given (an attacker who holds a key), hand-made pushes in both wire formats, and what an actor
 * holds that a refused request must not change.
 */

/**
 * An author that signs any content as its feed: what an attacker holding an incarnation's key can
 * do (forge its own ops, equivocate), unlike a `Replica`, whose feed only grows by its own edits.
 * Its author id is `member`'s incarnation that its key gives (or `tag`, e.g. 0 for a first incarnation).
 */
export class HandAuthor {
  readonly signer: Signer;
  readonly actor: ActorId;

  constructor(member: number, tag?: number, signer: Signer = newSigner().signer) {
    this.signer = signer;
    this.actor = replicaId(member, tag ?? nodeFeedCrypto.tagOf(signer.key));
  }

  /**
   * Its signature over `ops` as the first ops of its feed (chained in the order given, whatever
   * their ids), at `counter` (default: the last op's counter).
   */
  sign(ops: readonly Op<number>[], counter = ops.length === 0 ? 0 : (ops[ops.length - 1] as Op<number>).id.counter): Proof {
    return { actor: this.actor, counter, key: this.signer.key, signature: this.signer.sign(signedStatement(this.actor, counter, chainHead(this.actor, ops))) };
  }
}

/** The chain head over `ops` as the start of `actor`'s feed, computed here (as a receiver does). */
export function chainHead(actor: ActorId, ops: readonly Op<number>[]): Uint8Array {
  const chain = nodeFeedCrypto.startChain(actor);
  for (const op of ops) {
    const body = encodeOpBody(op);
    chain.update(Uint8Array.of(body.length >> 8, body.length & 0xff));
    chain.update(body);
  }
  return chain.head();
}

export const id = (actor: number, counter: number): OpId => ({ actor: actor as ActorId, counter });
export const ins = (actor: number, counter: number, value: number, left: OpId | null = null, right: OpId | null = null): InsertOp<number> => ({ type: 'insert', id: id(actor, counter), value, left, right });
export const del = (actor: number, counter: number, target: OpId): DeleteOp => ({ type: 'delete', id: id(actor, counter), target });

/** A JSON push (wire v2) of ops in wire form (`encodeOp`, or hand-written, hostile ones). */
export const jsonPush = (from: number, ops: readonly unknown[], proof: Proof): string => JSON.stringify({ v: 2, from, ops, proof: encodeProof(proof) });

/** A binary push (wire v3) written by hand: 'P' 3 from proof, then a batch of `count` ops in the runs given. */
export function binaryPush(from: number, proof: Proof, count: number, ...runs: number[][]): Uint8Array {
  return concatBytes(varints([0x50, 6], from, 0, 0), proofBytes(proof), varints([], count, ...runs.flat()));
}

const hex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('hex'));

/**
 * What an actor holds, to compare before and after: genome, version, pending ops (`holdings`),
 * and of each feed of `authors`, how far it is checked and the key it is known by. What a store
 * reloads; proven equivocations are not stored, and are compared apart (`refusalState`).
 */
export function held(state: ActorState, authors: Iterable<ActorId>) {
  const feeds = state.replica.replicator.feeds;
  return { ...holdings(state), feeds: [...new Set(authors)].sort((a, b) => a - b).map((a) => ({ author: a, count: feeds.count(a), key: hex(feeds.key(a)) })) };
}

/** All that a refused request must leave as it was: what `held` compares, and the equivocations proven. */
export function refusalState(state: ActorState, authors: Iterable<ActorId>) {
  return { ...held(state, authors), equivocations: state.replica.replicator.feeds.equivocations() };
}

/** The error codes a replication request may be refused with (README, src/actor/routes.ts). */
export const REFUSAL_CODES: Readonly<Record<string, number>> = {
  invalid_body: 400,
  invalid_op: 400,
  bad_key: 400,
  bad_signature: 403,
  own_ops: 403,
  key_mismatch: 403,
  unknown_feed: 409,
  gap: 409,
  equivocation: 409,
  // A damaged push can name another incarnation as the one it is for.
  other_incarnation: 409,
};
