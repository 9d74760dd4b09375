import { idKey, type ActorId } from '../crdt/ids.js';
import { dependencies, type Op } from '../crdt/ops.js';
import type { Feeds, SignedPoint } from './Feeds.js';

/**
 * Whether no replica keeps `op` once feeds are frozen where `frozenAt` says (Infinity: not
 * frozen): it is at or past its feed's fork, or names an op that is, or one in `dropped` (ids of
 * ops dropped so), its author's previous op included.
 */
export function isDoomed<T>(op: Op<T>, frozenAt: (actor: ActorId) => number, dropped: ReadonlySet<string>): boolean {
  if (op.id.counter >= frozenAt(op.id.actor)) return true;
  return dependencies(op).some((d) => d.counter >= frozenAt(d.actor) || dropped.has(idKey(d)));
}

/**
 * The ops of `ops` that no replica keeps, feeds being frozen where `frozenAt` says and the ops
 * `known` already dropped: those `isDoomed` names, and, transitively, every op that names one of
 * them. Deterministic: the same for every replica that holds the same ops and forks.
 */
export function doomedOps<T>(ops: readonly Op<T>[], frozenAt: (actor: ActorId) => number, known: ReadonlySet<string>): Op<T>[] {
  const doomed: Op<T>[] = [];
  const dropped = new Set(known);
  let left = ops;
  // Stored order is causal for applied ops, not for ones that waited: repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    const rest: Op<T>[] = [];
    for (const op of left) {
      if (isDoomed(op, frozenAt, dropped)) {
        doomed.push(op);
        dropped.add(idKey(op.id));
        changed = true;
      } else rest.push(op);
    }
    left = rest;
  }
  return doomed;
}

/**
 * The point a feed ends at once `cut` (its ops from some counter on, in order) is dropped: the
 * feed's latest point, with the dropped ops before it as its tail; or, for a forked feed held no
 * further than the fork, the fork's first branch. Null when neither proves it (nothing held past
 * the cut was signed), or nothing of the feed is left.
 */
export function cutPoint<T>(actor: ActorId, cut: readonly Op<T>[], feeds: Pick<Feeds<T>, 'latestPoint' | 'forks'>): SignedPoint<T> | null {
  const first = cut[0];
  if (first === undefined || first.id.counter <= 1) return null;
  const counter = first.id.counter - 1;
  const latest = feeds.latestPoint(actor);
  if (latest !== null && latest.counter > counter) {
    const held = cut.filter((op) => op.id.counter <= latest.counter);
    if (held.length === latest.counter - counter && held.every((op, i) => op.id.counter === counter + 1 + i)) {
      return { actor, counter, signature: latest.signature, tail: [...held, ...(latest.tail ?? [])] };
    }
  }
  const fork = feeds.forks().find((f) => f.actor === actor && f.at === counter + 1);
  return fork === undefined ? null : { actor, counter, signature: fork.branches[0].signature, tail: fork.branches[0].ops };
}
