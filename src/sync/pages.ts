import type { ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import { covers, type VersionVector } from '../crdt/version.js';
import type { SyncPage } from './messages.js';

export interface PageLimits<T> {
  readonly maxOps: number;
  readonly maxBytes: number;
  /** Size of an op on the wire. */
  readonly sizeOf: (op: Op<T>) => number;
}

/**
 * The ops `list` holds that a replica at `version` lacks, in causal order (the order they were
 * applied here), up to the page limits. A prefix of a causal order is causally closed, so the
 * asker can apply every op of a page at once, whatever page comes next.
 */
export function missingOps<T>(list: List<T>, version: VersionVector, limits: PageLimits<T>, asker: ActorId): SyncPage<T> {
  const mine = list.version();
  let yours = mine.get(asker) ?? 0;
  if (list.pendingCount > 0) for (const op of list.pendingOps()) if (op.id.actor === asker) yours = Math.max(yours, op.id.counter);
  const page = { version: mine, ops: [] as Op<T>[], more: false, yours };
  if (covers(version, mine)) return page;
  let bytes = 0;
  for (const op of list.appliedOps(version)) {
    const size = limits.sizeOf(op);
    if (page.ops.length >= limits.maxOps || (page.ops.length > 0 && bytes + size > limits.maxBytes)) return { ...page, more: true };
    page.ops.push(op);
    bytes += size;
  }
  return page;
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
