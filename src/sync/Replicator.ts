import { applyBatch, type BatchResult } from '../crdt/batch.js';
import { formatActor, formatId, memberOf, type ActorId, type OpId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import { dependencies, type Op } from '../crdt/ops.js';
import { opProblem, type OpRules } from '../crdt/validate.js';
import { capAt, covers, type VersionVector } from '../crdt/version.js';
import type { PeerId, Reply, Request, RetireReport, SyncPage } from './messages.js';
import { NO_RECORDS, type FeedPlan, type FeedRecords, type FeedRefusal, type Feeds, type HeldOps, type Holdings, type Proof } from './Feeds.js';
import { missingOps, ownOpsAfter, type PageLimits } from './pages.js';
import { PeerKnowledge, type Knowledge } from './knowledge.js';
import { Stability, type Collectable } from './stability.js';
import { Vouches } from './vouches.js';
import { sample } from '../util/sample.js';
import { readState, type SnapshotCodec } from './states.js';
import { StateServer } from './StateServer.js';

/** Gossip's fan-out, unless told otherwise (see `SyncConfig.fanout`). */
export const DEFAULT_FANOUT = 3;
/** Askers a gossiping replica asks back in one round (see `#askBack`). */
const ASK_BACKS_PER_ROUND = 1;

export interface SyncConfig<T> extends PageLimits<T> {
  /** One anti-entropy exchange this often: with the next peer in turn, or with gossip the next of a random order. */
  readonly syncIntervalMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** What an op must be to be taken (the cluster's members, the values); every received op is checked. */
  readonly rules?: OpRules<T>;
  /** The cluster's members, 0 .. members - 1: what is stable waits for each (see `Stability`). */
  readonly members?: number;
  /**
   * Members 0 .. voters - 1 are the cluster's own, those from here to `members` guests (a browser
   * tab's replica): only the cluster's own make the majority collection waits to know; default `members`.
   */
  readonly voters?: number;
  /**
   * How long after a member's new incarnation is first heard its old one may still have ops on
   * their way (see `Stability`, dead incarnations); default 30 s.
   */
  readonly settleMs?: number;
  /**
   * How the list is written as a state: the store compacts into one, and a peer far behind is
   * sent one. Without it the store keeps every op as a row, and ops are all a peer is sent.
   */
  readonly snapshots?: SnapshotCodec<T>;
  /**
   * Gossip (see INTERNALS.md, "Gossip"): with more peers than this, a replica pushes its new ops
   * to this many peers drawn at random each round (among those whose holdings it knows), and
   * runs anti-entropy with one peer drawn at random each `syncIntervalMs`; at start it asks this
   * many. Absent, or no more peers than this: every peer directly, anti-entropy with each in turn.
   */
  readonly fanout?: number;
  /** Gossip's draws: uniform in [0, 1). The actor seeds it; the simulator draws from its seed. */
  readonly random?: () => number;
  /**
   * Each peer's member number: with gossip, a replica that serves a peer holding ops it lacks
   * asks that peer back (see `serveSync`), which it finds by the asker's member.
   */
  readonly peerMembers?: ReadonlyMap<PeerId, number>;
}

/** Why an op this replica received cannot be taken, or null: checks beyond `opProblem` (the store's). */
export type Screen<T> = (op: Op<T>) => string | null;

export interface Outgoing<T> {
  readonly peer: PeerId;
  readonly request: Request<T>;
}

/**
 * What applying a sync page did: `accepted` must be stored, with `records` (keys and signed
 * points of their feeds); `refused` ops were not taken; `refusals`: feeds of the page left out
 * (with what depends on them), or the whole page, each with why.
 */
export interface PageOutcome<T> {
  readonly accepted: Op<T>[];
  readonly records: FeedRecords;
  readonly refused: Array<{ op: Op<T>; verdict: 'equivocation' | 'invalid' | 'collected'; why?: string }>;
  readonly refusals: readonly FeedRefusal[];
  /** What became of the state the page carried, if it carried one. */
  readonly state?: StateOutcome<T>;
}

/**
 * A state taken: every op of it checked against its feed's signature, every op held here in it,
 * the same. The replicator goes on from the state's list, with what `previous` (the list it
 * replaced) held beyond it; the replica stores `bytes` in place of what it `covers`, with
 * `records`, before anything else happens. Or refused, and
 * why: the replica then asks that peer for ops only.
 */
export type StateOutcome<T> = { readonly taken: true; readonly previous: List<T>; readonly covers: VersionVector; readonly bytes: Uint8Array; readonly ops: number } | { readonly taken: false; readonly why: string };

/** What a push did: a batch result (its `accepted` ops stored with `records`), or refused by the feed check. */
export type PushResult<T> = (BatchResult<T> & { readonly records: FeedRecords }) | ({ readonly status: 'refused'; readonly accepted: Op<T>[]; readonly records: FeedRecords } & FeedRefusal);

interface PeerState {
  readonly id: PeerId;
  /** The incarnation that last answered from there: what pushes are addressed to. */
  incarnation: ActorId | undefined;
  /** How many of our own ops the peer holds, as it last told us; null until its first sync reply. */
  acked: number | null;
  inFlight: boolean;
  retryAt: number;
  backoffMs: number;
  /** An anti-entropy exchange, or its next page, is due. */
  syncDue: boolean;
  /**
   * How many forks the peer knew when its state was refused (null: none refused). A state built
   * on a fork the peer did not know yet (or holding another branch than this replica) is refused;
   * no state is asked of the peer then, until it knows more forks: its state may have the fork
   * cut out.
   */
  refusedAtForks: number | null;
  /** Its digest of heads differed from this replica's: ask it for every head next time. */
  fullHeads: boolean;
}

/**
 * The replication protocol as a pure state machine. Inputs: `poll(now)` (what to send now),
 * `onReply` / `onFailure` / `onDropped` (how a request ended), `servePush` / `serveSync` (requests
 * from peers). Outputs: requests to send and ops to store. No I/O, no clock: `now` is passed in.
 *
 * Per peer: at most one request in flight; failures back off exponentially (capped). At start,
 * every peer gets an anti-entropy exchange (the catch-up); then one peer in turn every
 * `syncIntervalMs`. Own ops are pushed as they are made, once the peer's holdings are known.
 */
export class Replicator<T> {
  #list: List<T>;
  readonly feeds: Feeds<T>;
  readonly #stability: Stability | null;
  readonly #config: SyncConfig<T>;
  readonly #peers: PeerState[];
  readonly #screen: Screen<T>;
  #nextRound: number;
  #turn = 0;
  /**
   * The order anti-entropy visits peers in: as given, or with gossip a random permutation, drawn
   * again each time it has been gone through. Each round's peer is then uniform, as in plain random
   * gossip, yet every peer is visited within any 2 × peers - 1 rounds: a bound on how long an op
   * can take to reach everyone once the network heals (see INTERNALS.md, "Gossip").
   */
  #order: PeerState[] = [];
  /** Gossip's draws, when it is on (more peers than the fanout); null: every peer directly. */
  readonly #random: (() => number) | null;
  /** This round's push targets (gossip only): drawn among peers whose holdings are known. */
  readonly #targets = new Set<PeerState>();
  /** How many peers' holdings are known (`acked` set): while the targets fall short of them, more are drawn. */
  #ackedPeers = 0;
  /** Peers by member, for asking an asker back (gossip only). */
  readonly #byMember = new Map<number, PeerState>();
  /** Askers asked back this round (at most `ASK_BACKS_PER_ROUND`). */
  #askedBack = 0;
  /** The peer asked for a state now, if any: one at a time, or every peer would send one at the start. */
  #stateFrom: PeerId | null = null;
  /** States for peers far behind (null: this replica sends none). */
  readonly #states: StateServer<T> | null;
  /** What the list retired (the replica stores it before it is reported). */
  #retired: VersionVector;
  /** The incarnations heard, and what peers said was retired. */
  readonly #known = new PeerKnowledge();
  /** How far each incarnation heard holds this replica's own feed as signed here. */
  readonly #vouches: Vouches<T>;
  /** The most of its own feed every member heard was seen to hold as signed here: all its report may say it retired of it. */
  #ownStable = 0;

  constructor(list: List<T>, feeds: Feeds<T>, peers: readonly PeerId[], config: SyncConfig<T>, now: number, screen: Screen<T> = () => null) {
    this.#list = list;
    this.feeds = feeds;
    this.#vouches = new Vouches(feeds);
    // What it collected of its own feed, its report once said it retired.
    this.#ownStable = list.collected?.get(list.actor) ?? 0;
    this.#stability = config.members === undefined ? null : new Stability(list.actor, config.members, config.settleMs, config.voters);
    this.#retired = list.retire?.(new Map()) ?? new Map();
    this.#config = config;
    this.#states = config.snapshots === undefined ? null : new StateServer(config.snapshots, config.maxOps);
    this.#screen = screen;
    if (new Set(peers).size !== peers.length) throw new Error(`peers must be distinct: ${peers.join(', ')}`);
    const fanout = config.fanout;
    if (fanout !== undefined && (!Number.isInteger(fanout) || fanout < 1)) throw new Error(`fanout must be a positive integer, got ${fanout}`);
    this.#random = fanout !== undefined && peers.length > fanout ? (config.random ?? null) : null;
    if (fanout !== undefined && peers.length > fanout && this.#random === null) throw new Error('gossip needs a source of random draws (config.random)');
    this.#peers = peers.map((id) => ({ id, incarnation: undefined, acked: null, inFlight: false, retryAt: now, backoffMs: 0, syncDue: this.#random === null, refusedAtForks: null, fullHeads: false }));
    for (const p of this.#peers) {
      const m = config.peerMembers?.get(p.id);
      if (m !== undefined) this.#byMember.set(m, p);
    }
    // The catch-up at start: every peer, or with gossip `fanout` of them.
    if (this.#random !== null) for (const p of this.#draw(fanout as number, () => true)) p.syncDue = true;
    this.#nextRound = now + config.syncIntervalMs;
  }

  /** Whether this replica gossips (more peers than the fanout) rather than talking to every peer. */
  get gossips(): boolean {
    return this.#random !== null;
  }

  /** Up to `n` distinct peers drawn at random among those that pass `ok`. */
  #draw(n: number, ok: (p: PeerState) => boolean): PeerState[] {
    return sample(this.#peers.filter(ok), n, this.#random as () => number);
  }

  /**
   * Whether this replica may make an op: once it holds, and has retired, all that peers' answers
   * said was retired (see INTERNALS.md, "Who may still name a tombstone"). A tombstone some replica collected
   * without counting this one is among those (whoever sent it the element had retired it, or
   * names this replica in its reports), so none of its ops can name one. A replica that never
   * heard back edits at once (it holds only its own ops); one that did waits for what it was told.
   * Ops dropped with a proven fork never come: they are not waited for.
   */
  mayEdit(): boolean {
    const due = this.#known.due(this.feeds);
    if (due === null) return true;
    if (!covers(this.#list.version(), due)) return false;
    // A list that cannot retire (the reference list of the tests) only holds.
    if (this.#list.retire === undefined) return true;
    if (!covers(this.#retired, due)) this.#retire(due);
    return covers(this.#retired, due);
  }

  /** A member says `told` was retired (by it, or by others it heard from): this replica holds and retires it before its next op. */
  #hearTold(from: ActorId, told: VersionVector | undefined): void {
    if (told !== undefined && this.#stability !== null && this.isMember(from)) this.#known.tell(told);
  }

  /** What to store before any request or answer says it: the incarnations heard, and what peers said was retired. */
  get knowledge(): Knowledge {
    return this.#known.saved;
  }

  /** Grows each time `knowledge` does. */
  get knowledgeChanges(): number {
    return this.#known.changes;
  }

  /** Take back what a store kept (`knowledge`). */
  restoreKnowledge(k: Knowledge, now = 0): void {
    this.#known.restore(k);
    this.#stability?.remember(k.heard, now);
  }

  /** What every member holds, as far as this replica knows (nothing, without members to wait for). */
  stable(): VersionVector {
    return this.#stability?.stable(this.#list.version()) ?? new Map();
  }

  /** What the list has retired: what this replica reports, once stored. */
  get retired(): VersionVector {
    return this.#retired;
  }

  /** What this replica says was retired, in its answers and pushes: by it, or by others it was told of. */
  get told(): VersionVector {
    return this.#known.said(this.#retired);
  }

  /**
   * The deletes whose targets no op this replica lacks can name, at `now`, by the retire reports
   * heard (see `Stability.collectable`); null until every incarnation that counts has one it can use.
   */
  collectable(now: number): Collectable | null {
    const c = this.#stability?.collectable(this.#list.version(), this.#report(), now) ?? null;
    // Closed, as the list would collect it: an author's report may leave out its own ops that others' build on.
    return c === null || this.#list.collecting === undefined ? c : { ...c, version: this.#list.collecting(c.version) };
  }

  /** Collect what is collectable now, where the list can (see `FastList.collect`); returns the elements collected. */
  collect(now: number): number {
    const c = this.collectable(now);
    const list = this.#list;
    if (c === null || list.collect === undefined || list.collecting === undefined) return 0;
    // The feeds' bases move up first, while the list still holds the ops it is about to forget
    // (`collectable` gave what the list will make its collected version).
    this.feeds.bases.advance(c.version, (actor, after, limit) => list.opsOf(actor, after, limit));
    return list.collect(c.version);
  }

  /** The list: the one it was made with, or a state it took in its place. */
  get list(): List<T> {
    return this.#list;
  }

  /** Requests to send now. */
  poll(now: number): Outgoing<T>[] {
    if (now >= this.#nextRound && this.#peers.length > 0) {
      this.#nextRound = now + this.#config.syncIntervalMs;
      if (this.#turn % this.#peers.length === 0) this.#order = this.#random === null ? this.#peers : this.#draw(this.#peers.length, () => true);
      (this.#order[this.#turn++ % this.#peers.length] as PeerState).syncDue = true;
      this.#targets.clear();
      this.#askedBack = 0;
    }
    if (this.#random !== null) this.#fillTargets();
    const out: Outgoing<T>[] = [];
    for (const p of this.#peers) {
      if (p.inFlight || now < p.retryAt) continue;
      const request = this.#nextRequest(p);
      if (request === null) continue;
      p.inFlight = true;
      out.push({ peer: p.id, request });
    }
    return out;
  }

  /** When `poll` may next have something to send, absent other events. */
  nextWakeup(now: number): number {
    let at = this.#nextRound;
    for (const p of this.#peers) if (!p.inFlight && p.retryAt > now) at = Math.min(at, p.retryAt);
    return at;
  }

  onReply(peer: PeerId, request: Request<T>, reply: Reply<T>, now: number): PageOutcome<T> {
    const p = this.#ended(peer);
    p.backoffMs = 0;
    p.retryAt = now;
    if (request.type === 'push' || reply.type === 'push') {
      this.#delivered(p, request);
      return { accepted: [], records: NO_RECORDS, refused: [], refusals: [] };
    }
    // The peer's own word, even if lower than before: it may have lost data, and then gets our ops again.
    this.#acked(p, reply.version.get(this.list.actor) ?? 0);
    // It knows a fork it did not when its state was refused: that state may have held the fork's
    // ops, which it has now cut (seed 130,245,192: a late joiner refused both peers' states, and,
    // asking only for ops, never got what they had collected).
    if (p.refusedAtForks !== null && reply.forks.length > p.refusedAtForks) p.refusedAtForks = null;
    if (reply.from !== undefined && this.isMember(reply.from)) {
      p.incarnation = reply.from;
      this.#known.hear(reply.from);
      this.#hearTold(reply.from, reply.retired);
    }
    if (reply.state !== undefined) {
      // Taken: ask for what followed it. Refused: ask for ops.
      p.syncDue = true;
      const outcome = this.#takeState(p, reply, reply.state);
      this.#compareDigest(p, reply);
      return outcome;
    }
    const outcome = this.#applyPage(reply);
    // An honest page that says "more" holds at least one op; an empty one must not keep us asking.
    // One of ops held already goes on too while a feed is suspected: it is being compared.
    if (reply.more && (outcome.accepted.length > 0 || (reply.ops.length > 0 && this.feeds.suspecting()))) p.syncDue = true;
    // A feed of this peer's that did not match its signature, running on from what is held here:
    // ask this peer again at once, from the feed's start, while this replica still suspects its
    // copy. Peers holding the same copy would otherwise clear the suspicion first, every time, and
    // the fork would never show (seed 178: a copied key's branch held everywhere but at its author).
    if (outcome.refusals.some((r) => r.code === 'bad_signature')) p.syncDue = true;
    this.#compareDigest(p, reply);
    return outcome;
  }

  /** A peer's digest of heads that is not this replica's: its heads are asked for in full, at once. */
  #compareDigest(p: PeerState, page: SyncPage<T>): void {
    if (page.headsDigest === undefined || this.feeds.sameHeads(page.headsDigest)) return;
    p.fullHeads = true;
    p.syncDue = true;
  }

  onFailure(peer: PeerId, request: Request<T>, now: number): void {
    const p = this.#ended(peer);
    p.backoffMs = Math.min(this.#config.backoffMaxMs, Math.max(this.#config.backoffMinMs, p.backoffMs * 2));
    p.retryAt = now + p.backoffMs;
    // With gossip a failed request is not retried this round: the next round's draws carry on,
    // through other peers, what it would have, and an actor sends O(1) requests a round even
    // where many fail. Without, the peer is asked again once its backoff ends.
    if (this.#random !== null) p.retryAt = Math.max(p.retryAt, this.#nextRound);
    else if (request.type === 'sync') p.syncDue = true;
  }

  /**
   * The request was discarded on purpose (fault injection), or refused for good by the peer (a 4xx
   * answer to a push): either way the sender treats it as delivered and does not retry it.
   */
  onDropped(peer: PeerId, request: Request<T>): void {
    const p = this.#ended(peer);
    this.#delivered(p, request);
  }

  /**
   * The peer holds less of this replica's feed than it said (it lost its store, or a push went
   * astray): forget what it acknowledged and ask it first, so the next push runs on from what it holds.
   */
  onBehind(peer: PeerId): void {
    const p = this.#ended(peer);
    this.#acked(p, null);
    this.#targets.delete(p);
    p.syncDue = true;
  }

  /**
   * A push carries its sender's own ops only, signed; never this replica's (those it makes itself).
   * One op that cannot be taken refuses the whole batch, before anything of it is applied.
   */
  servePush(from: ActorId, ops: readonly Op<T>[], proof: Proof<T>, to?: ActorId, told?: VersionVector): PushResult<T> {
    if (from === this.list.actor) {
      const message = `a push claims to come from this replica (${formatActor(from)}); only it makes its ops`;
      return { status: 'refused', code: 'own_ops', actor: from, message, accepted: [], records: NO_RECORDS };
    }
    if (to !== undefined && to !== this.list.actor) {
      // Its sender has not heard this incarnation, so names it in no report: it must ask first.
      const message = `a push for ${formatActor(to)}, another incarnation of this member (now ${formatActor(this.list.actor)}); sync with it first`;
      return { status: 'refused', code: 'other_incarnation', actor: from, message, accepted: [], records: NO_RECORDS };
    }
    for (const op of ops) {
      const why = op.id.actor !== from ? `a push from ${formatActor(from)} carries op ${formatId(op.id)} of another author` : this.#problem(op);
      if (why !== null) return { status: 'invalid', op, message: why, accepted: [], records: NO_RECORDS };
    }
    const doomed = ops.find((op) => this.feeds.doomed(op));
    if (doomed !== undefined) {
      const message = `op ${formatId(doomed.id)} is, or builds on, the fork of a feed proven to equivocate`;
      return { status: 'refused', code: 'equivocation', actor: from, message, accepted: [], records: NO_RECORDS };
    }
    const plan = this.#checkFeeds(ops, [proof]);
    const refusal = plan.refusals[0];
    if (refusal !== undefined) return { status: 'refused', accepted: [], records: NO_RECORDS, ...refusal };
    // Only a push its author signed says what was retired: anyone may send one, and what it says
    // holds back this replica's next op.
    this.#hearTold(from, told);
    const result = applyBatch(this.list, ops);
    const taken = result.status === 'ok' ? Infinity : result.status === 'full' ? this.#heldPrefix(ops) : 0;
    return { ...result, records: this.feeds.commit(plan, () => taken) };
  }

  /** The last counter of a push's ops up to which the list holds every one (after a full pending set stopped it). */
  #heldPrefix(ops: readonly Op<T>[]): number {
    let last = 0;
    for (const op of ops) {
      if (this.list.check(op) !== 'duplicate') break;
      last = op.id.counter;
    }
    return last;
  }

  /** Whether `actor` is one of the cluster's (no rule: every actor is). */
  isMember(actor: ActorId): boolean {
    return this.#config.rules?.isMember?.(actor) ?? true;
  }

  /** Why a received op cannot be taken: the shared check, then the screen. */
  #problem(op: Op<T>): string | null {
    return opProblem(op, this.#config.rules) ?? this.#screen(op);
  }

  /** What an asker at `version` lacks: a page of ops, or, if it takes a state and is far behind, the list as a state. */
  serveSync(asker: ActorId, version: VersionVector, takesState = false, report?: RetireReport, now = 0, fullHeads = true): SyncPage<T> {
    // What the asker holds (as far as it has checked): a member's word for what is stable.
    if (this.#stability !== null && this.isMember(asker)) {
      this.#known.hear(asker);
      // Of its own feed, only what the asker's head showed it holds as signed here; a head signed
      // otherwise is a copy of this key's work: the asker is asked at once, and the fork shows.
      const claim = this.#vouches.claim(asker, version, report?.head);
      if (claim.differs) this.#askNow(asker);
      this.#stability.hear(asker, claim.version, report, now);
      const stable = this.stable();
      this.#retire(stable);
      const ownStable = stable.get(this.list.actor) ?? 0;
      this.#ownStable = Math.max(this.#ownStable, ownStable);
      this.feeds.forgetOwnBelow(ownStable);
    }
    if (this.#random !== null) this.#askBack(asker, version);
    const full = (takesState ? (this.#states?.page(this.list, this.feeds, asker, version, report) ?? null) : null) ?? missingOps(this.list, version, this.#config, this.feeds);
    const page = fullHeads ? full : { ...full, ...this.feeds.digestHeads(full.heads, version) };
    return this.#stability === null ? page : { ...page, from: this.list.actor, retired: this.told };
  }

  /** Ask `incarnation`'s peer at once (it holds something this replica must compare). */
  #askNow(incarnation: ActorId): void {
    const p = this.#byMember.get(memberOf(incarnation)) ?? this.#peers.find((q) => q.incarnation === incarnation);
    if (p !== undefined) p.syncDue = true;
  }

  /**
   * Gossip's push half: an asker that holds ops this replica lacks is asked back, at once, so an op
   * spreads both ways along each exchange (push-pull), not only to whoever asks its holder. It is
   * a sync request like any other, so what the answer says was retired is heard from a peer this
   * replica asked (see "Who may still name a tombstone"). At most `ASK_BACKS_PER_ROUND` a round.
   */
  #askBack(asker: ActorId, version: VersionVector): void {
    const p = this.#byMember.get(memberOf(asker));
    if (p === undefined || p.syncDue || p.inFlight || this.#askedBack >= ASK_BACKS_PER_ROUND) return;
    if (covers(this.list.version(), version)) return;
    p.syncDue = true;
    this.#askedBack++;
  }

  /**
   * Check a state as a page of every op this replica lacks, each feed against its signature,
   * and every op it holds against the state's; nothing is applied here (the replica adopts the
   * state's list once it has stored it).
   */
  #takeState(p: PeerState, page: SyncPage<T>, bytes: Uint8Array): PageOutcome<T> {
    const refuse = (why: string): PageOutcome<T> => {
      p.refusedAtForks = page.forks.length;
      return { accepted: [], records: NO_RECORDS, refused: [], refusals: [], state: { taken: false, why } };
    };
    const codec = this.#config.snapshots;
    if (codec === undefined) return refuse('this replica takes no state');
    // Forks first, as with a page: those it can check now doom what the state must not hold.
    this.feeds.takeForks(page.forks, this.#heldOps);
    const read = readState(page, bytes, {
      codec,
      list: this.list,
      problem: (op) => this.#problem(op) ?? (this.feeds.doomed(op) ? 'it is, or builds on, the fork of a feed proven to equivocate' : null),
      checkFeeds: (ops, proofs, bases) => this.feeds.check(ops, proofs, this.#holdings, true, bases),
      conflict: (actor, state) => this.#forkInState(actor, state, page.proofs),
    });
    if (typeof read === 'string') return refuse(read);
    const { list, fresh, plan } = read;
    const version = list.version();
    // Nothing new (the asker caught up while it asked): nothing to take, nothing wrong.
    if (covers(this.list.version(), version)) return { accepted: [], records: NO_RECORDS, refused: [], refusals: [] };
    const records = this.feeds.commit(plan, () => Infinity);
    this.feeds.compareHeads(page.heads);
    // What the list held beyond the state (this replica's newer ops, ops that wait) goes on top.
    const previous = this.list;
    // Feeds the state collected further than this replica had (and held enough of to need no
    // base from it): their bases move up over the ops the old list still holds.
    if (list.collected !== undefined) this.feeds.bases.advance(list.collected, heldOpsOf(previous));
    list.restore([...previous.appliedOps(version), ...previous.pendingOps()]);
    this.#list = list;
    // The state carries its sender's retire marks; this replica's own, already reported, stay.
    this.#retire(this.#retired);
    // Forks of feeds this replica held too little of to check them before the state.
    this.feeds.takeForks(page.forks, this.#heldOps);
    return { accepted: [], records, refused: [], refusals: [], state: { taken: true, previous, covers: version, bytes, ops: fresh.length } };
  }

  /**
   * A state holds another op of `actor`'s feed than this replica: check its ops of the feed
   * against the feed held here, as a page's, so that where the author signed both the fork is
   * proven (and dropped once the refused state is dealt with). Without this, a replica holding a
   * copied key's branch could be sent neither the other branch as ops (collected by its peers)
   * nor their state, and the fork never came to light (seed 348 of the simulator).
   */
  #forkInState(actor: ActorId, state: List<T>, proofs: readonly Proof<T>[]): void {
    const end = state.version().get(actor) ?? 0;
    const after = Math.max(state.collected?.get(actor) ?? 0, this.feeds.bases.get(actor).count);
    const proof = proofs.find((p) => p.actor === actor);
    if (proof === undefined || proof.counter !== end || end <= after) return;
    this.#checkFeeds(state.opsOf(actor, after, end - after), [proof], true);
  }

  #checkFeeds(ops: readonly Op<T>[], proofs: readonly Proof<T>[], page = false): FeedPlan<T> {
    return this.feeds.check(ops, proofs, this.#holdings, page);
  }

  /** What a batch's feeds are checked against: the list, and the feeds' held ops. */
  readonly #holdings: Holdings<T> = {
    check: (op) => this.list.check(op),
    ops: (actor, upTo) => this.#heldOps(actor, upTo),
    namesRetired: (op) => this.list.namesRetired?.(op) ?? false,
  };

  /** `actor`'s feed this replica holds up to `upTo`, from its base: what a fork is checked from (null: collected). */
  readonly #heldOps: HeldOps<T> = (actor, upTo) => {
    const base = this.feeds.bases.get(actor);
    return upTo < base.count ? null : { base, ops: this.list.opsOf(actor, base.count, upTo - base.count) };
  };

  #retire(stable: VersionVector): void {
    if (this.#list.retire !== undefined) this.#retired = this.#list.retire(stable);
  }

  /**
   * This replica's retire report: what it retired, and its own ops so far. Of its own feed, no
   * more than `#ownStable`, whatever its list retired: a state it took, or what it was told,
   * retires what others counted by length, and a collector collects an author's ops only as far
   * as the author's report says (seed 410 of the simulator: a state's marks made an
   * author report its op 4 retired while a member it had not yet heard held a copy's op 4).
   */
  #report(): RetireReport {
    return { retired: capAt(this.#retired, this.list.actor, this.#ownStable), own: this.#list.nextCounter - 1, heard: this.#known.heard };
  }

  /**
   * The retire report a sync request to `to` (an incarnation, if known) carries: with this
   * replica's signed point at the end of `to`'s own feed as advertised (`version`), which `to`
   * compares with what it signed (see `Vouches`).
   */
  reportTo(to: ActorId | undefined, version = this.feeds.advertise(this.#list.version())): RetireReport {
    const head = to === undefined ? undefined : this.feeds.heads(new Map([[to, version.get(to) ?? 0]]))[0];
    return { ...this.#report(), ...(head === undefined ? {} : { head }) };
  }

  #nextRequest(p: PeerState): Request<T> | null {
    const from = this.list.actor;
    if (p.syncDue) {
      p.syncDue = false;
      const state = this.#states !== null && p.refusedAtForks === null && this.#stateFrom === null;
      if (state) this.#stateFrom = p.id;
      const fullHeads = p.fullHeads;
      p.fullHeads = false;
      const version = this.feeds.advertise(this.list.version());
      return {
        type: 'sync',
        from,
        version,
        ...(state ? { state: true } : {}),
        ...(fullHeads ? { fullHeads: true } : {}),
        ...(this.#stability === null ? {} : { report: this.reportTo(p.incarnation, version) }),
      };
    }
    if (p.acked === null || (this.#random !== null && !this.#targets.has(p))) return null;
    // Own ops collected are held by every replica: a peer that says it lacks them suspects its copy.
    const after = Math.max(p.acked, this.list.collected?.get(from) ?? 0);
    const ops = ownOpsAfter(this.list, after, this.#config);
    // A push ends at a point this replica signed (every edit ends at one, long ones have more).
    const end = ops.length === 0 ? 0 : this.feeds.pointAtOrBefore(from, (ops[ops.length - 1] as Op<T>).id.counter);
    if (end <= after) return null;
    const push = { type: 'push', from, ops: ops.slice(0, end - after), proof: this.feeds.proof(from, end), ...(this.#stability === null ? {} : { told: this.told }) } as const;
    return p.incarnation === undefined ? push : { ...push, to: p.incarnation };
  }

  /**
   * This round's push targets, drawn as peers' holdings become known: up to `fanout` of the peers
   * whose sync answer this replica took (only those are pushed to: see "Who may still name a tombstone").
   */
  #fillTargets(): void {
    const fanout = this.#config.fanout as number;
    if (this.#targets.size >= Math.min(fanout, this.#ackedPeers)) return;
    for (const p of this.#draw(fanout - this.#targets.size, (q) => q.acked !== null && !this.#targets.has(q))) this.#targets.add(p);
  }

  /** The request in flight to `peer` ended: if it asked for a state, another peer may now be asked. */
  #ended(peer: PeerId): PeerState {
    const p = this.#peer(peer);
    p.inFlight = false;
    if (this.#stateFrom === p.id) this.#stateFrom = null;
    return p;
  }

  #delivered(p: PeerState, request: Request<T>): void {
    const last = request.type === 'push' ? request.ops[request.ops.length - 1] : undefined;
    if (last !== undefined) this.#acked(p, Math.max(p.acked ?? 0, last.id.counter));
  }

  #acked(p: PeerState, acked: number | null): void {
    this.#ackedPeers += Number(acked !== null) - Number(p.acked !== null);
    p.acked = acked;
  }

  /**
   * A page is a causal prefix, each feed in it signed as far as it goes: every op in it can be
   * applied at once. A page with an op that cannot be taken or would have to wait is refused
   * whole: it did not come from an honest replica. A feed that does not match its signature
   * (forged, or the other branch of an equivocation) is left out, with every op of the page that
   * depends on it; the rest is taken.
   */
  #applyPage(page: SyncPage<T>): PageOutcome<T> {
    // Forks first: they prove themselves, and doom ops of the page that would otherwise refuse it.
    this.feeds.takeForks(page.forks, this.#heldOps);
    const { ops, proofs, dropped } = this.#withoutDoomed(page);
    const ranges = pageRanges(ops);
    for (const op of ops) {
      const why = this.#problem(op) ?? this.#waits(op, ranges);
      if (why !== null) return { accepted: [], records: NO_RECORDS, refused: [], refusals: [{ code: 'invalid_op', actor: op.id.actor, message: `op ${formatId(op.id)}: ${why}` }] };
    }
    const plan = this.#checkFeeds(ops, proofs, true);
    const outcome = { accepted: [] as Op<T>[], refused: [] as PageOutcome<T>['refused'] };
    // Per feed, the last op taken before one was not: its feed is checked that far.
    const stopped = new Map<ActorId, number>();
    for (const r of plan.refusals) stopped.set(r.actor, this.feeds.count(r.actor));
    const left = (d: { actor: ActorId; counter: number }): boolean => d.counter > (stopped.get(d.actor) ?? Infinity);
    let full = false;
    for (const op of ops) {
      const actor = op.id.actor;
      // Left out with its feed, or for naming an op left out (nothing to look at while nothing is).
      const skipped = stopped.size > 0 && (stopped.has(actor) || dependencies(op).some(left));
      const verdict = full || skipped ? 'full' : this.list.apply(op);
      if (verdict === 'applied' || verdict === 'pending') outcome.accepted.push(op);
      else if (verdict === 'equivocation' || verdict === 'invalid' || verdict === 'collected') outcome.refused.push({ op, verdict });
      if (verdict === 'full' && !skipped) full = true;
      if (verdict !== 'applied' && verdict !== 'pending' && verdict !== 'duplicate' && !stopped.has(actor)) stopped.set(actor, op.id.counter - 1);
    }
    const records = this.feeds.commit(plan, (actor) => stopped.get(actor) ?? Infinity);
    dropped.push(...this.feeds.doomedInTails(plan.tails));
    // Forks of feeds this replica held too little of to check them before the page.
    this.feeds.takeForks(page.forks, this.#heldOps);
    this.feeds.compareHeads(page.heads);
    return { ...outcome, records: dropped.length === 0 ? records : { ...records, dropped }, refusals: plan.refusals };
  }

  /**
   * A page without the ops no replica keeps (at or past a proven fork, or built on one, in the page
   * or before): each feed that loses its end to them is checked with them as the tail of its proof.
   */
  #withoutDoomed(page: SyncPage<T>): { ops: readonly Op<T>[]; proofs: readonly Proof<T>[]; dropped: OpId[] } {
    const doomed: Op<T>[] = [];
    const ops = page.ops.filter((op) => {
      if (!this.feeds.doomed(op)) return true;
      this.feeds.markDropped([op.id]);
      doomed.push(op);
      return false;
    });
    const dropped = doomed.map((op) => op.id);
    if (doomed.length === 0) return { ops, proofs: page.proofs, dropped };
    // What is doomed of a feed is the end of it (each op names its author's previous one).
    const proofs = page.proofs.map((p): Proof<T> => {
      const cut = doomed.filter((op) => op.id.actor === p.actor);
      const first = cut[0];
      return first === undefined ? p : { ...p, counter: first.id.counter - 1, tail: [...cut, ...(p.tail ?? [])] };
    });
    return { ops, proofs, dropped };
  }

  /** Why a new op of a page cannot be applied at once (a dependency neither held nor earlier in the page), or null. */
  #waits(op: Op<T>, ranges: ReadonlyMap<ActorId, { first: number; last: number }>): string | null {
    const inPage = (d: { actor: ActorId; counter: number }): boolean => {
      const r = ranges.get(d.actor);
      return r !== undefined && d.counter >= r.first && d.counter <= r.last;
    };
    const missing = dependencies(op).find((d) => !inPage(d) && !this.list.has(d));
    return missing === undefined ? null : `it waits for ${formatId(missing)}, which the page neither holds nor follows`;
  }

  #peer(id: PeerId): PeerState {
    const p = this.#peers.find((x) => x.id === id);
    if (p === undefined) throw new Error(`unknown peer ${id}`);
    return p;
  }
}

/**
 * `list`'s ops of an author after `after`, applied or waiting, in counter order, at most `limit`:
 * what its feed holds. A feed's ops may wait for another author's (seed 127: a feed held half
 * applied, half waiting, when a state that collected it arrived; its base was hashed over the
 * applied half only, and the state the replica sent on was refused).
 */
function heldOpsOf<T>(list: List<T>): (actor: ActorId, after: number, limit: number) => Op<T>[] {
  const waiting = new Map<ActorId, Op<T>[]>();
  for (const op of list.pendingOps()) waiting.set(op.id.actor, [...(waiting.get(op.id.actor) ?? []), op]);
  for (const ops of waiting.values()) ops.sort((a, b) => a.id.counter - b.id.counter);
  return (actor, after, limit) => {
    const ops = list.opsOf(actor, after, limit);
    for (const op of waiting.get(actor) ?? []) {
      if (ops.length < limit && op.id.counter === after + ops.length + 1) ops.push(op);
    }
    return ops;
  };
}

/** Per author, the counters a page holds (each feed of a page runs without a gap; the feed check refuses one that does not). */
function pageRanges<T>(ops: readonly Op<T>[]): Map<ActorId, { first: number; last: number }> {
  const ranges = new Map<ActorId, { first: number; last: number }>();
  for (const op of ops) {
    const r = ranges.get(op.id.actor);
    if (r === undefined) ranges.set(op.id.actor, { first: op.id.counter, last: op.id.counter });
    else r.last = op.id.counter;
  }
  return ranges;
}
