import { idKey, replicaId, type ActorId } from '../crdt/ids.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { opProblem, type OpRules } from '../crdt/validate.js';
import type { Signer } from '../sync/feed-crypto.js';
import type { FeedRecords, SignedPoint } from '../sync/Feeds.js';
import type { Store } from '../sync/store.js';
import { newSigner, nodeFeedCrypto, signerFromSeed } from '../transport/signing.js';

/** What a memory store has committed; hand the same one to a new MemoryStore to "restart". */
export interface MemoryBacking<T> {
  readonly ops: Op<T>[];
  /** The op held under each id. */
  readonly ids: Map<string, Op<T>>;
  readonly keys: Map<ActorId, Uint8Array>;
  readonly points: Map<string, SignedPoint>;
  /** The private key seed of the incarnation this backing holds: made with it. */
  readonly seed: Uint8Array;
}

/** A new, empty backing: a new incarnation, whose key comes from `seed` (default: a new random one). */
export const memoryBacking = <T>(seed: Uint8Array = newSigner().seed): MemoryBacking<T> => ({ ops: [], ids: new Map(), keys: new Map(), points: new Map(), seed });

/** Keeps nothing on disk (`--memory`); the simulator keeps the backing across simulated crashes. */
export class MemoryStore<T> implements Store<T> {
  readonly member: number;
  readonly actor: ActorId;
  readonly signer: Signer;
  readonly #backing: MemoryBacking<T>;
  readonly #rules: OpRules<T>;

  /** `isValue`: what an insert may hold, as a store on disk would check it. */
  constructor(member: number, backing: MemoryBacking<T> = memoryBacking(), isValue?: (value: T) => boolean) {
    this.member = member;
    this.#backing = backing;
    this.signer = signerFromSeed(backing.seed);
    this.actor = replicaId(member, nodeFeedCrypto.tagOf(this.signer.key));
    this.#rules = isValue === undefined ? {} : { isValue };
  }

  load(): Op<T>[] {
    return [...this.#backing.ops];
  }

  records(): FeedRecords {
    return { keys: [...this.#backing.keys].map(([actor, key]) => ({ actor, key })), points: [...this.#backing.points.values()] };
  }

  append(ops: readonly Op<T>[], records?: FeedRecords): void {
    for (const op of ops) {
      const problem = this.check(op);
      if (problem !== null) throw new Error(`memory store refuses ${problem}`);
    }
    const { ids, ops: held, keys, points } = this.#backing;
    for (const { actor, key } of records?.keys ?? []) if (!keys.has(actor)) keys.set(actor, key);
    for (const p of records?.points ?? []) points.set(`${p.actor}.${p.counter}`, p);
    for (const op of ops) {
      const key = idKey(op.id);
      const old = ids.get(key);
      if (old !== undefined && sameOp(old, op)) continue;
      // Held with other content: an op the list dropped; this one replaces it, in the order taken.
      if (old !== undefined) held.splice(held.indexOf(old), 1);
      ids.set(key, op);
      held.push(op);
    }
  }

  check(op: Op<T>): string | null {
    return opProblem(op, this.#rules);
  }

  close(): void {}
}
