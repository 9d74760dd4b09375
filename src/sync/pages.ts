import type { ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { covers, type VersionVector } from '../crdt/version.js';
import type { Feeds, Proof } from './Feeds.js';
import type { SyncPage } from './messages.js';

/** What a page needs of the feeds: how far each may be sent, and the proofs. */
export type PageFeeds<T> = Pick<Feeds<T>, 'advertise' | 'checked' | 'pointAtOrBefore' | 'proof' | 'forks' | 'heads'>;

export interface PageLimits<T> {
  readonly maxOps: number;
  readonly maxBytes: number;
  /** Size of an op on the wire. */
  readonly sizeOf: (op: Op<T>) => number;
}

/**
 * The ops `list` holds that a replica at `version` lacks, in causal order (the order they were
 * applied here), up to the page limits, each feed cut at a point this replica can prove. A prefix
 * of a causal order is causally closed, and so is what is left of it after cutting (an op that
 * names one cut away goes too), so the asker can apply every op of a page at once.
 */
export function missingOps<T>(list: List<T>, version: VersionVector, limits: PageLimits<T>, feeds: PageFeeds<T>): SyncPage<T> {
  const held = list.version();
  const mine = feeds.advertise(held);
  // A feed the asker lacks collected ops of cannot be sent as ops (it takes a state instead), nor
  // can what names an op of it the asker lacks (\`cut\`).
  const collected = list.collected;
  const sendable = feeds.checked(held, (actor) => ((version.get(actor) ?? 0) < (collected?.get(actor) ?? 0) ? 0 : Infinity));
  const forks = feeds.forks();
  const heads = feeds.heads(mine);
  if (covers(version, sendable)) return { version: mine, ops: [], proofs: [], forks, heads, more: false };
  // Cutting at signed points may leave nothing of a page; a larger one then gets past them. Each
  // feed's latest point ends what it can send, so the whole backlog always leaves something.
  for (let scale = 1; ; scale *= 4) {
    const { ops, more } = prefix(list, version, sendable, limits, scale);
    const page = cut(ops, version, feeds);
    // `more` only where the limits stopped the page: ops cut for naming what this replica cannot
    // send yet would come back cut again, and asking at once would only cost a round trip.
    if (page.ops.length > 0 || !more) return { version: mine, ...page, forks, heads, more };
  }
}

/** The first ops of the causal order the asker lacks, within `scale` times the limits. */
function prefix<T>(list: List<T>, version: VersionVector, sendable: VersionVector, limits: PageLimits<T>, scale: number): { ops: Op<T>[]; more: boolean } {
  const ops: Op<T>[] = [];
  let bytes = 0;
  for (const op of list.appliedOps(version)) {
    // Beyond what this replica can vouch for (held before feeds were signed): not sent.
    if (op.id.counter > (sendable.get(op.id.actor) ?? 0)) continue;
    const size = limits.sizeOf(op);
    if (ops.length >= limits.maxOps * scale || (ops.length > 0 && bytes + size > limits.maxBytes * scale)) return { ops, more: true };
    ops.push(op);
    bytes += size;
  }
  return { ops, more: false };
}

/** Cut each feed of `ops` back to its last provable point, and drop what depends on an op cut away. */
function cut<T>(ops: readonly Op<T>[], version: VersionVector, feeds: PageFeeds<T>): { ops: Op<T>[]; proofs: Proof<T>[] } {
  const last = new Map<ActorId, number>();
  for (const op of ops) last.set(op.id.actor, op.id.counter);
  const ends = new Map<ActorId, number>();
  const held = (actor: ActorId): number => version.get(actor) ?? 0;
  for (const [actor, counter] of last) ends.set(actor, Math.max(held(actor), feeds.pointAtOrBefore(actor, counter)));
  // An op is sent if its feed is sent that far; one naming an op not sent is cut with what follows it.
  const sent = (actor: ActorId, counter: number): boolean => counter <= held(actor) || counter <= (ends.get(actor) ?? 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of ops) {
      const actor = op.id.actor;
      if (!sent(actor, op.id.counter)) continue;
      const refs = op.type === 'insert' ? [op.left, op.right] : [op.target];
      if (refs.every((r) => r === null || sent(r.actor, r.counter))) continue;
      ends.set(actor, Math.max(held(actor), feeds.pointAtOrBefore(actor, op.id.counter - 1)));
      changed = true;
    }
  }
  const kept = ops.filter((op) => sent(op.id.actor, op.id.counter));
  const proofs = [...ends].filter(([actor, end]) => end > held(actor)).map(([actor, end]) => feeds.proof(actor, end));
  return { ops: kept, proofs };
}

/** `actor`'s own ops after counter `after`, in counter order, up to the page limits. */
export function ownOpsAfter<T>(list: List<T>, after: number, limits: PageLimits<T>): Op<T>[] {
  const ops = list.opsOf(list.actor, after, limits.maxOps);
  let bytes = 0;
  for (let i = 0; i < ops.length; i++) {
    bytes += limits.sizeOf(ops[i] as Op<T>);
    if (i > 0 && bytes > limits.maxBytes) return ops.slice(0, i);
  }
  return ops;
}
