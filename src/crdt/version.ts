import { isActorId, type ActorId } from './ids.js';

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

/** The ops either holds: per actor, the higher count. */
export function join(a: VersionVector, b: VersionVector): Map<ActorId, number> {
  const out = new Map(a);
  for (const [actor, n] of b) if (n > (out.get(actor) ?? 0)) out.set(actor, n);
  return out;
}
