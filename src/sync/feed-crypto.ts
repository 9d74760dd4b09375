import type { ActorId } from '../crdt/ids.js';

/**
 * What feeds need of cryptography, defined here and implemented by an adapter
 * (`src/transport/signing.ts`, on node:crypto): a running SHA-256 and Ed25519 verification.
 * Both are deterministic, so the sync layer stays pure.
 */
export interface FeedCrypto {
  /** A chain at position 0 of `actor`'s feed. */
  startChain(actor: ActorId): Chain;
  /** A chain that goes on from `Chain.save`'s bytes; throws a RangeError on bytes it cannot have made. */
  resumeChain(state: Uint8Array): Chain;
  /** Whether `signature` is `key`'s over `message`; false for a key that is no Ed25519 point. */
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Whether `key` is a valid Ed25519 public key. */
  isKey(key: Uint8Array): boolean;
  /** The incarnation tag a key gives its author id (1 .. MAX_TAG). */
  tagOf(key: Uint8Array): number;
}

/** A running hash over a feed's ops: the state after its first n ops. */
export interface Chain {
  /** Take in the next op's canonical bytes. */
  update(bytes: Uint8Array): void;
  /** The head h_n, without ending the chain. */
  head(): Uint8Array;
  copy(): Chain;
  /** The running state, to resume from once the ops before it are gone (see INTERNALS.md, "Chain states"). */
  save(): Uint8Array;
}

/** The author's side: its public key and a signature over a message. */
export interface Signer {
  readonly key: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Ed25519 sizes. */
export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** The bytes an author signs for the first `counter` ops of feed `actor`, whose chain head is `head`. */
export function signedStatement(actor: ActorId, counter: number, head: Uint8Array): Uint8Array {
  const out = new Uint8Array(STATEMENT.length + 16 + head.length);
  out.set(STATEMENT, 0);
  const view = new DataView(out.buffer);
  view.setFloat64(STATEMENT.length, actor);
  view.setFloat64(STATEMENT.length + 8, counter);
  out.set(head, STATEMENT.length + 16);
  return out;
}

/** The first bytes of every chain: names the feed, so that no two feeds share a chain. */
export function chainStart(actor: ActorId): Uint8Array {
  const out = new Uint8Array(CHAIN.length + 8);
  out.set(CHAIN, 0);
  new DataView(out.buffer).setFloat64(CHAIN.length, actor);
  return out;
}

const STATEMENT = new TextEncoder().encode('crdt-genome signed feed point v1\0');
const CHAIN = new TextEncoder().encode('crdt-genome feed chain v1\0');
