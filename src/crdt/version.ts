import { isActorId, type ActorId, type OpId } from './ids.js';
import { dependencies, type Op } from './ops.js';

/** actor → highest contiguous op counter held (= number of that actor's ops held). */
export type VersionVector = ReadonlyMap<ActorId, number>;

export function versionToJSON(v: VersionVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [actor, n] of [...v].sort((a, b) => a[0] - b[0])) out[String(actor)] = n;
  return out;
}

export function formatVersion(v: VersionVector): string {
  const parts = [...v].sort((a, b) => a[0] - b[0]).map(([a, n]) => `a${a}:${n}`);
  return `{${parts.join(' ')}}`;
}

/** True when `a` holds every op `b` holds. */
export function covers(a: VersionVector, b: VersionVector): boolean {
  for (const [actor, n] of b) if ((a.get(actor) ?? 0) < n) return false;
  return true;
}

/** How many ops a version holds: its counts summed. */
export function opsIn(v: VersionVector): number {
  let n = 0;
  for (const c of v.values()) n += c;
  return n;
}

/** Inverse of `versionToJSON`, for input whose values are validated counts; throws on a key that is no author id. */
export function versionFromJSON(json: Readonly<Record<string, number>>): VersionVector {
  const v = new Map<ActorId, number>();
  for (const [key, n] of Object.entries(json)) {
    const actor = Number(key);
    if (!isActorId(actor)) throw new RangeError(`version: ${key} is not an author id`);
    if (n > 0) v.set(actor, n);
  }
  return v;
}

/** The ops both hold: per actor, the lower count. */
export function meet(a: VersionVector, b: VersionVector): Map<ActorId, number> {
  const out = new Map<ActorId, number>();
  for (const [actor, n] of a) {
    const m = Math.min(n, b.get(actor) ?? 0);
    if (m > 0) out.set(actor, m);
  }
  return out;
}

/** `v` holding no more than `n` ops of `actor` (itself, if it holds no more). */
export function capAt(v: VersionVector, actor: ActorId, n: number): VersionVector {
  if ((v.get(actor) ?? 0) <= n) return v;
  const out = new Map(v);
  if (n > 0) out.set(actor, n);
  else out.delete(actor);
  return out;
}

/** The ops either holds: per actor, the higher count. */
export function join(a: VersionVector, b: VersionVector): Map<ActorId, number> {
  const out = new Map(a);
  for (const [actor, n] of b) if (n > (out.get(actor) ?? 0)) out.set(actor, n);
  return out;
}

/**
 * The largest causally closed version within `bound` that holds `base` (itself closed): each
 * author's ops past `base` are taken in counter order while every op they name is taken, until
 * nothing more can be. A meet of versions that were claimed, not applied (a peer counts the ops
 * its feeds checked, some of which wait), need not be closed; what is retired or collected must be.
 * `opAt` gives the ops of `bound` beyond `base`. Costs the ops taken plus one look per author a pass.
 */
export function closedWithin<T>(base: VersionVector, bound: VersionVector, opAt: (id: OpId) => Op<T> | undefined): Map<ActorId, number> {
  const out = new Map(base);
  const has = (id: OpId): boolean => id.counter <= (out.get(id.actor) ?? 0);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [actor, upTo] of bound) {
      let n = out.get(actor) ?? 0;
      for (; n < upTo; n++) {
        const op = opAt({ actor, counter: n + 1 });
        if (op === undefined || !dependencies(op).every(has)) break;
      }
      if (n > (out.get(actor) ?? 0)) {
        out.set(actor, n);
        grew = true;
      }
    }
  }
  return out;
}
