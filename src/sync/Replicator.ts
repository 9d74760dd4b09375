import { applyBatch, type BatchResult } from '../crdt/batch.js';
import { formatId, type ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import { dependencies, type Op } from '../crdt/ops.js';
import { opProblem, type OpRules } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import type { PeerId, Reply, Request, SyncPage } from './messages.js';
import { missingOps, ownOpsAfter, type PageLimits } from './pages.js';

export interface SyncConfig<T> extends PageLimits<T> {
  /** One anti-entropy exchange with the next peer in turn this often. */
  readonly syncIntervalMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** What an op must be to be taken (the cluster's members, the values); every received op is checked. */
  readonly rules?: OpRules<T>;
}

/** Why an op this replica received cannot be taken, or null: checks beyond `opProblem` (the store's). */
export type Screen<T> = (op: Op<T>) => string | null;

export interface Outgoing<T> {
  readonly peer: PeerId;
  readonly request: Request<T>;
}

/** What applying a sync page did: `accepted` must be stored; `refused` ops were not taken. */
export interface PageOutcome<T> {
  readonly accepted: Op<T>[];
  readonly refused: Array<{ op: Op<T>; verdict: 'equivocation' | 'invalid'; why?: string }>;
}

interface PeerState {
  readonly id: PeerId;
  /** How many of our own ops the peer holds, as it last told us; null until its first sync reply. */
  acked: number | null;
  inFlight: boolean;
  retryAt: number;
  backoffMs: number;
  /** An anti-entropy exchange, or its next page, is due. */
  syncDue: boolean;
  /** The exchange made at start, before the first mutation. */
  catchUp: 'waiting' | 'done' | 'skipped';
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
  readonly list: List<T>;
  readonly #config: SyncConfig<T>;
  readonly #peers: PeerState[];
  readonly #screen: Screen<T>;
  #nextRound: number;
  #turn = 0;
  /** The highest own counter any peer said it holds (applied or waiting): never reuse one. */
  #knownOwn = 0;

  constructor(list: List<T>, peers: readonly PeerId[], config: SyncConfig<T>, now: number, screen: Screen<T> = () => null) {
    this.list = list;
    this.#config = config;
    this.#screen = screen;
    if (new Set(peers).size !== peers.length) throw new Error(`peers must be distinct: ${peers.join(', ')}`);
    this.#peers = peers.map((id) => ({ id, acked: null, inFlight: false, retryAt: now, backoffMs: 0, syncDue: true, catchUp: 'waiting' }));
    this.#nextRound = now + config.syncIntervalMs;
  }

  /**
   * Safe to make a new op: every peer has answered the start-up exchange (or failed it and been
   * skipped), and this replica holds every op of its own that a peer reported, so the next
   * counter is new.
   */
  get ready(): boolean {
    return this.#peers.every((p) => p.catchUp !== 'waiting') && this.list.nextCounter > this.#knownOwn;
  }

  /** Requests to send now. */
  poll(now: number): Outgoing<T>[] {
    if (now >= this.#nextRound && this.#peers.length > 0) {
      (this.#peers[this.#turn++ % this.#peers.length] as PeerState).syncDue = true;
      this.#nextRound = now + this.#config.syncIntervalMs;
    }
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
    const p = this.#peer(peer);
    p.inFlight = false;
    p.backoffMs = 0;
    p.retryAt = now;
    if (request.type === 'push' || reply.type === 'push') {
      this.#delivered(p, request);
      return { accepted: [], refused: [] };
    }
    const self = this.list.actor;
    const outcome = this.#applyPage(reply.ops);
    // The peer's own word, even if lower than before: it may have lost data, and then gets our ops again.
    p.acked = reply.version.get(self) ?? 0;
    this.#knownOwn = Math.max(this.#knownOwn, reply.yours);
    // An honest page that says "more" holds at least one op; an empty one must not keep us asking.
    if (reply.more && reply.ops.length > 0) p.syncDue = true;
    else if (p.catchUp === 'waiting') p.catchUp = 'done';
    return outcome;
  }

  onFailure(peer: PeerId, request: Request<T>, now: number): void {
    const p = this.#peer(peer);
    p.inFlight = false;
    p.backoffMs = Math.min(this.#config.backoffMaxMs, Math.max(this.#config.backoffMinMs, p.backoffMs * 2));
    p.retryAt = now + p.backoffMs;
    if (request.type === 'sync') {
      p.syncDue = true;
      if (p.catchUp === 'waiting') p.catchUp = 'skipped';
    }
  }

  /**
   * The request was discarded on purpose (fault injection), or refused for good by the peer (a 4xx
   * answer to a push): either way the sender treats it as delivered and does not retry it.
   */
  onDropped(peer: PeerId, request: Request<T>): void {
    const p = this.#peer(peer);
    p.inFlight = false;
    this.#delivered(p, request);
  }

  /**
   * A push carries its sender's own ops only; never this replica's (those it makes itself). One op
   * that cannot be taken refuses the whole batch, before anything of it is applied.
   */
  servePush(from: ActorId, ops: readonly Op<T>[]): BatchResult<T> {
    for (const op of ops) {
      const why =
        from === this.list.actor
          ? `a push claims to come from this actor (${from})`
          : op.id.actor !== from
            ? `a push from actor ${from} carries op ${formatId(op.id)} of another actor`
            : this.#problem(op);
      if (why !== null) return { status: 'invalid', op, message: why, accepted: [] };
    }
    return applyBatch(this.list, ops);
  }

  /** Whether `actor` is one of the cluster's (no rule: every actor is). */
  isMember(actor: ActorId): boolean {
    return this.#config.rules?.isMember?.(actor) ?? true;
  }

  /** Why a received op cannot be taken: the shared check, then the screen. */
  #problem(op: Op<T>): string | null {
    return opProblem(op, this.#config.rules) ?? this.#screen(op);
  }

  serveSync(asker: ActorId, version: VersionVector): SyncPage<T> {
    return missingOps(this.list, version, this.#config, asker);
  }

  #nextRequest(p: PeerState): Request<T> | null {
    const from = this.list.actor;
    if (p.syncDue) {
      p.syncDue = false;
      return { type: 'sync', from, version: this.list.version(), catchUp: p.catchUp === 'waiting' };
    }
    if (p.acked === null) return null;
    const ops = ownOpsAfter(this.list, p.acked, this.#config);
    return ops.length === 0 ? null : { type: 'push', from, ops };
  }

  #delivered(p: PeerState, request: Request<T>): void {
    const last = request.type === 'push' ? request.ops[request.ops.length - 1] : undefined;
    if (last !== undefined) p.acked = Math.max(p.acked ?? 0, last.id.counter);
  }

  /**
   * A page is a causal prefix: every op in it can be applied at once. One that would have to wait
   * did not come from an honest page and is refused; it would otherwise sit in the pending set, and
   * under this replica's own id it would collide with the op this replica makes next.
   */
  #applyPage(ops: readonly Op<T>[]): PageOutcome<T> {
    const outcome: PageOutcome<T> = { accepted: [], refused: [] };
    for (const op of ops) {
      const why = this.#problem(op) ?? this.#waits(op);
      if (why !== null) {
        outcome.refused.push({ op, verdict: 'invalid', why });
        continue;
      }
      const verdict = this.list.apply(op);
      if (verdict === 'applied' || verdict === 'pending') outcome.accepted.push(op);
      else if (verdict === 'equivocation' || verdict === 'invalid') outcome.refused.push({ op, verdict });
      else if (verdict === 'full') break; // the rest comes with a later exchange
    }
    return outcome;
  }

  /** Why a new op cannot be applied at once (a dependency it lacks), or null. */
  #waits(op: Op<T>): string | null {
    if (this.list.check(op) !== 'new') return null;
    const missing = dependencies(op).find((d) => !this.list.has(d));
    return missing === undefined ? null : `it waits for ${formatId(missing)}, which the page neither holds nor follows`;
  }

  #peer(id: PeerId): PeerState {
    const p = this.#peers.find((x) => x.id === id);
    if (p === undefined) throw new Error(`unknown peer ${id}`);
    return p;
  }
}
