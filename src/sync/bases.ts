import { formatActor, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import type { Chain, FeedCrypto } from './feed-crypto.js';
import type { ChainState } from './feed-types.js';
import type { FeedChains } from './chains.js';

/** A feed's chain after its first `count` ops. */
export interface Base {
  readonly count: number;
  readonly chain: Chain;
}

/**
 * Each feed's chain at a count at or past what the list collected of it: its *base* (see
 * INTERNALS.md, "Catch-up from a collected state"). The ops before a base may be gone, so a
 * replica sent a collected state hashes a feed on from its base, not from its first op; the
 * author's signature at the feed's end then binds the base and every op after it.
 */
export class ChainBases<T> {
  readonly #bases = new Map<ActorId, Base>();
  readonly #chains: FeedChains<T>;
  readonly #crypto: FeedCrypto;

  constructor(chains: FeedChains<T>, crypto: FeedCrypto) {
    this.#chains = chains;
    this.#crypto = crypto;
  }

  /** The base of `actor`'s feed (its first op, before any is collected). */
  get(actor: ActorId): Base {
    return this.#bases.get(actor) ?? { count: 0, chain: this.#chains.start(actor) };
  }

  /**
   * Move each feed's base up to `to` (what the list is about to collect), hashing the ops between,
   * which `opsOf` gives (the list still holds them).
   */
  advance(to: VersionVector, opsOf: (actor: ActorId, after: number, limit: number) => Op<T>[]): void {
    for (const [actor, n] of to) {
      const base = this.get(actor);
      if (n <= base.count) continue;
      const chain = base.chain.copy();
      const ops = opsOf(actor, base.count, n - base.count);
      // A base hashed over fewer ops than its count would refuse every honest state and op after it.
      if (ops.length !== n - base.count || ops.some((op, i) => op.id.counter !== base.count + 1 + i)) throw new Error(`the base of ${formatActor(actor)}'s feed cannot move from ${base.count} to ${n}: ${ops.length} of the ops between are held`);
      for (const op of ops) this.#chains.hash(chain, op);
      this.#bases.set(actor, { count: n, chain });
    }
  }

  /** Take a base a state came with, once the feed's signature bound it (see `Feeds.check`). */
  take(actor: ActorId, base: Base): void {
    if (base.count > this.get(actor).count) this.#bases.set(actor, base);
  }

  /** A saved base as a chain, or null if its bytes are no chain state. */
  resume(saved: ChainState): Base | null {
    try {
      return { count: saved.count, chain: this.#crypto.resumeChain(saved.state) };
    } catch {
      return null;
    }
  }

  /** Take back the bases a store kept (its own: they are not checked again until sent). */
  restore(saved: readonly ChainState[]): void {
    for (const s of saved) {
      const base = this.resume(s);
      if (base !== null) this.take(s.actor, base);
    }
  }

  /** Every base past a feed's first op: what a store keeps with its snapshot. */
  states(): ChainState[] {
    return [...this.#bases].map(([actor, b]) => ({ actor, count: b.count, state: b.chain.save() }));
  }

  /**
   * The bases an asker at `version` needs to check a state that collected `collected`: those of
   * the feeds it lacks collected ops of. Null if a base is missing (none can be vouched for).
   */
  for(version: VersionVector, collected: VersionVector): ChainState[] | null {
    const out: ChainState[] = [];
    for (const [actor, c] of collected) {
      if ((version.get(actor) ?? 0) >= c) continue;
      const base = this.#bases.get(actor);
      if (base === undefined || base.count < c) return null;
      out.push({ actor, count: base.count, state: base.chain.save() });
    }
    return out;
  }
}
