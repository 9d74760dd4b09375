import { idKey, type ActorId, type OpId } from '../crdt/ids.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { opProblem, type OpRules } from '../crdt/validate.js';
import type { Signer } from '../sync/feed-crypto.js';
import type { ChainState, FeedRecords, Fork, SignedPoint } from '../sync/Feeds.js';
import type { VersionVector } from '../crdt/version.js';
import type { Compaction, Store } from '../sync/store.js';
import type { Knowledge } from '../sync/knowledge.js';
import { incarnationOf } from '../transport/feed-hashing.js';

/** What a memory store has committed; hand the same one to a new MemoryStore to "restart". */
export interface MemoryBacking<T> {
  /** The latest snapshot, in place of the ops it covers. */
  snapshot: Uint8Array | null;
  ops: Op<T>[];
  /** The op held under each id. */
  readonly ids: Map<string, Op<T>>;
  readonly keys: Map<ActorId, Uint8Array>;
  readonly points: Map<string, SignedPoint>;
  readonly forks: Map<ActorId, Fork<number>>;
  readonly dropped: Map<string, OpId>;
  /** Feeds' chains saved at the last compaction. */
  readonly chains: Map<ActorId, ChainState>;
  /** Feeds' bases saved at the last compaction. */
  readonly bases: Map<ActorId, ChainState>;
  /** What the replica last said it retired. */
  retired: VersionVector;
  /** What the replica last kept of its peers. */
  knowledge: Knowledge;
  /** The private key seed of the incarnation this backing holds: made with it (a new one on `renew`). */
  seed: Uint8Array;
}

/** 32 random bytes: an Ed25519 private key seed is no more than that. */
export const randomSeed = (): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(32));

/** How a store turns its seed into a signer: node:crypto's Ed25519 or a browser's. */
export type SignerOf = (seed: Uint8Array) => Signer;

/** A new, empty backing: a new incarnation, whose key comes from `seed` (default: a new random one). */
export const memoryBacking = <T>(seed: Uint8Array = randomSeed()): MemoryBacking<T> => ({ snapshot: null, ops: [], ids: new Map(), keys: new Map(), points: new Map(), forks: new Map(), dropped: new Map(), chains: new Map(), bases: new Map(), retired: new Map(), knowledge: { told: new Map(), heard: [] }, seed });

/** A copy of what `backing` holds, key included: a copied data dir (the simulator's and tests' stolen key). */
export const copyBacking = <T>(b: MemoryBacking<T>): MemoryBacking<T> => ({
  ...b,
  ops: [...b.ops],
  ids: new Map(b.ids),
  keys: new Map(b.keys),
  points: new Map(b.points),
  forks: new Map(b.forks),
  dropped: new Map(b.dropped),
  chains: new Map(b.chains),
  bases: new Map(b.bases),
});

/**
 * Keeps nothing on disk; signs with the `keys` it is given (`MemoryStore`: node:crypto's, in a
 * module of its own so that this one runs in a browser).
 */
export class KeyedMemoryStore<T> implements Store<T> {
  readonly member: number;
  #actor!: ActorId;
  #signer!: Signer;
  readonly #backing: MemoryBacking<T>;
  readonly #rules: OpRules<T>;
  /** Makes the seed of a new incarnation, for `renew` (the simulator draws it from its seed). */
  readonly #newSeed: () => Uint8Array;
  readonly #signerOf: SignerOf;

  /** `isValue`: what an insert may hold, as a store on disk would check it. */
  constructor(member: number, backing: MemoryBacking<T>, isValue: ((value: T) => boolean) | undefined, newSeed: () => Uint8Array, signerOf: SignerOf) {
    this.member = member;
    this.#backing = backing;
    this.#newSeed = newSeed;
    this.#signerOf = signerOf;
    this.#identity();
    this.#rules = isValue === undefined ? {} : { isValue };
  }

  get actor(): ActorId {
    return this.#actor;
  }

  get signer(): Signer {
    return this.#signer;
  }

  #identity(): void {
    this.#signer = this.#signerOf(this.#backing.seed);
    this.#actor = incarnationOf(this.member, this.#signer.key);
  }

  drop(ids: readonly OpId[], records: FeedRecords): void {
    this.#records(records);
    const { ops, ids: held } = this.#backing;
    for (const id of ids) {
      const op = held.get(idKey(id));
      if (op === undefined) continue;
      held.delete(idKey(id));
      ops.splice(ops.indexOf(op), 1);
    }
  }

  renew(): void {
    this.#backing.keys.set(this.#actor, this.#signer.key);
    this.#backing.seed = this.#newSeed();
    this.#identity();
  }

  load(): Op<T>[] {
    return [...this.#backing.ops];
  }

  snapshot(): Uint8Array | null {
    return this.#backing.snapshot;
  }

  compact(c: Compaction): void {
    const b = this.#backing;
    const covered = (id: OpId): boolean => id.counter <= (c.covers.get(id.actor) ?? 0);
    for (const op of b.ops) if (covered(op.id)) b.ids.delete(idKey(op.id));
    b.ops = b.ops.filter((op) => !covered(op.id));
    for (const [key, p] of b.points) if (p.counter <= (c.points.upTo.get(p.actor) ?? 0)) b.points.delete(key);
    this.#records({ keys: [], points: c.points.keep });
    b.chains.clear();
    for (const k of c.chains ?? []) b.chains.set(k.actor, k);
    b.bases.clear();
    for (const k of c.bases ?? []) b.bases.set(k.actor, k);
    b.snapshot = c.snapshot;
  }

  replace(ops: readonly Op<T>[], records: FeedRecords, snapshot?: Compaction): void {
    const b = this.#backing;
    b.snapshot = null;
    b.ops = [];
    b.ids.clear();
    this.append(ops, records);
    if (snapshot !== undefined) this.compact(snapshot);
  }

  bytes(): number {
    return 0;
  }

  retired(): VersionVector {
    return this.#backing.retired;
  }

  keepRetired(version: VersionVector): void {
    this.#backing.retired = new Map(version);
  }

  knowledge(): Knowledge {
    return this.#backing.knowledge;
  }

  keepKnowledge(k: Knowledge): void {
    this.#backing.knowledge = { told: new Map(k.told), heard: [...k.heard] };
  }

  records(): FeedRecords {
    const { keys, points, forks, dropped, chains, bases } = this.#backing;
    return { keys: [...keys].map(([actor, key]) => ({ actor, key })), points: [...points.values()], forks: [...forks.values()], dropped: [...dropped.values()], chains: [...chains.values()], bases: [...bases.values()] };
  }

  #records(records: FeedRecords | undefined): void {
    const { keys, points, forks, dropped, chains, bases } = this.#backing;
    for (const { actor, key } of records?.keys ?? []) if (!keys.has(actor)) keys.set(actor, key);
    for (const p of records?.points ?? []) points.set(`${p.actor}.${p.counter}`, p);
    for (const f of records?.forks ?? []) forks.set(f.actor, f);
    for (const id of records?.dropped ?? []) {
      dropped.set(idKey(id), id);
      // A chain (or base) saved at or past a dropped op no longer matches the feed; one before it still does.
      if ((chains.get(id.actor)?.count ?? 0) >= id.counter) chains.delete(id.actor);
      if ((bases.get(id.actor)?.count ?? 0) >= id.counter) bases.delete(id.actor);
    }
  }

  append(ops: readonly Op<T>[], records?: FeedRecords): void {
    for (const op of ops) {
      const problem = this.check(op);
      if (problem !== null) throw new Error(`memory store refuses ${problem}`);
    }
    this.#records(records);
    const { ids, ops: held } = this.#backing;
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
