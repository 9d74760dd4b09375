import { sameOp, type Op } from '../crdt/ops.js';
import { formatId, type ActorId } from '../crdt/ids.js';
import { signedStatement, type Chain, type FeedCrypto } from './feed-crypto.js';
import type { Fork, Proof } from './feed-types.js';
import type { Base } from './bases.js';

/** Feeds' hash chains and the signatures over them: how ops are chained, and what a signature proves. */
export class FeedChains<T> {
  readonly #crypto: FeedCrypto;
  readonly #encode: (op: Op<T>) => Uint8Array;

  constructor(crypto: FeedCrypto, encode: (op: Op<T>) => Uint8Array) {
    this.#crypto = crypto;
    this.#encode = encode;
  }

  /** A chain at position 0 of `actor`'s feed. */
  start(actor: ActorId): Chain {
    return this.#crypto.startChain(actor);
  }

  /** `base`'s chain, copied, with `ops` (the feed's next ones after it, in order) hashed on. */
  on(base: Base, ops: Iterable<Op<T>>): Chain {
    const chain = base.chain.copy();
    for (const op of ops) this.hash(chain, op);
    return chain;
  }

  /** Take `op` into `chain`: its canonical bytes, with their length (so that op boundaries are part of the hash). */
  hash(chain: Chain, op: Op<T>): void {
    const body = this.#encode(op);
    if (body.length > 0xffff) throw new Error(`op ${formatId(op.id)} is too large to chain`);
    chain.update(Uint8Array.of(body.length >> 8, body.length & 0xff));
    chain.update(body);
  }

  /** Whether `proof` signs the feed whose chain at `proof.counter` is `chain` (its tail hashed on, if it has one). */
  signs(proof: Proof<T>, chain: Chain): boolean {
    const tail = proof.tail ?? [];
    let head = chain;
    if (tail.length > 0) {
      head = chain.copy();
      for (let i = 0; i < tail.length; i++) {
        const op = tail[i] as Op<T>;
        if (op.id.actor !== proof.actor || op.id.counter !== proof.counter + 1 + i) return false;
        this.hash(head, op);
      }
    }
    return this.#crypto.verify(proof.key, signedStatement(proof.actor, proof.counter + tail.length, head.head()), proof.signature);
  }

  /** Whether `fork` holds on a feed whose first `at - 1` ops give `prefix`: two different first ops, each branch signed. */
  holds(fork: Fork<T>, prefix: Chain, key: Uint8Array | null): boolean {
    const [a, b] = fork.branches;
    const [a0, b0] = [a.ops[0], b.ops[0]];
    if (key === null || a0 === undefined || b0 === undefined || sameOp(a0, b0)) return false;
    return fork.branches.every((branch) => {
      const chain = prefix.copy();
      for (let i = 0; i < branch.ops.length; i++) {
        const op = branch.ops[i] as Op<T>;
        if (op.id.actor !== fork.actor || op.id.counter !== fork.at + i) return false;
        this.hash(chain, op);
      }
      return this.#crypto.verify(key, signedStatement(fork.actor, fork.at + branch.ops.length - 1, chain.head()), branch.signature);
    });
  }
}
