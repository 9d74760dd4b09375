import { idKey, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import { doomedOps } from '../sync/forks.js';
import type { OpsMade } from './made.js';

/**
 * The version every replica must end at: each op made once (honest ones, then those a copied key
 * signed), but those the proven forks (author → position) doom. A copied key's ops that fork
 * nothing are as good as the author's own: they stay. With no fork, that is every distinct id.
 */
export function expectedVersion<T>(made: OpsMade<T>, frozen: ReadonlyMap<ActorId, number>): VersionVector {
  if (frozen.size === 0) return made.distinct;
  const version = new Map<ActorId, number>();
  for (const op of expectedOps(made.all(), frozen)) version.set(op.id.actor, (version.get(op.id.actor) ?? 0) + 1);
  return version;
}

/** The ops of `expectedVersion`, each once. */
export function expectedOps<T>(made: readonly Op<T>[], frozen: ReadonlyMap<ActorId, number>): Op<T>[] {
  // No feed frozen dooms nothing: `doomedOps` would walk every op to find so.
  const doomed = new Set(frozen.size === 0 ? [] : doomedOps(made, (a) => frozen.get(a) ?? Infinity, new Set()).map((op) => idKey(op.id)));
  const counted = new Map<ActorId, Set<number>>();
  const out: Op<T>[] = [];
  for (const op of made) {
    let mine = counted.get(op.id.actor);
    if (mine === undefined) counted.set(op.id.actor, (mine = new Set()));
    if (mine.has(op.id.counter) || (doomed.size > 0 && doomed.has(idKey(op.id)))) continue;
    mine.add(op.id.counter);
    out.push(op);
  }
  return out;
}
