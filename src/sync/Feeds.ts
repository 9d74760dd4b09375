import { formatActor, formatId, tagOf, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import { signedStatement, type Chain, type FeedCrypto, type Signer } from './feed-crypto.js';

/** A signature of `actor`'s key over the chain head after its first `counter` ops. */
export interface SignedPoint {
  readonly actor: ActorId;
  readonly counter: number;
  readonly signature: Uint8Array;
}

/** A signed point with the key that made it: what a push or a page carries for each feed in it. */
export interface Proof extends SignedPoint {
  readonly key: Uint8Array;
}

/** What a replica keeps of feeds besides their ops: each author's key, and the points it may relay. */
export interface FeedRecords {
  readonly keys: ReadonlyArray<{ readonly actor: ActorId; readonly key: Uint8Array }>;
  readonly points: readonly SignedPoint[];
}

export const NO_RECORDS: FeedRecords = { keys: [], points: [] };

/**
 * Why a batch of ops is refused, by HTTP code:
 * - `bad_signature` (403): a feed's ops do not match its author's signature (forged, altered, unsigned);
 * - `own_ops` (403): ops under the receiver's own author id, which only it makes;
 * - `key_mismatch` (403): a key that is not the author's (another key is known, or it does not give the id's tag);
 * - `bad_key` (400): 32 bytes that are no Ed25519 public key;
 * - `unknown_feed` (409): a feed never seen, presented without its first op;
 * - `gap` (409): ops that start past what the receiver holds of their feed, so their chain cannot be checked;
 * - `equivocation` (409): a validly signed op at a position where the author signed another (the proof);
 * - `invalid_op` (400): an op no replica takes, or, in a page, one that would have to wait.
 */
export type FeedRefusalCode = 'bad_signature' | 'own_ops' | 'key_mismatch' | 'bad_key' | 'unknown_feed' | 'gap' | 'equivocation' | 'invalid_op';

export interface FeedRefusal {
  readonly code: FeedRefusalCode;
  readonly actor: ActorId;
  readonly message: string;
}

/** Feeds checked, not yet taken: `commit` takes them once their ops are applied. */
interface PlanEntry<T> {
  readonly actor: ActorId;
  readonly key: Uint8Array;
  /** The batch's ops of this feed. */
  readonly ops: readonly Op<T>[];
  readonly last: number;
  /** The chain after `last`. */
  readonly chain: Chain;
  readonly signature: Uint8Array;
}

export interface FeedPlan<T> {
  readonly entries: ReadonlyArray<PlanEntry<T>>;
  /** Feeds of the batch that are refused, each for its own reason. */
  readonly refusals: readonly FeedRefusal[];
}

/** An author's two signed branches at one position: the proof that it equivocated. */
export interface Equivocation {
  readonly actor: ActorId;
  /** The first position where the branches differ. */
  readonly at: number;
}

/**
 * A signed point is kept for relaying if it is this many ops past the last one kept, or the
 * latest; long edits are signed this often too. Pages grow past their limits to reach a point
 * (see `missingOps`), so this stays well below the largest page (4,096 ops).
 */
export const POINT_SPACING = 256;

interface Feed {
  key: Uint8Array | null;
  /** Ops of this feed held and checked against its chain: 1..count. */
  count: number;
  /** The chain after `count` ops. */
  chain: Chain;
  /** Points kept for relaying, at least POINT_SPACING apart, in counter order... */
  spaced: SignedPoint[];
  /** ...and the latest one. */
  latest: SignedPoint | null;
}

/**
 * Every author's feed as this replica holds it (see INTERNALS.md, "Feeds"): ops of one author id
 * in counter order, hash-chained, the chain head signed by the author. Ops enter only through
 * `check` (every feed of a batch against its signature, before any op is applied) and `commit`;
 * own ops through `signOwn`. Pure: the cryptography comes in through `FeedCrypto`.
 */
export class Feeds<T> {
  readonly self: ActorId;
  readonly #signer: Signer;
  readonly #crypto: FeedCrypto;
  readonly #encode: (op: Op<T>) => Uint8Array;
  readonly #feeds = new Map<ActorId, Feed>();
  readonly #equivocations = new Map<ActorId, Equivocation>();
  readonly #spacing: number;

  constructor(self: ActorId, signer: Signer, crypto: FeedCrypto, encode: (op: Op<T>) => Uint8Array, spacing = POINT_SPACING) {
    this.self = self;
    this.#spacing = spacing;
    this.#signer = signer;
    this.#crypto = crypto;
    this.#encode = encode;
    this.#feed(self).key = signer.key;
  }

  /**
   * Take back what a store held: keys, points, and every op (any order). A feed whose key is
   * known counts its ops from 1 as far as they run on; ops of a feed without a key (taken before
   * feeds were signed) are held but not counted, so they are neither advertised nor relayed
   * until their author's signature covers them. Returns the points it signed for own ops that
   * had none (to store).
   */
  restore(records: FeedRecords, ops: Iterable<Op<T>>): SignedPoint[] {
    for (const { actor, key } of records.keys) if (actor !== this.self) this.#feed(actor).key = key;
    const byFeed = new Map<ActorId, Op<T>[]>();
    for (const op of ops) {
      const list = byFeed.get(op.id.actor) ?? [];
      list.push(op);
      byFeed.set(op.id.actor, list);
    }
    for (const [actor, list] of byFeed) {
      const feed = this.#feed(actor);
      if (feed.key === null) continue;
      list.sort((a, b) => a.id.counter - b.id.counter);
      for (const op of list) {
        if (op.id.counter !== feed.count + 1) break;
        this.#hash(feed.chain, op);
        feed.count++;
      }
    }
    const points = [...records.points].sort((a, b) => a.counter - b.counter);
    for (const p of points) {
      const feed = this.#feeds.get(p.actor);
      if (feed !== undefined && p.counter <= feed.count) this.#keep(feed, p);
    }
    // Own ops past the last signed point (a store from before feeds were signed): sign them now.
    const own = this.#feed(this.self);
    if (own.count === 0 || (own.latest?.counter ?? 0) === own.count) return [];
    const point = { actor: this.self, counter: own.count, signature: this.#signer.sign(signedStatement(this.self, own.count, own.chain.head())) };
    this.#keep(own, point);
    return [point];
  }

  /** Ops of `actor` held and checked. */
  count(actor: ActorId): number {
    return this.#feeds.get(actor)?.count ?? 0;
  }

  key(actor: ActorId): Uint8Array | null {
    return this.#feeds.get(actor)?.key ?? null;
  }

  /** What this replica may say it holds: of each feed, no more than it has checked. */
  advertise(version: VersionVector): VersionVector {
    const out = new Map<ActorId, number>();
    for (const [actor, n] of version) {
      const m = Math.min(n, this.count(actor));
      if (m > 0) out.set(actor, m);
    }
    return out;
  }

  equivocations(): Equivocation[] {
    return [...this.#equivocations.values()];
  }

  /** Chain own new ops (the next counters, in order) and sign the result: the points to store with them. */
  signOwn(ops: readonly Op<T>[]): SignedPoint[] {
    const feed = this.#feed(this.self);
    const points: SignedPoint[] = [];
    for (const op of ops) {
      if (op.id.actor !== this.self || op.id.counter !== feed.count + 1) throw new Error(`own op ${formatId(op.id)} out of order`);
      this.#hash(feed.chain, op);
      feed.count++;
      // Long edits get a point every POINT_SPACING ops, so that pages can always be cut at one.
      if (feed.count % this.#spacing === 0 || op === ops[ops.length - 1]) {
        const point = { actor: this.self, counter: feed.count, signature: this.#signer.sign(signedStatement(this.self, feed.count, feed.chain.head())) };
        this.#keep(feed, point);
        points.push(point);
      }
    }
    return points;
  }

  /** The highest point of `actor`'s feed at or before `counter` that this replica can prove, or 0. */
  pointAtOrBefore(actor: ActorId, counter: number): number {
    const feed = this.#feeds.get(actor);
    if (feed === undefined) return 0;
    if (feed.latest !== null && feed.latest.counter <= counter) return feed.latest.counter;
    let lo = 0;
    let hi = feed.spaced.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((feed.spaced[mid] as SignedPoint).counter <= counter) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : (feed.spaced[lo - 1] as SignedPoint).counter;
  }

  /** The proof of a point `pointAtOrBefore` returned. */
  proof(actor: ActorId, counter: number): Proof {
    const feed = this.#feeds.get(actor);
    const point = feed?.latest?.counter === counter ? feed.latest : feed?.spaced.find((p) => p.counter === counter);
    if (feed?.key == null || point === undefined) throw new Error(`no signed point ${formatActor(actor)}.${counter}`);
    return { ...point, key: feed.key };
  }

  /**
   * Check a batch (a push, or a page) before anything of it is applied, feed by feed: the ops of
   * each feed must run on from what this replica holds of it, and end at a point its author
   * signed, which the batch proves. `held(op)` says whether the list holds `op` already (as `List.check`);
   * `heldOps(actor, upTo)` gives the held ops of a feed, to check a branch that forks from them.
   */
  check(ops: readonly Op<T>[], proofs: readonly Proof[], held: (op: Op<T>) => string, heldOps: (actor: ActorId, upTo: number) => Op<T>[]): FeedPlan<T> {
    const groups = new Map<ActorId, Op<T>[]>();
    const refusals: FeedRefusal[] = [];
    for (const op of ops) {
      const group = groups.get(op.id.actor);
      if (group === undefined) groups.set(op.id.actor, [op]);
      else if ((group[group.length - 1] as Op<T>).id.counter + 1 === op.id.counter) group.push(op);
      else if (!refusals.some((r) => r.actor === op.id.actor)) refusals.push(refuse('gap', op.id.actor, `ops of ${formatActor(op.id.actor)} are not consecutive at ${formatId(op.id)}`));
    }
    const entries: Array<PlanEntry<T>> = [];
    for (const [actor, group] of groups) {
      if (refusals.some((r) => r.actor === actor)) continue;
      const checked = this.#checkFeed(actor, group, proofs.find((p) => p.actor === actor), held, heldOps);
      if (checked === null) continue;
      if ('code' in checked) refusals.push(checked);
      else entries.push(checked);
    }
    return { entries, refusals };
  }

  /**
   * Take what `check` passed, as far as the list took it: `taken(actor)` is the highest counter of
   * the feed held after applying (ops not taken, e.g. a full pending set, come again later).
   * Returns the records to store with the ops.
   */
  commit(plan: FeedPlan<T>, taken: (actor: ActorId) => number): FeedRecords {
    const keys: Array<{ actor: ActorId; key: Uint8Array }> = [];
    const points: SignedPoint[] = [];
    for (const e of plan.entries) {
      const feed = this.#feed(e.actor);
      if (feed.key === null) keys.push({ actor: e.actor, key: e.key });
      feed.key = e.key;
      const upTo = Math.min(e.last, taken(e.actor));
      if (upTo <= feed.count) continue;
      if (upTo === e.last) feed.chain = e.chain;
      else for (const op of e.ops) if (op.id.counter > feed.count && op.id.counter <= upTo) this.#hash(feed.chain, op);
      feed.count = upTo;
      if (upTo === e.last) {
        const point = { actor: e.actor, counter: e.last, signature: e.signature };
        this.#keep(feed, point);
        points.push(point);
      }
    }
    return { keys, points };
  }

  #checkFeed(actor: ActorId, group: Op<T>[], proof: Proof | undefined, held: (op: Op<T>) => string, heldOps: (actor: ActorId, upTo: number) => Op<T>[]): PlanEntry<T> | FeedRefusal | null {
    const first = (group[0] as Op<T>).id.counter;
    const last = (group[group.length - 1] as Op<T>).id.counter;
    const who = formatActor(actor);
    // Own ops come back in pages asked for before they were made: fine, if they are the ones made here.
    if (actor === this.self) return group.every((op) => held(op) === 'duplicate') ? null : refuse('own_ops', actor, `ops ${who}.${first}..${last} are under this replica's own author id, and not the ones it made`);
    if (proof === undefined) return refuse('bad_signature', actor, `ops ${who}.${first}..${last} come without their author's signature`);
    if (proof.counter !== last) return refuse('bad_signature', actor, `the signature of ${who} is at ${proof.counter}, but its ops end at ${last}`);
    const feed = this.#feeds.get(actor);
    const known = feed?.key ?? null;
    if (known === null) {
      if (!this.#crypto.isKey(proof.key)) return refuse('bad_key', actor, `the key given for ${who} is not an Ed25519 public key`);
      if (tagOf(actor) !== 0 && this.#crypto.tagOf(proof.key) !== tagOf(actor)) return refuse('key_mismatch', actor, `the key given for ${who} is not the key its id was made from`);
    } else if (!sameBytes(known, proof.key)) {
      return refuse('key_mismatch', actor, `the key given for ${who} is not the one it signs with`);
    }
    const count = feed?.count ?? 0;
    if (first > count + 1) {
      return count === 0 ? refuse('unknown_feed', actor, `${who} is a feed this replica has not seen; send it from its first op, not from ${first}`) : refuse('gap', actor, `ops of ${who} start at ${first}, but this replica holds ${count}; it cannot check them`);
    }
    const fork = group.find((op) => op.id.counter <= count && held(op) !== 'duplicate');
    if (fork !== undefined) return this.#fork(actor, group, proof, fork, heldOps);
    if (last <= count) return null;
    const chain = (feed?.chain ?? this.#crypto.startChain(actor)).copy();
    for (const op of group) if (op.id.counter > count) this.#hash(chain, op);
    if (!this.#crypto.verify(proof.key, signedStatement(actor, last, chain.head()), proof.signature)) {
      return refuse('bad_signature', actor, `ops ${who}.${Math.max(first, count + 1)}..${last} do not match their author's signature`);
    }
    return { actor, key: proof.key, ops: group, last, chain, signature: proof.signature };
  }

  /** Ops of a feed that differ from what this replica holds at the same position: forged, or an equivocation. */
  #fork(actor: ActorId, group: Op<T>[], proof: Proof, fork: Op<T>, heldOps: (actor: ActorId, upTo: number) => Op<T>[]): FeedRefusal {
    const first = (group[0] as Op<T>).id.counter;
    const chain = this.#crypto.startChain(actor);
    for (const op of heldOps(actor, first - 1)) this.#hash(chain, op);
    for (const op of group) this.#hash(chain, op);
    const last = (group[group.length - 1] as Op<T>).id.counter;
    if (!this.#crypto.verify(proof.key, signedStatement(actor, last, chain.head()), proof.signature)) {
      return refuse('bad_signature', actor, `op ${formatId(fork.id)} differs from the one held, and does not match its author's signature`);
    }
    const at = Math.min(fork.id.counter, this.#equivocations.get(actor)?.at ?? Infinity);
    this.#equivocations.set(actor, { actor, at });
    return refuse('equivocation', actor, `${formatActor(actor)} signed two different ops at ${fork.id.counter}: it equivocates`);
  }

  /** Keep `point` (the feed's newest) and thin the ones before it. */
  #keep(feed: Feed, point: SignedPoint): void {
    const spacedEnd = feed.spaced.length === 0 ? 0 : (feed.spaced[feed.spaced.length - 1] as SignedPoint).counter;
    if (feed.latest !== null && point.counter > feed.latest.counter && feed.latest.counter - spacedEnd >= this.#spacing) feed.spaced.push(feed.latest);
    if (feed.latest === null || point.counter >= feed.latest.counter) feed.latest = point;
  }

  #hash(chain: Chain, op: Op<T>): void {
    const body = this.#encode(op);
    if (body.length > 0xffff) throw new Error(`op ${formatId(op.id)} is too large to chain`);
    chain.update(Uint8Array.of(body.length >> 8, body.length & 0xff));
    chain.update(body);
  }

  #feed(actor: ActorId): Feed {
    let feed = this.#feeds.get(actor);
    if (feed === undefined) {
      feed = { key: null, count: 0, chain: this.#crypto.startChain(actor), spaced: [], latest: null };
      this.#feeds.set(actor, feed);
    }
    return feed;
  }
}


const refuse = (code: FeedRefusalCode, actor: ActorId, message: string): FeedRefusal => ({ code, actor, message });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
