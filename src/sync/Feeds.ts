import { formatActor, formatId, idKey, tagOf, type ActorId, type OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import { signedStatement, type FeedCrypto, type Signer } from './feed-crypto.js';
import { POINT_SPACING, type ChainState, type Head, type Equivocation, type FeedPlan, type FeedRecords, type FeedRefusal, type FeedRefusalCode, type Fork, type PlanEntry, type Proof, type SignedPoint } from './feed-types.js';
import { FeedChains } from './chains.js';
import { ChainBases, type Base } from './bases.js';
import { isDoomed } from './forks.js';
import { keepPoint, pointAtOrBefore, type Feed } from './points.js';
import type { HeadsDigest } from './messages.js';

/** What a digest of heads starts with: no chain of a feed hashes this. */
const HEADS_DIGEST = new TextEncoder().encode('crdt-genome heads digest v1\0');

export * from './feed-types.js';

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
  readonly #chains: FeedChains<T>;
  readonly #feeds = new Map<ActorId, Feed<T>>();
  readonly #forks = new Map<ActorId, Fork<T>>();
  /** Forks taken since the replica last asked: it must drop what they doom. */
  #adopted: Fork<T>[] = [];
  /** Ids of ops dropped as doomed, so that what builds on them is dropped too. */
  readonly #dropped = new Set<string>();
  /**
   * Feeds whose next ops from a peer did not match their signature though they ran on from what
   * this replica holds: forged, or the peer holds another branch. Until its ops from the given
   * counter on are compared with the ones held (they come again, advertised as not held), the feed
   * is advertised only that far, so that a fork shows as two different ops at one position.
   */
  readonly #suspect = new Map<ActorId, number>();
  /** Equivocations seen here without a branch to relay (the op held at the fork never applied). */
  readonly #claims = new Map<ActorId, number>();
  /** Whether this process signed an op of its own: from then on, none under its id is made elsewhere (`#stolen`). */
  #signedHere = false;
  readonly #spacing: number;
  /**
   * This replica's signatures over its own feed, by length, from what every member was seen to
   * hold on: a peer's head there shows whether it holds the feed as made here (`vouches`).
   */
  readonly #ownSigned = new Map<number, Uint8Array>();
  /** Each feed's chain at or past what the list collected of it. */
  readonly bases: ChainBases<T>;

  constructor(self: ActorId, signer: Signer, crypto: FeedCrypto, encode: (op: Op<T>) => Uint8Array, spacing = POINT_SPACING) {
    this.self = self;
    this.#spacing = spacing;
    this.#signer = signer;
    this.#crypto = crypto;
    this.#chains = new FeedChains(crypto, encode);
    this.bases = new ChainBases(this.#chains, crypto);
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
    for (const fork of (records.forks ?? []) as unknown as Fork<T>[]) this.#forks.set(fork.actor, fork);
    for (const id of records.dropped ?? []) this.#dropped.add(idKey(id));
    for (const saved of records.chains ?? []) this.#resume(saved, records.points as unknown as SignedPoint<T>[]);
    this.bases.restore(records.bases ?? []);
    // A feed with no chain saved past its base (a list that collected, cut by a fork) goes on
    // from the base: the ops before it are gone. The store's own bases are not checked again.
    for (const { actor } of records.bases ?? []) {
      const feed = this.#feeds.get(actor);
      const base = this.bases.get(actor);
      if (feed?.key != null && base.count > feed.count && base.count < this.frozenAt(actor)) {
        feed.chain = base.chain.copy();
        feed.count = base.count;
      }
    }
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
        if (op.id.counter <= feed.count) continue;
        if (op.id.counter !== feed.count + 1 || op.id.counter >= this.frozenAt(actor)) break;
        this.#chains.hash(feed.chain, op);
        feed.count++;
      }
    }
    const points = ([...records.points] as unknown as SignedPoint<T>[]).sort((a, b) => a.counter - b.counter);
    for (const p of points) {
      const feed = this.#feeds.get(p.actor);
      if (feed !== undefined && p.counter <= feed.count) keepPoint(feed, p, this.#spacing);
      if (p.actor === this.self && p.tail === undefined) this.#ownSigned.set(p.counter, p.signature);
    }
    // Own ops past the last signed point (a store from before feeds were signed): sign them now.
    const own = this.#feed(this.self);
    return own.count === 0 || (own.latest?.counter ?? 0) === own.count ? [] : [this.#signOwnEnd(own)];
  }

  /**
   * Go on from a saved chain, once its head is checked against the author's signed point there.
   * One that does not match (damage in the store) is left out: the feed's ops, which a store
   * still holds, are hashed again instead.
   */
  #resume(saved: ChainState, points: readonly SignedPoint<T>[]): void {
    const feed = this.#feed(saved.actor);
    if (feed.key === null || saved.count >= this.frozenAt(saved.actor)) return;
    let chain;
    try {
      chain = this.#crypto.resumeChain(saved.state);
    } catch {
      return;
    }
    const point = points.find((p) => p.actor === saved.actor && p.counter === saved.count);
    if (point === undefined || !this.#crypto.verify(feed.key, signedStatement(saved.actor, saved.count, chain.head()), point.signature)) return;
    feed.chain = chain;
    feed.count = saved.count;
  }

  /**
   * Each feed's chain where it ends at a signed point (and before any fork): what a store keeps
   * with a snapshot, so that a restart resumes from it (see INTERNALS.md, "Chain states").
   */
  chainStates(): ChainState[] {
    const out: ChainState[] = [];
    for (const [actor, feed] of this.#feeds) {
      if (feed.key === null || feed.count === 0 || feed.latest?.counter !== feed.count || feed.count >= this.frozenAt(actor)) continue;
      out.push({ actor, count: feed.count, state: feed.chain.save() });
    }
    return out;
  }

  /** Sign own feed as far as it goes, and keep the point. */
  #signOwnEnd(own: Feed<T>): SignedPoint {
    const point = { actor: this.self, counter: own.count, signature: this.#signer.sign(signedStatement(this.self, own.count, own.chain.head())) };
    keepPoint(own, point, this.#spacing);
    this.#ownSigned.set(own.count, point.signature);
    return point;
  }

  /**
   * Whether a peer's head of this replica's own feed is one signed here: the peer then holds the
   * feed as made here, that far (one key over one chain makes one signature). Another signature
   * at that length means a copy of this key signed an op the peer holds: the feed is compared
   * with the peer's from its start, as for a head that differs (`compareHeads`). A head with no
   * signature kept here to compare it with, or a tailed one, shows nothing (null).
   */
  vouches(head: Head): boolean | null {
    // The feed's end, too: own ops taken back from peers (a restored store) were not signed here.
    const latest = this.#feeds.get(this.self)?.latest;
    const end = latest?.counter === head.counter && latest.tail === undefined ? latest.signature : undefined;
    const mine = head.actor === this.self && !head.tailed ? (this.#ownSigned.get(head.counter) ?? end) : undefined;
    if (mine === undefined) return null;
    if (sameBytes(mine, head.signature)) return true;
    this.#suspect.set(this.self, 0);
    return false;
  }

  /** Forget own signatures below `counter`: every member was seen to hold the feed that far. */
  forgetOwnBelow(counter: number): void {
    for (const at of this.#ownSigned.keys()) {
      if (at >= counter) break;
      this.#ownSigned.delete(at);
    }
  }

  /**
   * The signed points this replica keeps (to relay, and to end feeds cut short), and each feed's
   * checked length: a store may forget every other point up to those lengths (see `Store.compact`).
   */
  keptPoints(): { upTo: VersionVector; keep: SignedPoint[] } {
    const upTo = new Map<ActorId, number>();
    const keep: SignedPoint<T>[] = [];
    for (const [actor, feed] of this.#feeds) {
      if (feed.count === 0) continue;
      upTo.set(actor, feed.count);
      keep.push(...feed.spaced);
      if (feed.latest !== null) keep.push(feed.latest);
    }
    return { upTo, keep: keep as unknown as SignedPoint[] };
  }

  /** Ops of `actor` held and checked. */
  count(actor: ActorId): number {
    return this.#feeds.get(actor)?.count ?? 0;
  }

  key(actor: ActorId): Uint8Array | null {
    return this.#feeds.get(actor)?.key ?? null;
  }

  /** Whether some feed's copy here is suspected (its ops are being compared with a peer's). */
  suspecting(): boolean {
    return this.#suspect.size > 0;
  }

  /** What this replica may say it holds: of each feed, no more than it has checked, and less where it suspects its copy (it asks for that part again). */
  advertise(version: VersionVector): VersionVector {
    return this.checked(version, (actor) => this.#suspect.get(actor) ?? Infinity);
  }

  /**
   * What this replica may send: of each feed, no more than it has checked. A suspected feed is
   * sent as far as that too: every op of it was checked against its author's signature, and an
   * asker holding another branch finds the fork in it. (Capping it as advertised left a newcomer
   * without the ops before a fork when every peer suspected its copy, so it never took the proof.)
   */
  checked(version: VersionVector, cap: (actor: ActorId) => number = () => Infinity): VersionVector {
    const out = new Map<ActorId, number>();
    for (const [actor, n] of version) {
      const m = Math.min(n, this.count(actor), cap(actor));
      if (m > 0) out.set(actor, m);
    }
    return out;
  }

  equivocations(): Equivocation[] {
    const proven = [...this.#forks.values()].map(({ actor, at }) => ({ actor, at }));
    return [...proven, ...[...this.#claims].filter(([actor]) => !this.#forks.has(actor)).map(([actor, at]) => ({ actor, at }))];
  }

  /** The proofs of equivocation this replica holds: it relays them with every page. */
  forks(): Fork<T>[] {
    return [...this.#forks.values()];
  }

  /** The first position of `actor`'s feed that no replica keeps (it forks there), or Infinity. */
  frozenAt(actor: ActorId): number {
    return this.#forks.get(actor)?.at ?? Infinity;
  }

  /** Forks taken since the last call: the replica drops what they doom. */
  takeAdopted(): Fork<T>[] {
    const adopted = this.#adopted;
    this.#adopted = [];
    return adopted;
  }

  /**
   * Whether no replica keeps `op`: it is at or past the fork of a feed proven to equivocate, or it
   * names an op that is (or one dropped for that reason), its author's previous op included.
   */
  doomed(op: Op<T>): boolean {
    return this.#forks.size > 0 && isDoomed(op, (actor) => this.frozenAt(actor), this.#dropped);
  }

  /**
   * Ops that tails of `proofs` (checked ones: `FeedPlan.tails`), or of the points kept here at
   * feeds' ends, show and that are doomed: remembered as dropped, so that an op held here waiting
   * for one of them is known never to apply. A replica that never held such an op learns of it
   * this way from one that dropped it; a tail kept here is looked at again because a fork learnt
   * since it came may doom what it did not then (seed 726,124,750). Returns their ids.
   */
  doomedInTails(proofs: readonly SignedPoint<T>[]): OpId[] {
    const found: OpId[] = [];
    if (this.#forks.size === 0) return found;
    const kept = [...this.#feeds.values()].map((feed) => feed.latest);
    for (const p of [...proofs, ...kept]) {
      for (const op of p?.tail ?? []) {
        if (this.#dropped.has(idKey(op.id)) || !this.doomed(op)) continue;
        this.#dropped.add(idKey(op.id));
        found.push(op.id);
      }
    }
    return found;
  }

  /** Ids of the ops dropped as doomed. */
  droppedIds(): ReadonlySet<string> {
    return this.#dropped;
  }

  /** Remember ops dropped as doomed (so what builds on them is too). */
  markDropped(ids: Iterable<OpId>): void {
    for (const id of ids) this.#dropped.add(idKey(id));
  }

  /**
   * Check forks a peer relays and take those that hold: both branches signed by the author's key,
   * running on from the first `at - 1` ops of its feed (which this replica must hold, from its
   * base, to check).
   */
  takeForks(forks: readonly Fork<T>[], heldOps: HeldOps<T>): void {
    for (const fork of forks) {
      if (fork.at >= this.frozenAt(fork.actor) || this.count(fork.actor) < fork.at - 1) continue;
      const held = heldOps(fork.actor, fork.at - 1);
      if (held !== null && this.#chains.holds(fork, this.#chains.on(held.base, held.ops), this.key(fork.actor))) this.#adopt(fork);
    }
  }

  /** Chain own new ops (the next counters, in order) and sign the result: the points to store with them. */
  signOwn(ops: readonly Op<T>[]): SignedPoint[] {
    const feed = this.#feed(this.self);
    this.#signedHere = true;
    const points: SignedPoint[] = [];
    for (const op of ops) {
      if (op.id.actor !== this.self || op.id.counter !== feed.count + 1) throw new Error(`own op ${formatId(op.id)} out of order`);
      this.#chains.hash(feed.chain, op);
      feed.count++;
      // Long edits get a point every POINT_SPACING ops, so that pages can always be cut at one.
      if (feed.count % this.#spacing === 0 || op === ops[ops.length - 1]) points.push(this.#signOwnEnd(feed));
    }
    return points;
  }

  /** The highest point of `actor`'s feed at or before `counter` that this replica can prove, or 0. */
  pointAtOrBefore(actor: ActorId, counter: number): number {
    const feed = this.#feeds.get(actor);
    return (feed === undefined ? undefined : pointAtOrBefore(feed, counter))?.counter ?? 0;
  }

  /**
   * For each feed of `version` (as advertised), the point at its end, if this replica holds one
   * there: a peer holding as much of the feed compares it with its own, so that two branches of
   * one length (a fork at a feed's last op) cannot pass for one.
   */
  heads(version: VersionVector): Head[] {
    const out: Head[] = [];
    for (const [actor, n] of version) {
      const latest = this.#feeds.get(actor)?.latest;
      if (latest?.counter === n) out.push({ actor, counter: n, signature: latest.signature, tailed: latest.tail !== undefined });
    }
    return out;
  }

  /**
   * A peer's heads: a feed of which it signed another end at the same length than the one held
   * here has forked somewhere; compare it with the peer's from its start (see `#suspect`).
   * Ed25519 signatures are deterministic: one key over one head makes one signature.
   */
  compareHeads(heads: readonly Head[]): void {
    for (const h of heads) {
      const latest = this.#feeds.get(h.actor)?.latest;
      if (latest?.counter !== h.counter || this.count(h.actor) !== h.counter || (latest.tail !== undefined && !h.tailed) || sameBytes(latest.signature, h.signature)) continue;
      // A feed cut short there (its tail shows what was dropped after it): ask for its last op
      // again, which comes with that tail. That goes for a feed cut here too, with another tail:
      // the peer's may show more ops dropped, which ops waiting here may name. Otherwise another
      // branch of the same length: compare all.
      const from = h.tailed ? h.counter - 1 : 0;
      this.#suspect.set(h.actor, Math.min(from, this.#suspect.get(h.actor) ?? Infinity));
    }
  }

  /**
   * `heads` (this replica's, answering a sync from an asker at `asker`) as the asker asked for
   * them, without `SyncRequest.fullHeads`: the heads of feeds it holds exactly as far, one digest
   * (all it could compare); tailed heads as they are; the rest left out (a feed the page sends on
   * is signed by the page's proofs, and one the asker holds more of it cannot compare).
   */
  digestHeads(heads: readonly Head[], asker: VersionVector): { heads: Head[]; headsDigest: HeadsDigest } {
    const tailed: Head[] = [];
    const same: Head[] = [];
    for (const h of heads) {
      if (h.tailed) tailed.push(h);
      else if (asker.get(h.actor) === h.counter) same.push(h);
    }
    same.sort((a, b) => a.actor - b.actor);
    return { heads: tailed, headsDigest: { actors: same.map((h) => h.actor), digest: this.#digest(same.map((h) => [h.actor, h.counter, h.signature])) } };
  }

  /**
   * Whether a peer's digest of heads is this replica's for the same feeds: if not, some feed of
   * them forked, or one side holds no untailed head at its end, and the peer is asked for its
   * heads in full (`compareHeads` then finds which).
   */
  sameHeads(d: HeadsDigest): boolean {
    const mine: Array<[ActorId, number, Uint8Array]> = [];
    for (const actor of d.actors) {
      const latest = this.#feeds.get(actor)?.latest;
      if (latest == null || latest.tail !== undefined || latest.counter !== this.count(actor)) return false;
      mine.push([actor, latest.counter, latest.signature]);
    }
    return sameBytes(this.#digest(mine), d.digest);
  }

  /** SHA-256 (a chain of the feeds' own hash) over the heads, in the order given. */
  #digest(heads: ReadonlyArray<readonly [ActorId, number, Uint8Array]>): Uint8Array {
    const chain = this.#crypto.startChain(0 as ActorId);
    chain.update(HEADS_DIGEST);
    for (const [actor, counter, signature] of heads) {
      chain.update(signedStatement(actor, counter, signature));
    }
    return chain.head();
  }

  /** The newest signed point of `actor`'s feed this replica holds, or null. */
  latestPoint(actor: ActorId): SignedPoint<T> | null {
    return this.#feeds.get(actor)?.latest ?? null;
  }

  /** The proof of a point `pointAtOrBefore` returned. */
  proof(actor: ActorId, counter: number): Proof<T> {
    const feed = this.#feeds.get(actor);
    const point = feed === undefined ? undefined : pointAtOrBefore(feed, counter);
    if (feed?.key == null || point?.counter !== counter) throw new Error(`no signed point ${formatActor(actor)}.${counter}`);
    return { ...point, key: feed.key };
  }

  /**
   * Check a batch (a push, or a page) before anything of it is applied, feed by feed: the ops of
   * each feed must run on from what this replica holds of it, and end at a point its author
   * signed, which the batch proves, against what this replica `holds`. `bases` (a collected
   * state's) start feeds past what this replica holds of them: `ops` then holds only ops after them.
   */
  check(ops: readonly Op<T>[], proofs: readonly Proof<T>[], holds: Holdings<T>, page = false, bases: readonly ChainState[] = []): FeedPlan<T> {
    const groups = new Map<ActorId, Op<T>[]>();
    const refusals: FeedRefusal[] = [];
    for (const op of ops) {
      const group = groups.get(op.id.actor);
      if (group === undefined) groups.set(op.id.actor, [op]);
      else if ((group[group.length - 1] as Op<T>).id.counter + 1 === op.id.counter) group.push(op);
      else if (!refusals.some((r) => r.actor === op.id.actor)) refusals.push(refuse('gap', op.id.actor, `ops of ${formatActor(op.id.actor)} are not consecutive at ${formatId(op.id)}`));
    }
    const entries: Array<PlanEntry<T>> = [];
    // Tailed points checked: those of new ops, and those on ops held already (`#checkFeed` adds them).
    const tails: SignedPoint<T>[] = [];
    const rebased = new Map<ActorId, ChainState>();
    for (const b of bases) {
      if (b.count <= this.count(b.actor)) continue;
      rebased.set(b.actor, b);
      // A feed collected to its end has no op after its base; its signature still binds the base.
      if (!groups.has(b.actor)) groups.set(b.actor, []);
    }
    for (const [actor, group] of groups) {
      if (refusals.some((r) => r.actor === actor)) continue;
      const proof = proofs.find((p) => p.actor === actor);
      const base = rebased.get(actor);
      const checked = base === undefined ? this.#checkFeed(actor, group, proof, holds, page, tails) : this.#checkFromBase(actor, group, proof, base);
      if (checked === null) continue;
      if ('code' in checked) refusals.push(checked);
      else entries.push(checked);
    }
    for (const e of entries) if (e.point.tail !== undefined) tails.push(e.point);
    return { entries, refusals, tails };
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
      // A collected state's feed goes on from its base, past what was held here.
      const base = e.base !== undefined && e.base.count > feed.count ? e.base : undefined;
      const rebased = base !== undefined;
      if (rebased) {
        this.bases.take(e.actor, base);
        feed.count = base.count;
        feed.chain = base.chain.copy();
      }
      const upTo = Math.min(e.last, taken(e.actor));
      if (upTo < feed.count || (upTo === feed.count && !rebased)) continue;
      if (upTo === e.last) feed.chain = e.chain;
      else for (const op of e.ops) if (op.id.counter > feed.count && op.id.counter <= upTo) this.#chains.hash(feed.chain, op);
      feed.count = upTo;
      // Taken only in part (an op after could not be): the signature at the end, with the ops
      // not taken as its tail, still proves what is held, so it can be relayed and compared.
      const point: SignedPoint<T> = upTo === e.last ? e.point : { actor: e.actor, counter: upTo, signature: e.point.signature, tail: [...e.ops.filter((op) => op.id.counter > upTo), ...(e.point.tail ?? [])] };
      keepPoint(feed, point, this.#spacing);
      points.push(point as unknown as SignedPoint);
    }
    return { keys, points };
  }

  #checkFeed(actor: ActorId, group: Op<T>[], proof: Proof<T> | undefined, holds: Holdings<T>, page: boolean, tails: SignedPoint<T>[]): PlanEntry<T> | FeedRefusal | null {
    const first = (group[0] as Op<T>).id.counter;
    const last = (group[group.length - 1] as Op<T>).id.counter;
    const who = formatActor(actor);
    // Own ops come back in pages asked for before they were made: fine, if they are the ones made
    // here. Others under this id are forged, unless signed with this replica's own key: then
    // someone holds a copy of it, and they are checked like any author's (a fork, if they differ;
    // past the last made here, `#stolen`, once this process signed ops).
    if (actor === this.self) {
      if (group.every((op) => holds.check(op) === 'duplicate')) {
        // The same as held, that far: a suspected own feed is compared on from there (else the
        // same first page came back for ever, and a copy's op at its end was never met: seed 101,044).
        this.#compared(actor, first, last);
        return null;
      }
      if (proof === undefined || !sameBytes(proof.key, this.#signer.key)) return refuse('own_ops', actor, `ops ${who}.${first}..${last} are under this replica's own author id, and not the ones it made`);
    }
    if (proof === undefined) return refuse('bad_signature', actor, `ops ${who}.${first}..${last} come without their author's signature`);
    if (proof.counter !== last) return refuse('bad_signature', actor, `the signature of ${who} is at ${proof.counter}, but its ops end at ${last}`);
    const wrongKey = this.#keyRefusal(actor, proof);
    if (wrongKey !== null) return wrongKey;
    const feed = this.#feeds.get(actor);
    const count = feed?.count ?? 0;
    if (first > count + 1) {
      return count === 0 ? refuse('unknown_feed', actor, `${who} is a feed this replica has not seen; send it from its first op, not from ${first}`) : refuse('gap', actor, `ops of ${who} start at ${first}, but this replica holds ${count}; it cannot check them`);
    }
    const differs = group.find((op) => op.id.counter <= count && holds.check(op) !== 'duplicate');
    if (differs !== undefined) {
      this.#suspect.delete(actor);
      return this.#fork(actor, group, proof, differs, holds.ops);
    }
    // Before it signs here, such ops are taken back as its own (a restored backup's), unless one
    // names what this replica retired: its reports promised no op past them would.
    if (actor === this.self && last > count && feed !== undefined && (this.#signedHere || group.some((op) => op.id.counter > count && holds.namesRetired(op)))) return this.#stolen(group.filter((op) => op.id.counter > count), proof, feed);
    this.#compared(actor, first, last);
    if (last <= count) {
      // Nothing new, but a tail on the point held: check it, for what it shows (`doomedInTails`).
      // Kept as the feed's end point, so that peers' heads match it from now on.
      if (proof.tail !== undefined && last === count && feed !== undefined && this.#chains.signs(proof, feed.chain)) {
        tails.push(proof);
        keepPoint(feed, { actor, counter: last, signature: proof.signature, tail: proof.tail }, this.#spacing);
      }
      return null;
    }
    const chain = (feed?.chain ?? this.#chains.start(actor)).copy();
    for (const op of group) if (op.id.counter > count) this.#chains.hash(chain, op);
    if (!this.#chains.signs(proof, chain)) {
      // A page from a peer this replica chose, that only continues what is held: compare from the
      // start, in case the peer holds another branch. (Not for pushes: anyone may send those.)
      if (page && count > 0 && first === count + 1) this.#suspect.set(actor, 0);
      return refuse('bad_signature', actor, `ops ${who}.${Math.max(first, count + 1)}..${last} do not match their author's signature`);
    }
    this.#suspect.delete(actor);
    return { actor, key: proof.key, ops: group, last, chain, point: { actor, counter: last, signature: proof.signature, ...(proof.tail === undefined ? {} : { tail: proof.tail }) } };
  }

  /** Ops `first..last` of a feed are the same as held, as far as held: a suspected feed is compared on from there. */
  #compared(actor: ActorId, first: number, last: number): void {
    const suspect = this.#suspect.get(actor);
    if (suspect !== undefined && first <= suspect + 1) this.#suspect.set(actor, Math.min(last, this.count(actor)));
  }

  /** Why `proof.key` cannot be `actor`'s: not a key, not the one its id was made from, not the one known. */
  #keyRefusal(actor: ActorId, proof: Proof<T>): FeedRefusal | null {
    const who = formatActor(actor);
    const known = this.key(actor);
    if (known === null) {
      if (!this.#crypto.isKey(proof.key)) return refuse('bad_key', actor, `the key given for ${who} is not an Ed25519 public key`);
      if (tagOf(actor) !== 0 && this.#crypto.tagOf(proof.key) !== tagOf(actor)) return refuse('key_mismatch', actor, `the key given for ${who} is not the key its id was made from`);
    } else if (!sameBytes(known, proof.key)) {
      return refuse('key_mismatch', actor, `the key given for ${who} is not the one it signs with`);
    }
    return null;
  }

  /**
   * A feed of a collected state, checked from the base the state came with (this replica holds
   * less of it): its ops after the base must run on from it to the author's signature, which binds
   * the base too. The ops before it that the state still holds are taken on the sender's word.
   */
  #checkFromBase(actor: ActorId, ops: Op<T>[], proof: Proof<T> | undefined, saved: ChainState): PlanEntry<T> | FeedRefusal {
    const who = formatActor(actor);
    const last = ops.length === 0 ? saved.count : (ops[ops.length - 1] as Op<T>).id.counter;
    if (proof === undefined || proof.counter !== last) return refuse('bad_signature', actor, `the state's feed ${who} does not end at a signed point at ${last}`);
    if (ops.length > 0 && (ops[0] as Op<T>).id.counter !== saved.count + 1) return refuse('gap', actor, `the state's ops of ${who} do not run on from its base at ${saved.count}`);
    const wrongKey = this.#keyRefusal(actor, proof);
    if (wrongKey !== null) return wrongKey;
    const base = this.bases.resume(saved);
    if (base === null) return refuse('bad_signature', actor, `the base given for ${who} is no chain state`);
    const chain = base.chain.copy();
    for (const op of ops) this.#chains.hash(chain, op);
    if (!this.#chains.signs(proof, chain)) return refuse('bad_signature', actor, `the state's feed ${who} from its base at ${saved.count} does not match its author's signature`);
    return { actor, key: proof.key, ops, last, chain, point: { actor, counter: last, signature: proof.signature, ...(proof.tail === undefined ? {} : { tail: proof.tail }) }, base };
  }

  /** Take a fork found or checked here (the earliest one of a feed counts); true if it is new. */
  #adopt(fork: Fork<T>): boolean {
    if (fork.at >= this.frozenAt(fork.actor)) return false;
    this.#forks.set(fork.actor, fork);
    this.#adopted.push(fork);
    return true;
  }

  /**
   * Ops of a feed that differ from what this replica holds at the same position: forged, or an
   * equivocation, whose proof (the branch held, to its latest point, and the one received) it takes.
   */
  #fork(actor: ActorId, group: Op<T>[], proof: Proof<T>, fork: Op<T>, heldOps: HeldOps<T>): FeedRefusal {
    const first = (group[0] as Op<T>).id.counter;
    const at = fork.id.counter;
    const latest = this.#feeds.get(actor)?.latest;
    const held = heldOps(actor, Math.max(first - 1, latest?.counter ?? 0));
    // The ops before the fork were collected: nothing to hash the branch from (see INTERNALS.md, "What is still open: forks against collection").
    if (held === null || held.base.count >= at) return refuse('bad_signature', actor, `op ${formatId(fork.id)} differs from the one held, and this replica collected the ops before it: it cannot check the signature`);
    // `held.ops[i]` is op `from + 1 + i`: the feed from its base (its first op, unless some were collected).
    const from = held.base.count;
    const prefix = this.#chains.on(held.base, [...held.ops.slice(0, Math.max(0, first - 1 - from)), ...group.filter((op) => op.id.counter > from && op.id.counter < at)]);
    const theirs = { ops: group.filter((op) => op.id.counter >= at), signature: proof.signature };
    const ours = latest == null || latest.counter < at ? null : { ops: held.ops.slice(at - 1 - from, latest.counter - from), signature: latest.signature };
    const forged = (): FeedRefusal => refuse('bad_signature', actor, `op ${formatId(fork.id)} differs from the one held, and does not match its author's signature`);
    if (ours === null || ours.ops.length === 0) {
      // The op held there never applied (it named a delete): no branch to relay, but the author signed two.
      const chain = prefix.copy();
      for (const op of theirs.ops) this.#chains.hash(chain, op);
      if (!this.#chains.signs(proof, chain)) return forged();
      this.#claims.set(actor, Math.min(at, this.#claims.get(actor) ?? Infinity));
    } else if (this.#chains.holds({ actor, at, branches: [ours, theirs] }, prefix, proof.key)) {
      this.#adopt({ actor, at, branches: [ours, theirs] });
    } else return forged();
    return refuse('equivocation', actor, `${formatActor(actor)} signed two different ops at ${at}: it equivocates`);
  }

  /**
   * Ops under this replica's own id past the last it made, signed with its key, after it signed
   * ops here, or naming what it retired: a copy of its key made them. A store restored from a
   * backup takes back what it signed before, until it signs anew, but not an op naming what it
   * retired: its own ops made after the backup's marks name none of them, and its reports promised
   * as much, so collectors may refuse the op (seed 1,753,280,405). Kept, the copy's op would be its
   * author's for every replica, and it may name what its author retired (INTERNALS.md, "What is
   * still open: forks against collection"). So the replica signs another op at the first of their
   * positions (a delete that is never applied), and the two are the proof of a fork: every
   * replica drops the feed from there on, and this replica goes on as a new incarnation.
   */
  #stolen(ops: Op<T>[], proof: Proof<T>, feed: Feed<T>): FeedRefusal {
    const at = (ops[0] as Op<T>).id.counter;
    const theirs = { ops: [...ops, ...(proof.tail ?? [])], signature: proof.signature };
    const mine = { type: 'delete', id: { actor: this.self, counter: at }, target: { actor: this.self, counter: at } } as Op<T>;
    const chain = feed.chain.copy();
    this.#chains.hash(chain, mine);
    const fork: Fork<T> = { actor: this.self, at, branches: [{ ops: [mine], signature: this.#signer.sign(signedStatement(this.self, at, chain.head())) }, theirs] };
    if (!this.#chains.holds(fork, feed.chain, this.#signer.key)) return refuse('bad_signature', this.self, `ops ${formatId((ops[0] as Op<T>).id)}.. under this replica's own id do not match its signature`);
    this.#adopt(fork);
    return refuse('equivocation', this.self, `ops from ${formatId((ops[0] as Op<T>).id)} under this replica's own id, signed with its key, were made elsewhere: its key was copied`);
  }

  #feed(actor: ActorId): Feed<T> {
    let feed = this.#feeds.get(actor);
    if (feed === undefined) {
      feed = { key: null, count: 0, chain: this.#chains.start(actor), spaced: [], latest: null };
      this.#feeds.set(actor, feed);
    }
    return feed;
  }
}

/**
 * A feed this replica holds, up to `upTo`: its base (its first op, or past what was collected of
 * it) and its ops from there; null where `upTo` is below the base (it keeps those no longer).
 */
export type HeldOps<T> = (actor: ActorId, upTo: number) => { base: Base; ops: Op<T>[] } | null;

/** What a batch is checked against: what the replica holds. */
export interface Holdings<T> {
  /** Whether the list holds `op` already, as `List.check` says. */
  check(op: Op<T>): string;
  /** A feed's held ops, to check a branch that forks from them (null where they were collected: such a branch is refused unchecked). */
  readonly ops: HeldOps<T>;
  /** Whether `op` names what this replica retired (see `#stolen`). */
  namesRetired(op: Op<T>): boolean;
}

const refuse = (code: FeedRefusalCode, actor: ActorId, message: string): FeedRefusal => ({ code, actor, message });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
