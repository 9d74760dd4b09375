import { idKey, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { VersionVector } from '../crdt/version.js';
import { doomedOps } from '../sync/forks.js';

/**
 * The version every replica must end at: each op made once (honest ones, then those a copied key
 * signed), but those the proven forks (author → position) doom. A copied key's ops that fork
 * nothing are as good as the author's own: they stay.
 */
export function expectedVersion<T>(made: readonly Op<T>[], frozen: ReadonlyMap<ActorId, number>): VersionVector {
  const version = new Map<ActorId, number>();
  for (const op of expectedOps(made, frozen)) version.set(op.id.actor, (version.get(op.id.actor) ?? 0) + 1);
  return version;
}

/** The ops of `expectedVersion`, each once. */
export function expectedOps<T>(made: readonly Op<T>[], frozen: ReadonlyMap<ActorId, number>): Op<T>[] {
  const doomed = new Set(doomedOps(made, (a) => frozen.get(a) ?? Infinity, new Set()).map((op) => idKey(op.id)));
  const counted = new Set<string>();
  const out: Op<T>[] = [];
  for (const op of made) {
    const key = idKey(op.id);
    if (doomed.has(key) || counted.has(key)) continue;
    counted.add(key);
    out.push(op);
  }
  return out;
}
