import { pushVarint, readVarint } from '../crdt/codec.js';
import { isActorId, type ActorId } from '../crdt/ids.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import { MAX_VERSION_ENTRIES } from './wire-limits.js';

/**
 * Version vectors on the binary wire, compact at a thousand authors (see INTERNALS.md, "Gossip:
 * what a sync costs"): a vector is written as its difference from one the reader already has (the
 * asker's own version, for what it retired; the asker's request, for the responder's answer), so
 * what two replicas agree on costs nothing.
 *
 *   delta := n:varint (gap:varint counter:varint){n}: the authors where the vector differs from
 *            the base, in increasing order, each as its distance from the one before (the first
 *            from 0); counter 0: the author is not in the vector
 *   set   := a bitmap over the base's authors in increasing order, then m:varint gap{m}: authors
 *            not among them
 */
export function writeDelta(out: number[], version: VersionVector, base: VersionVector): void {
  const changed: ActorId[] = [];
  for (const [a, n] of version) if (base.get(a) !== n) changed.push(a);
  for (const a of base.keys()) if (!version.has(a)) changed.push(a);
  changed.sort((x, y) => x - y);
  pushVarint(out, changed.length);
  let last = 0;
  for (const a of changed) {
    pushVarint(out, a - last);
    pushVarint(out, version.get(a) ?? 0);
    last = a;
  }
}

export function readDelta(bytes: Uint8Array, r: { pos: number }, base: VersionVector): VersionVector {
  const n = readVarint(bytes, r);
  if (n > 2 * MAX_VERSION_ENTRIES) throw new Error(`a version changing ${n} authors`);
  const out = new Map(base);
  let last = -1;
  for (let i = 0; i < n; i++) {
    const a = author(bytes, r, last);
    const count = readVarint(bytes, r);
    if (count > MAX_COUNTER) throw new Error(`a count of ${count} ops is beyond the highest counter`);
    if (count === 0) out.delete(a);
    else out.set(a, count);
    last = a;
  }
  if (out.size > MAX_VERSION_ENTRIES) throw new Error(`a version of ${out.size} authors`);
  return out;
}

/** The authors of `base`, in the order a set or a bitmap over them takes them. */
export const ordered = (base: VersionVector): ActorId[] => [...base.keys()].sort((x, y) => x - y);

export function writeSet(out: number[], set: readonly ActorId[], base: VersionVector): void {
  const keys = ordered(base);
  const index = new Map(keys.map((a, i) => [a, i]));
  const bits = new Uint8Array(Math.ceil(keys.length / 8));
  const extra: ActorId[] = [];
  for (const a of set) {
    const i = index.get(a);
    if (i === undefined) extra.push(a);
    else bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  }
  out.push(...bits);
  extra.sort((x, y) => x - y);
  pushVarint(out, extra.length);
  let last = 0;
  for (const a of extra) {
    pushVarint(out, a - last);
    last = a;
  }
}

export function readSet(bytes: Uint8Array, r: { pos: number }, base: VersionVector): ActorId[] {
  const keys = ordered(base);
  const length = Math.ceil(keys.length / 8);
  if (r.pos + length > bytes.length) throw new Error('a set of authors ends early');
  const set: ActorId[] = [];
  keys.forEach((a, i) => {
    if (((bytes[r.pos + (i >> 3)] as number) & (1 << (i & 7))) !== 0) set.push(a);
  });
  r.pos += length;
  const m = readVarint(bytes, r);
  if (m > MAX_VERSION_ENTRIES) throw new Error(`a set of ${m} more authors`);
  let last = -1;
  for (let i = 0; i < m; i++) {
    const a = author(bytes, r, last);
    set.push(a);
    last = a;
  }
  return set;
}

/** The next author of an increasing list: `last` plus a gap (the first, from 0). */
function author(bytes: Uint8Array, r: { pos: number }, last: number): ActorId {
  const gap = readVarint(bytes, r);
  const a = Math.max(last, 0) + gap;
  if (last >= 0 && gap === 0) throw new Error('authors out of order');
  if (!isActorId(a)) throw new Error(`author ${a} out of range`);
  return a;
}
