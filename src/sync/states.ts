import { formatId, type ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { covers, type VersionVector } from '../crdt/version.js';
import type { ChainState, FeedPlan, Proof } from './Feeds.js';
import type { SyncPage } from './messages.js';
import type { PageFeeds } from './pages.js';

/**
 * How a replica writes its list as a state and reads one back (see INTERNALS.md, "Store
 * compaction" and "Catch-up from state"). `decode` checks what it reads as strictly as list state
 * is checked, and throws.
 */
export interface SnapshotCodec<T> {
  encode(list: List<T>): Uint8Array;
  decode(actor: ActorId, bytes: Uint8Array): List<T>;
  /** Compact the store once this many ops were stored since its snapshot, */
  readonly every: number;
  /**
   * and at least this fraction of the elements the list holds: each compaction rewrites the whole
   * list, so its cost per op stored stays bounded however long the history it keeps (0: `every` alone).
   */
  readonly growth: number;
  /** The largest state sent to a peer in place of ops (a page must stay under the body limit). */
  readonly maxBytes: number;
  /**
   * `list` without each author's ops from `cut(author)` on (ops a proven fork drops, none of them
   * collected), pending ones left out; throws if that is no consistent list. How a list that
   * collected drops them: its ops can no longer be applied again from the start.
   */
  without?(list: List<T>, cut: (actor: ActorId) => number): List<T>;
}

/**
 * Whether a replica at `version` lacks so much of `mine` that a state serves it better than ops:
 * more than a page, and at least half of all: a state holds every op, about half the bytes an op
 * takes on the wire (INTERNALS.md, "Catch-up from state").
 */
export function farBehind(version: VersionVector, mine: VersionVector, pageOps: number): boolean {
  let total = 0;
  let lacking = 0;
  for (const [actor, n] of mine) {
    total += n;
    lacking += Math.max(0, n - (version.get(actor) ?? 0));
  }
  return lacking > pageOps && lacking * 2 >= total;
}

/**
 * What a state page would say besides the state: every op the list holds must be one this replica
 * can vouch for (each feed checked to its end and signed there), or null. The proofs are for the
 * feeds the asker lacks part of; a feed cut short by a fork is proven by its point's tail (the
 * ops dropped after it, or a branch of the fork), as in a page. A suspected feed counts as far
 * as it was checked, as a page sends it (`Feeds.checked`): replicas whose tails came from two
 * branches suspect each other's copy for good, and a newcomer that lacked what they collected
 * was then sent neither ops nor a state (seed 1,623,321,325).
 */
export function stateProofs<T>(list: List<T>, version: VersionVector, feeds: PageFeeds<T>): { mine: VersionVector; proofs: Proof<T>[] } | null {
  const held = list.version();
  const mine = feeds.checked(held);
  const proofs: Proof<T>[] = [];
  for (const [actor, n] of held) {
    if (mine.get(actor) !== n || feeds.pointAtOrBefore(actor, n) !== n) return null;
    if (n > (version.get(actor) ?? 0)) proofs.push(feeds.proof(actor, n));
  }
  return { mine, proofs };
}

/**
 * A page that carries `state` (the list as bytes) in place of ops, and the forks this replica
 * knows (a replica that collected catches up from states only, forks or not); the asker asks
 * again for what follows.
 */
export function statePage<T>(state: Uint8Array, mine: VersionVector, proofs: Proof<T>[], feeds: PageFeeds<T>, bases: ChainState[]): SyncPage<T> {
  return { version: mine, ops: [], proofs, forks: feeds.forks(), heads: feeds.heads(mine), more: true, state, ...(bases.length === 0 ? {} : { bases }) };
}

/**
 * Why `state` cannot stand for what `list` holds, or null: every op `list` holds (or waits with)
 * that the state covers must be in it, the same. Then taking the state loses nothing. Ops either
 * side collected are not compared: neither keeps them, and every replica holds them.
 */
function stateConflict<T>(list: List<T>, state: List<T>, equals?: (a: T, b: T) => boolean): { actor: ActorId; why: string } | null {
  const covered = state.version();
  const forgotten = (actor: ActorId): number => Math.max(list.collected?.get(actor) ?? 0, state.collected?.get(actor) ?? 0);
  for (const [actor, n] of list.version()) {
    const from = forgotten(actor);
    const m = Math.min(n, covered.get(actor) ?? 0) - from;
    if (m <= 0) continue;
    const mine = list.opsOf(actor, from, m);
    const theirs = state.opsOf(actor, from, m);
    for (let i = 0; i < m; i++) {
      if (!sameOp(mine[i] as Op<T>, theirs[i] as Op<T>, equals)) return { actor, why: `it holds op ${formatId((mine[i] as Op<T>).id)} other than the one held here` };
    }
  }
  for (const op of list.pendingOps()) {
    if (op.id.counter > (covered.get(op.id.actor) ?? 0) || op.id.counter <= forgotten(op.id.actor)) continue;
    const theirs = state.opsOf(op.id.actor, op.id.counter - 1, 1)[0];
    if (theirs === undefined || !sameOp(op, theirs, equals)) return { actor: op.id.actor, why: `it holds op ${formatId(op.id)} other than the one waiting here` };
  }
  return null;
}

/** What checking a state needs of the replica taking it. */
export interface StateChecks<T> {
  readonly codec: SnapshotCodec<T>;
  /** The list the state would replace. */
  readonly list: List<T>;
  /** Why a received op cannot be taken, or null (the replica's checks of any op it receives). */
  problem(op: Op<T>): string | null;
  /** The feed check of ops the replica lacks, as one page against `proofs`, feeds past what it holds from `bases`. */
  checkFeeds(ops: readonly Op<T>[], proofs: readonly Proof<T>[], bases: readonly ChainState[]): FeedPlan<T>;
  /** The state holds another op of `actor`'s feed than the replica does: a fork, if its author signed both. */
  conflict?(actor: ActorId, state: List<T>): void;
}

/**
 * The list a state page holds, the ops in it the replica lacks (in causal order) and their
 * feeds' plan, or why it cannot be taken: it does not load, holds
 * other ops than its page says, conflicts with what the replica holds (`stateConflict`), an op
 * the replica holds beyond it names what it collected, or an op it adds fails the replica's
 * checks or its feed's signature. Changes nothing.
 */
export function readState<T>(page: SyncPage<T>, bytes: Uint8Array, c: StateChecks<T>): { list: List<T>; fresh: Op<T>[]; plan: FeedPlan<T> } | string {
  let list: List<T>;
  try {
    list = c.codec.decode(c.list.actor, bytes);
  } catch (err) {
    return `it does not load: ${(err as Error).message}`;
  }
  const version = list.version();
  if (!covers(version, page.version) || !covers(page.version, version)) return 'it holds other ops than its page says';
  // What this replica collected it can no longer put on top of a state that lacks it.
  if (!covers(version, c.list.collected ?? new Map())) return 'it lacks ops this replica collected';
  const conflict = stateConflict(c.list, list);
  if (conflict !== null) {
    c.conflict?.(conflict.actor, list);
    return conflict.why;
  }
  // What this replica holds beyond the state goes on top of it: an op naming what the state
  // collected (only a key's holder that broke the stability rule hands out what leads to one)
  // would be lost there, so the state is refused and the op kept.
  for (const op of c.list.appliedOps(version)) {
    const verdict = list.check(op);
    if (verdict === 'collected' || verdict === 'invalid') return `op ${formatId(op.id)}, held here, names ${verdict === 'collected' ? 'an element the state collected' : 'a delete of the state'}`;
  }
  const fresh = [...list.appliedOps(c.list.version())];
  for (const op of fresh) {
    const why = c.problem(op);
    if (why !== null) return `op ${formatId(op.id)}: ${why}`;
  }
  // Of a feed the state collected further than this replica holds, the ops it still holds before
  // the feed's base (live genes) are taken on the sender's word; the signature binds the rest.
  const held = c.list.version();
  const bases = (page.bases ?? []).filter((b) => b.count > (held.get(b.actor) ?? 0) && b.count >= (list.collected?.get(b.actor) ?? 0));
  const checked = bases.length === 0 ? fresh : fresh.filter((op) => op.id.counter > (bases.find((b) => b.actor === op.id.actor)?.count ?? 0));
  const plan = c.checkFeeds(checked, page.proofs, bases);
  const refusal = plan.refusals[0];
  return refusal === undefined ? { list, fresh, plan } : `${refusal.code}: ${refusal.message}`;
}
